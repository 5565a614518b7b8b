# Parity of the speech-token LM against the golden reference data: greedy
# tokens identical, log-probabilities within tolerance.
add_test(NAME parity/llm
  COMMAND ${CMAKE_BINARY_DIR}/cosyvoice-parity
          --golden ${CMAKE_SOURCE_DIR}/tests/data/golden/cosyvoice-v1-tiny --only llm
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
# The same for the Qwen2 speech LM of CosyVoice2 and CosyVoice3 (and, for v3,
# the model layer's LM run and silent-token filter).
foreach(d cosyvoice2-tiny cosyvoice3-tiny)
  add_test(NAME parity/llm-${d}
    COMMAND ${CMAKE_BINARY_DIR}/cosyvoice-parity
            --golden ${CMAKE_SOURCE_DIR}/tests/data/golden/${d} --only llm
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
endforeach()
# Text streamed into CosyVoice2's LM (inference_bistream): tokens, schedule
# and log-probabilities of the reference's three cases.
add_test(NAME parity/bistream-cosyvoice2-tiny
  COMMAND ${CMAKE_BINARY_DIR}/cosyvoice-parity
          --golden ${CMAKE_SOURCE_DIR}/tests/data/golden/cosyvoice2-tiny --only bistream
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
