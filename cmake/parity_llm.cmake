# Parity of the speech-token LM against the golden reference data: greedy
# tokens identical, log-probabilities within tolerance.
add_test(NAME parity/llm
  COMMAND ${CMAKE_BINARY_DIR}/cosyvoice-parity
          --golden ${CMAKE_SOURCE_DIR}/tests/data/golden/cosyvoice-v1-tiny --only llm
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
