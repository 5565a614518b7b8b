# libmicrohttpd serves the server's Prometheus /metrics endpoint
# (Debian: libmicrohttpd-dev).
pkg_check_modules(MICROHTTPD REQUIRED IMPORTED_TARGET libmicrohttpd)
target_link_libraries(cosyvoice PUBLIC PkgConfig::MICROHTTPD)
