# Parity of the prompt front end (features, speaker model, speech tokenizer)
# against the frontend-tiny golden data.
add_test(NAME parity/frontend
  COMMAND cosyvoice-parity --golden ${CMAKE_SOURCE_DIR}/tests/data/golden/frontend-tiny
          --only frontend)
set_tests_properties(parity/frontend PROPERTIES
  ENVIRONMENT "CV_SOURCE_DIR=${CMAKE_SOURCE_DIR};CV_BUILD_DIR=${CMAKE_BINARY_DIR}")
