# Smoke run of the BPE tokenizer's libFuzzer target: a fixed, seeded number
# of inputs from the seed corpus (tests/fuzz/corpus/bpe). The target is
# built with clang by its own script, whatever compiler builds the rest.
# Debian: clang, libclang-rt-dev.
find_program(CV_CLANG NAMES clang clang-14 clang-15 clang-16)
if(CV_CLANG)
  set(_fz ${CMAKE_BINARY_DIR}/fuzz)
  add_test(NAME fuzz/bpe
    COMMAND sh -c "CLANG='${CV_CLANG}' '${CMAKE_SOURCE_DIR}/tests/fuzz/build_fuzz_bpe.sh' '${_fz}' \
&& rm -rf '${_fz}/corpus-bpe' && mkdir -p '${_fz}/corpus-bpe' \
&& '${_fz}/fuzz_bpe' -runs=20000 -seed=1 '${_fz}/corpus-bpe' '${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/bpe'"
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR})
  set_tests_properties(fuzz/bpe PROPERTIES TIMEOUT 600)
else()
  message(STATUS "clang not found: fuzz/bpe test not added")
endif()
