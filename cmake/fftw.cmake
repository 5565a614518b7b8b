# FFTW3 single precision: STFT / inverse STFT in src/nn/stft.c.
pkg_check_modules(FFTW3F REQUIRED IMPORTED_TARGET fftw3f)
target_link_libraries(cosyvoice PUBLIC PkgConfig::FFTW3F)
