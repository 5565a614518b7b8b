# libsystemd (Debian: libsystemd-dev): sd_notify for systemd's Type=notify
# (src/server/service_notify.c).
pkg_check_modules(LIBSYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
target_link_libraries(cosyvoice PUBLIC PkgConfig::LIBSYSTEMD)
