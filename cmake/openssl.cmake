# OpenSSL's libcrypto (Debian libssl-dev; gRPC's own TLS library) reads the
# server certificate's validity dates at start-up (src/server/cert_dates.c).
pkg_check_modules(LIBCRYPTO REQUIRED IMPORTED_TARGET libcrypto)
target_link_libraries(cosyvoice PUBLIC PkgConfig::LIBCRYPTO)
