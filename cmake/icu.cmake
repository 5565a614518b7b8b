# ICU: Unicode script and white-space properties for the text front end.
pkg_check_modules(ICU REQUIRED IMPORTED_TARGET icu-uc)
target_link_libraries(cosyvoice PUBLIC PkgConfig::ICU)
