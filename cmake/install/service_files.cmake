# Install-time part of the install (install(SCRIPT)): the systemd unit, its
# options file and, for /usr, the sysusers.d entry of the package's user.
# CMAKE_INSTALL_PREFIX is the prefix being installed to now (`make install
# PREFIX=...`, CPack's /usr), not the configured one, so the unit's paths
# are rewritten here. Prefix /usr gets the Debian layout: /etc/default and
# /lib/systemd/system; any other prefix keeps everything under it
# (systemd also reads <prefix>/lib/systemd/system for /usr/local).
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  set(etc /etc)
  set(unitdir /lib/systemd/system)
else()
  set(etc ${CMAKE_INSTALL_PREFIX}/etc)
  set(unitdir ${CMAKE_INSTALL_PREFIX}/lib/systemd/system)
endif()

# deploy/systemd/cosyvoice-server.service is written for /usr.
file(READ ${CV_DEPLOY_DIR}/systemd/cosyvoice-server.service unit)
string(REPLACE "/usr/bin/" "${CMAKE_INSTALL_PREFIX}/bin/" unit "${unit}")
string(REPLACE "/etc/default/" "${etc}/default/" unit "${unit}")
# One staging file per destination: installs running at once (tests, make
# deb) must not write each other's.
string(MD5 dest "$ENV{DESTDIR}|${CMAKE_INSTALL_PREFIX}")
set(staged ${CV_STAGING_DIR}/unit-${dest}/cosyvoice-server.service)
file(WRITE ${staged} "${unit}")

# file(INSTALL) prepends DESTDIR and records the files in the manifest.
file(INSTALL DESTINATION ${unitdir} TYPE FILE FILES ${staged})
file(INSTALL DESTINATION ${etc}/default TYPE FILE
     FILES ${CV_DEPLOY_DIR}/systemd/cosyvoice-server.default RENAME cosyvoice-server)
if(CMAKE_INSTALL_PREFIX STREQUAL "/usr")
  file(INSTALL DESTINATION /usr/lib/sysusers.d TYPE FILE
       FILES ${CV_DEPLOY_DIR}/systemd/cosyvoice-c.sysusers RENAME cosyvoice-c.conf)
endif()
