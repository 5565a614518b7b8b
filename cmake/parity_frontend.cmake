# Parity of the prompt front end (features, speaker model, speech tokenizer,
# and for CosyVoice2 the trimming rule and whole runs on two recordings)
# against the frontend-tiny (v1) and frontend2-tiny (v2) golden data.
foreach(fe frontend frontend2)
  cv_test(NAME parity/${fe} NEURAL
    COMMAND cosyvoice-parity --golden ${CMAKE_SOURCE_DIR}/tests/data/golden/${fe}-tiny
            --only frontend)
endforeach()
