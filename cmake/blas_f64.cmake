# The float64 GEMM under src/nn/conv_f64.c (CosyVoice3's f0 predictor runs
# in double precision, which the float32 compute library does not do):
# OpenBLAS's cblas_dgemm, kept serial (nn splits the work itself).
# Debian: libopenblas-dev.
pkg_check_modules(OPENBLAS_F64 REQUIRED IMPORTED_TARGET openblas)
target_link_libraries(cosyvoice PUBLIC PkgConfig::OPENBLAS_F64)
