# Parity against the reference implementation's golden data (tools/parity).
add_test(NAME parity/hift
  COMMAND cosyvoice-parity --golden ${CMAKE_SOURCE_DIR}/tests/data/golden/cosyvoice-v1-tiny
          --only hift)
set_tests_properties(parity/hift PROPERTIES
  ENVIRONMENT "CV_SOURCE_DIR=${CMAKE_SOURCE_DIR};CV_BUILD_DIR=${CMAKE_BINARY_DIR}")
