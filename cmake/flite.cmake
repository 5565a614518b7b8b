# flite (CMU) for English in the espeak engine: the core library, the US
# English language and lexicon, and the voices linked in. Debian ships no
# pkg-config file for flite, so the libraries are found one by one.
find_path(FLITE_INCLUDE_DIR flite.h PATH_SUFFIXES flite REQUIRED)
set(FLITE_LIBS)
foreach(lib flite_cmu_us_slt flite_cmu_us_awb flite_usenglish
            flite_cmulex flite)
  find_library(FLITE_${lib}_LIBRARY ${lib} REQUIRED)
  list(APPEND FLITE_LIBS ${FLITE_${lib}_LIBRARY})
endforeach()
target_include_directories(cosyvoice PUBLIC ${FLITE_INCLUDE_DIR})
target_link_libraries(cosyvoice PUBLIC ${FLITE_LIBS})
