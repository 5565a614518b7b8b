# Parity of CosyVoice2 and CosyVoice3's token-to-audio half (vocoder, flow,
# streaming token2wav) against their golden tiny models; the groups are the
# same names as v1's, cosyvoice-parity picks the family's checks.
foreach(fam v2 v3)
  if(fam STREQUAL "v2")
    set(dir cosyvoice2-tiny)
  else()
    set(dir cosyvoice3-tiny)
  endif()
  foreach(group hift flow stream)
    cv_test(NAME parity/${fam}/${group} NEURAL
      COMMAND cosyvoice-parity --golden ${CMAKE_SOURCE_DIR}/tests/data/golden/${dir}
              --only ${group})
  endforeach()
endforeach()
