# ONNX interpreter (src/onnx): C types for onnx.proto (Debian's libonnx-dev
# ships the schema) generated with protoc-c, compiled into the library.
find_file(ONNX_PROTO onnx.proto PATHS /usr/include/onnx NO_DEFAULT_PATH)
if(NOT ONNX_PROTO)
  message(FATAL_ERROR "onnx.proto not found: install libonnx-dev")
endif()
get_filename_component(ONNX_PROTO_DIR ${ONNX_PROTO} DIRECTORY)
add_custom_command(
  OUTPUT ${GEN_DIR}/onnx.pb-c.c ${GEN_DIR}/onnx.pb-c.h
  COMMAND ${PROTOC_C} --c_out=${GEN_DIR} -I${ONNX_PROTO_DIR} ${ONNX_PROTO}
  DEPENDS ${ONNX_PROTO})
file(GLOB ONNX_SRCS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/src/onnx/*.c)
target_sources(cosyvoice PRIVATE ${ONNX_SRCS} ${GEN_DIR}/onnx.pb-c.c)
