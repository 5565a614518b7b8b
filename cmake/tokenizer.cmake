# The BPE tokenizer's vocabulary file and golden-case checker.
#
# multilingual.tiktoken is installed to <datadir>/cosyvoice-c/, where
# bpe_tokenizer_find_vocab() looks for it; the source tree's copy is a
# fallback so an uninstalled build tree works too.
include(GNUInstallDirs)
install(FILES ${CMAKE_SOURCE_DIR}/assets/multilingual.tiktoken
        DESTINATION ${CMAKE_INSTALL_DATADIR}/cosyvoice-c)
target_compile_definitions(cosyvoice PRIVATE
  CV_INSTALL_DATADIR="${CMAKE_INSTALL_FULL_DATADIR}/cosyvoice-c"
  CV_SOURCE_ASSETS_DIR="${CMAKE_SOURCE_DIR}/assets")

# Jansson reads the golden text -> ids cases (src/text/bpe_parity.c).
# Debian: libjansson-dev.
pkg_check_modules(JANSSON REQUIRED IMPORTED_TARGET jansson)
target_link_libraries(cosyvoice PUBLIC PkgConfig::JANSSON)
