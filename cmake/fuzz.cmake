# Fuzz smoke runs of the model loaders: each ctest entry builds its libFuzzer
# target with clang (tests/fuzz/build_fuzzers.sh) and runs it over the seed
# corpus for a fixed number of runs and seed. clang is required (installed by
# .ci/run); the test fails with a clear message without it.
foreach(t pt_load pt_pickle yaml_config npy)
  add_test(NAME fuzz/${t}
    COMMAND sh ${CMAKE_SOURCE_DIR}/tests/fuzz/run_fuzzer.sh ${CMAKE_BINARY_DIR}/fuzz ${t} 20000)
  set_tests_properties(fuzz/${t} PROPERTIES TIMEOUT 600)
endforeach()
