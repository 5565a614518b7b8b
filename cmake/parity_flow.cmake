# Parity of the flow (speech tokens -> mel) against the golden tiny model.
enable_testing()
add_test(NAME parity/flow
  COMMAND cosyvoice-parity --golden tests/data/golden/cosyvoice-v1-tiny --only flow
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
