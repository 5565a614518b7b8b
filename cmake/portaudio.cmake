# PortAudio plays the client's audio as it streams in (--play)
# (Debian: portaudio19-dev).
pkg_check_modules(PORTAUDIO REQUIRED IMPORTED_TARGET portaudio-2.0)
target_link_libraries(cosyvoice PUBLIC PkgConfig::PORTAUDIO)
