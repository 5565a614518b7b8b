# The Debian package (`make deb`): CPack's DEB generator over the same
# install rules, as /usr. Dependencies come from the shared libraries the
# programs link (dpkg-shlibdeps), plus adduser for the maintainer scripts.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cosyvoice-c)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
# The package's Maintainer field, and the address of deploy/debian/changelog's
# entries: a placeholder (RFC 2606 .invalid) until the project names one.
set(CV_PACKAGE_MAINTAINER "cosyvoice-c developers <dev@cosyvoice-c.invalid>" CACHE STRING
    "Maintainer of the Debian package: Name <address>")
set(CPACK_PACKAGE_CONTACT "${CV_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "CosyVoice-compatible streaming text-to-speech server (gRPC, HTTP)")
# The extended description under the summary line (CPack indents it).
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION "An independent C implementation of the CosyVoice text-to-speech service
and its gRPC streaming API: existing CosyVoice clients work against
cosyvoice-server unchanged. It streams 16-bit PCM while it synthesizes,
with a built-in espeak-ng/flite engine that needs no model files and a
native neural engine that loads unmodified CosyVoice-300M, CosyVoice2-0.5B
and Fun-CosyVoice3-0.5B model directories. An optional HTTP port serves
the reference FastAPI routes, an OpenAI-compatible speech endpoint and a
web page. Also cosyvoice-client, a command-line client that writes or
plays the stream, tools, and a hardened systemd unit.")
set(CPACK_DEBIAN_PACKAGE_SECTION sound)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT) # cosyvoice-c_VERSION_ARCH.deb
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${CMAKE_SOURCE_DIR}/deploy/debian/postinst
    ${CMAKE_SOURCE_DIR}/deploy/debian/prerm
    ${CMAKE_SOURCE_DIR}/deploy/debian/postrm
    ${CMAKE_SOURCE_DIR}/deploy/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
# The unit and its options file go to absolute /lib and /etc
# (service_files.cmake): install with DESTDIR and the real prefix.
set(CPACK_SET_DESTDIR ON)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_INSTALL_PREFIX /usr) # the prefix used with CPACK_SET_DESTDIR
include(CPack)
