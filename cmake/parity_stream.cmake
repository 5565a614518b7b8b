# Parity of the streaming token-to-audio path (flow + vocoder with caches,
# chunk schedule) against the golden tiny model.
enable_testing()
add_test(NAME parity/stream
  COMMAND cosyvoice-parity --golden tests/data/golden/cosyvoice-v1-tiny --only stream
  WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
