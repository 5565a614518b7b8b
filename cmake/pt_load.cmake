# libzip reads the zip container of torch.save'd checkpoints (src/model/io/pt_zip.c).
pkg_check_modules(LIBZIP REQUIRED IMPORTED_TARGET libzip)
target_link_libraries(cosyvoice PUBLIC PkgConfig::LIBZIP)
