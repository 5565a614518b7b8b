/* Byte-buffer helpers shared by the gRPC server and client. */
#ifndef CV_GRPC_BYTES_H
#define CV_GRPC_BYTES_H

#include <grpc/byte_buffer.h>
#include <stddef.h>
#include <stdint.h>

/* Flattens a received byte buffer into one malloc'ed block. */
uint8_t *grpc_bytes_flatten(grpc_byte_buffer *bb, size_t *len);
/* Wraps a serialized message (copied) into a new byte buffer. */
grpc_byte_buffer *grpc_bytes_wrap(const uint8_t *data, size_t len);

#endif
