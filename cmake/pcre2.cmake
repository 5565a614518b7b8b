# PCRE2 (8-bit code units) for the BPE tokenizer's pre-tokenizer pattern.
# Debian: libpcre2-dev.
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
target_link_libraries(cosyvoice PUBLIC PkgConfig::PCRE2)
