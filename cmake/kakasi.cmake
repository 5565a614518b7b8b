# KAKASI (Debian libkakasi2-dev): kanji -> hiragana readings for the espeak
# engine's Japanese voice, which reads kana only.
find_path(KAKASI_INCLUDE_DIR libkakasi.h REQUIRED)
find_library(KAKASI_LIBRARY kakasi REQUIRED)
target_include_directories(cosyvoice PUBLIC ${KAKASI_INCLUDE_DIR})
target_link_libraries(cosyvoice PUBLIC ${KAKASI_LIBRARY})
