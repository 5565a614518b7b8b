# GnuTLS: the HTTP door checks client certificates itself (libmicrohttpd
# asks for them when --tls-client-ca is set, and hands over the session)
# (Debian: libgnutls28-dev).
pkg_check_modules(GNUTLS REQUIRED IMPORTED_TARGET gnutls)
target_link_libraries(cosyvoice PUBLIC PkgConfig::GNUTLS)
