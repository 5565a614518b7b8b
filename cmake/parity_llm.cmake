# Parity of the speech-token LM against the golden reference data: greedy
# tokens identical, log-probabilities within tolerance.
cv_test(NAME parity/llm NEURAL
  COMMAND ${CMAKE_BINARY_DIR}/cosyvoice-parity
          --golden ${CMAKE_SOURCE_DIR}/tests/data/golden/cosyvoice-v1-tiny --only llm)
