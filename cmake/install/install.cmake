# What `make install` (cmake --install) and the Debian package put where.
# Included by CMakeLists.txt after the programs are defined.
#
#   bin/                        cosyvoice-server, cosyvoice-client, the tools
#   share/cosyvoice-c/          run-time data (the tokenizer vocabulary,
#                               installed by cmake/tokenizer.cmake)
#   share/cosyvoice-c/proto/    the .proto files clients generate stubs from
#   share/doc/cosyvoice-c/      README, docs, examples (nginx, prompt recordings)
#   share/man/man1/             man pages made from each program's --help
#   lib/systemd/system/, etc/default/
#                               the systemd unit and its options file
#                               (cmake/install/service_files.cmake)
#
# The programs find their data beside their own bin/ (src/common/datadir.h)
# and every path that depends on the prefix is decided at install time, so
# one build installs correctly into any PREFIX, under a DESTDIR and as the
# package's /usr.
include(GNUInstallDirs)
# `cmake --install` installs what was built (make install/deb build first),
# so CPack and installs running beside tests do not start a build.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
set(CV_DOCDIR ${CMAKE_INSTALL_DATAROOTDIR}/doc/cosyvoice-c)

# Programs: every cosyvoice-* executable but the benchmarks, which stay in
# the build tree with their scripts in bench/.
get_property(cv_targets DIRECTORY ${CMAKE_SOURCE_DIR} PROPERTY BUILDSYSTEM_TARGETS)
set(CV_INSTALLED_PROGRAMS)
foreach(t ${cv_targets})
  get_target_property(type ${t} TYPE)
  if(type STREQUAL "EXECUTABLE" AND t MATCHES "^cosyvoice-" AND NOT t MATCHES "^cosyvoice-bench-")
    list(APPEND CV_INSTALLED_PROGRAMS ${t})
  endif()
endforeach()
install(TARGETS ${CV_INSTALLED_PROGRAMS} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

file(GLOB CV_PROTOS ${CMAKE_SOURCE_DIR}/proto/*.proto)
install(FILES ${CV_PROTOS} DESTINATION ${CMAKE_INSTALL_DATADIR}/cosyvoice-c/proto)

file(GLOB CV_DOCS ${CMAKE_SOURCE_DIR}/docs/*.md)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CV_DOCS} ${CMAKE_SOURCE_DIR}/deploy/debian/copyright
        DESTINATION ${CV_DOCDIR})
file(GLOB CV_PROMPTS ${CMAKE_SOURCE_DIR}/tests/data/prompts/*.wav)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/nginx/cosyvoice-lb.conf ${CV_PROMPTS}
        DESTINATION ${CV_DOCDIR}/examples)

# Debian wants the changelog compressed without a timestamp (gzip -n), so
# the package is reproducible.
set(CV_CHANGELOG_GZ ${CMAKE_BINARY_DIR}/install/changelog.gz)
add_custom_command(OUTPUT ${CV_CHANGELOG_GZ}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/install
  COMMAND gzip -9n < ${CMAKE_SOURCE_DIR}/deploy/debian/changelog > ${CV_CHANGELOG_GZ}
  DEPENDS ${CMAKE_SOURCE_DIR}/deploy/debian/changelog VERBATIM)
add_custom_target(changelog ALL DEPENDS ${CV_CHANGELOG_GZ})
install(FILES ${CV_CHANGELOG_GZ} DESTINATION ${CV_DOCDIR})

include(${CMAKE_CURRENT_LIST_DIR}/manpages.cmake)

install(CODE "set(CV_DEPLOY_DIR \"${CMAKE_SOURCE_DIR}/deploy\")
set(CV_STAGING_DIR \"${CMAKE_BINARY_DIR}/install\")")
install(SCRIPT ${CMAKE_CURRENT_LIST_DIR}/service_files.cmake)

include(${CMAKE_CURRENT_LIST_DIR}/package.cmake)
