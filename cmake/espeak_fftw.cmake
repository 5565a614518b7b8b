# FFTW3 (single precision) for the espeak engine's spectral analysis of
# voice prompts (long-term average spectrum for timbre matching).
pkg_check_modules(ESPEAK_FFTW3F REQUIRED IMPORTED_TARGET fftw3f)
target_link_libraries(cosyvoice PUBLIC PkgConfig::ESPEAK_FFTW3F)
