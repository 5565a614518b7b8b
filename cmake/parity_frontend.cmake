# Parity of the prompt front end (features, speaker model, speech tokenizer)
# against the frontend-tiny golden data.
cv_test(NAME parity/frontend NEURAL
  COMMAND cosyvoice-parity --golden ${CMAKE_SOURCE_DIR}/tests/data/golden/frontend-tiny
          --only frontend)
