# libmicrohttpd serves the server's Prometheus /metrics endpoint and the
# HTTP door (src/http; --http-port) (Debian: libmicrohttpd-dev).
pkg_check_modules(MICROHTTPD REQUIRED IMPORTED_TARGET libmicrohttpd)
target_link_libraries(cosyvoice PUBLIC PkgConfig::MICROHTTPD)
