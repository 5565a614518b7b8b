# Parity of the speech-token LM against the golden reference data: greedy
# tokens identical, log-probabilities within tolerance.
cv_test(NAME parity/llm NEURAL
  COMMAND ${CMAKE_BINARY_DIR}/cosyvoice-parity
          --golden ${CMAKE_SOURCE_DIR}/tests/data/golden/cosyvoice-v1-tiny --only llm)
# The same for the Qwen2 speech LM of CosyVoice2 and CosyVoice3 (and, for v3,
# the model layer's LM run and silent-token filter).
foreach(d cosyvoice2-tiny cosyvoice3-tiny)
  cv_test(NAME parity/llm-${d} NEURAL
    COMMAND ${CMAKE_BINARY_DIR}/cosyvoice-parity
            --golden ${CMAKE_SOURCE_DIR}/tests/data/golden/${d} --only llm)
endforeach()
# Text streamed into CosyVoice2's LM (inference_bistream): tokens, schedule
# and log-probabilities of the reference's three cases.
cv_test(NAME parity/bistream-cosyvoice2-tiny NEURAL
  COMMAND ${CMAKE_BINARY_DIR}/cosyvoice-parity
          --golden ${CMAKE_SOURCE_DIR}/tests/data/golden/cosyvoice2-tiny --only bistream)
