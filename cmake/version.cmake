# The project version (CMakeLists.txt's project(... VERSION)) is compiled
# into src/common/version.c only, so a version bump rebuilds one file.
set_property(SOURCE ${CMAKE_SOURCE_DIR}/src/common/version.c APPEND PROPERTY
             COMPILE_DEFINITIONS CV_PROJECT_VERSION="${PROJECT_VERSION}")
