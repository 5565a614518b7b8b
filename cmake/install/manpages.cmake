# Man pages for every installed program, made with help2man from the
# program's own --help at build time, so they never drift from it. A
# deploy/man/PROGRAM.h2m file adds sections --help does not have (FILES,
# SEE ALSO, ...). Debian: help2man.
find_program(HELP2MAN help2man REQUIRED)
set(CV_MAN_DIR ${CMAKE_BINARY_DIR}/man)
file(MAKE_DIRECTORY ${CV_MAN_DIR})

# The NAME line of each page.
set(desc_cosyvoice-server "CosyVoice-compatible streaming text-to-speech server (gRPC, HTTP)")
set(desc_cosyvoice-client "synthesize speech with a CosyVoice gRPC server into a WAV file")
set(desc_cosyvoice-synth "run a cosyvoice-c engine on text without the server")
set(desc_cosyvoice-textfe "show what the text front end makes of a text")
set(desc_cosyvoice-parity "check the neural engine against the reference implementation's outputs")
set(desc_cosyvoice-make-random-model "write a CosyVoice-300M, CosyVoice2-0.5B or Fun-CosyVoice3-0.5B model directory with random weights")
set(desc_cosyvoice-onnx-info "show what an ONNX file holds and whether cosyvoice-c can run it")
set(desc_cosyvoice-speaker "add, list and remove the saved voices (spk2info.pt) of a CosyVoice model directory")

set(CV_MAN_PAGES)
foreach(p ${CV_INSTALLED_PROGRAMS})
  if(NOT DEFINED desc_${p})
    set(desc_${p} "${p} tool of cosyvoice-c")
  endif()
  set(include_args)
  set(include_deps)
  if(EXISTS ${CMAKE_SOURCE_DIR}/deploy/man/${p}.h2m)
    set(include_args --include=${CMAKE_SOURCE_DIR}/deploy/man/${p}.h2m)
    set(include_deps ${CMAKE_SOURCE_DIR}/deploy/man/${p}.h2m)
  endif()
  set(page ${CV_MAN_DIR}/${p}.1)
  add_custom_command(OUTPUT ${page}.gz
    COMMAND ${HELP2MAN} --no-info --section=1 --version-string=${PROJECT_VERSION}
            "--name=${desc_${p}}" ${include_args} --output=${page} $<TARGET_FILE:${p}>
    COMMAND gzip -9nf ${page}
    DEPENDS ${p} ${include_deps} VERBATIM)
  list(APPEND CV_MAN_PAGES ${page}.gz)
endforeach()
add_custom_target(manpages ALL DEPENDS ${CV_MAN_PAGES})
install(FILES ${CV_MAN_PAGES} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
