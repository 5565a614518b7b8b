/* Internals shared by the .pt loader's parts (zip archive, pickle VM,
 * tensor materialisation). Not part of the public API. */
#ifndef CV_PT_INTERNAL_H
#define CV_PT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "model/io/pt_load.h"

/* One tensor as the pickle describes it: a view into a storage. */
typedef struct pt_tensor_ref {
    char *name;
    size_t key0_len;         /* bytes of name that are the top-level key */
    pt_dtype dtype;
    char *storage_key;       /* the archive entry is <folder>/data/<key> */
    int64_t storage_numel;   /* elements of the storage, from its persistent id */
    int64_t offset;          /* in elements */
    int ndim;
    int64_t shape[PT_MAX_DIMS];
    int64_t stride[PT_MAX_DIMS];
} pt_tensor_ref;

typedef struct pt_tensor_refs {
    pt_tensor_ref *items;
    size_t count;
} pt_tensor_refs;

/* Runs data.pkl and flattens the resulting (nested) dict into tensor refs
 * named by their '.'-joined keys. `name` prefixes error messages. */
cv_status pt_pickle_parse(const uint8_t *pkl, size_t len, const char *name, pt_tensor_refs *out);
void pt_tensor_refs_free(pt_tensor_refs *r);

/* Reads storage `key` into a fresh malloc'd buffer of exactly `nbytes`
 * bytes (the entry must hold at least that many). */
typedef cv_status (*pt_storage_reader)(void *ctx, const char *key, uint64_t nbytes, uint8_t **buf);

/* Checks every ref against its storage, reads each storage once through
 * `reader` and fills `out` with contiguous float (and int64) tensors.
 * `budget` caps the bytes allocated for storages and tensors together. */
cv_status pt_materialize(const pt_tensor_refs *refs, pt_storage_reader reader, void *ctx,
                         const char *name, uint64_t budget, pt_dict *out);

/* --- zip archive (libzip) --- */
typedef struct pt_archive pt_archive;

cv_status pt_archive_open_file(const char *path, pt_archive **out);
/* buf must outlive the archive. */
cv_status pt_archive_open_memory(const void *buf, size_t len, const char *name, pt_archive **out);
uint64_t pt_archive_size(const pt_archive *a);
/* data.pkl of the archive, malloc'd. */
cv_status pt_archive_read_pickle(pt_archive *a, uint8_t **buf, size_t *len);
/* A pt_storage_reader over the archive (ctx is the pt_archive). */
cv_status pt_archive_read_storage(void *ctx, const char *key, uint64_t nbytes, uint8_t **buf);
void pt_archive_close(pt_archive *a);

#endif
