# Parity of the text tokenizers against the reference's text -> ids cases:
# Whisper's (v1), Qwen2's with CosyVoice2's and with CosyVoice3's added tokens.
foreach(d cosyvoice-v1-tiny cosyvoice2-tiny cosyvoice3-tiny)
  cv_test(NAME parity/tokenizer-${d}
    COMMAND ${CMAKE_BINARY_DIR}/cosyvoice-parity
            --golden ${CMAKE_SOURCE_DIR}/tests/data/golden/${d} --only tokenizer)
endforeach()
