/* Writer for torch.save-style checkpoints (the zip format of PyTorch >= 1.6),
 * the counterpart of pt_load.h: what it writes, torch.load - including
 * torch.load(weights_only=True), which the reference uses for spk2info.pt -
 * and our loader read back.
 *
 * The archive holds <stem>/data.pkl, a protocol-2 pickle of (nested) dicts
 * whose leaves are tensors, each a torch._utils._rebuild_tensor_v2 call on a
 * persistent torch.<Type>Storage; one stored (uncompressed) entry
 * <stem>/data/<n> per storage, little-endian; and <stem>/version and
 * <stem>/byteorder as recent torch writes them. Only names weights_only
 * allows are used (collections.OrderedDict, _rebuild_tensor_v2, the storage
 * classes). A tensor written twice with pt_writer_same is one object in the
 * pickle, as torch.save writes a dict holding the same tensor under two keys
 * (CosyVoice's saved voices: llm_embedding and flow_embedding).
 *
 * Usage:
 *   pt_writer *w = pt_writer_new();
 *   pt_writer_dict_begin(w, false);
 *     pt_writer_key(w, "spk");
 *     pt_writer_dict_begin(w, false);
 *       pt_writer_key(w, "embedding");
 *       int e = pt_writer_tensor(w, PT_F32, 2, (int64_t[]){1, 192}, data);
 *       pt_writer_key(w, "again");
 *       pt_writer_same(w, e);
 *     pt_writer_dict_end(w);
 *   pt_writer_dict_end(w);
 *   st = pt_writer_save(w, "spk2info.pt");
 *   pt_writer_free(w);
 * Misuse (a value without a key, unbalanced dicts, a bad handle) and
 * allocation failures are remembered and reported by pt_writer_save. */
#ifndef CV_PT_WRITE_H
#define CV_PT_WRITE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/status.h"
#include "model/io/pt_load.h"

typedef struct pt_writer pt_writer;

pt_writer *pt_writer_new(void);
void pt_writer_free(pt_writer *w);

/* A dict value (the top level is one too): a plain dict, as torch.save of a
 * Python dict, or an OrderedDict (state dicts). */
void pt_writer_dict_begin(pt_writer *w, bool ordered);
void pt_writer_dict_end(pt_writer *w);
/* The key of the next value in the current dict. */
void pt_writer_key(pt_writer *w, const char *key);
/* A tensor value: ndim dims (0: a scalar), C-order contiguous data of the
 * dtype, borrowed until pt_writer_save. Returns a handle for pt_writer_same
 * (-1 after an error). */
int pt_writer_tensor(pt_writer *w, pt_dtype dtype, int ndim, const int64_t *shape,
                     const void *data);
/* A loaded tensor as the next value, in the storage type it was read from:
 * integer storages from idata (int32 copies kept by the writer), every
 * other type as float32. Returns a handle as pt_writer_tensor. */
int pt_writer_dict_tensor(pt_writer *w, const pt_tensor *t);
/* The tensor of `handle` as the next value, the same object again. */
void pt_writer_same(pt_writer *w, int handle);

/* Writes the archive to path. libzip builds it in a temporary file beside
 * path and renames it into place, so readers see the old file or the new,
 * never a partial one. The archive's folder is path's stem, as torch names it. */
cv_status pt_writer_save(pt_writer *w, const char *path);

/* A flat state dict (OrderedDict name -> tensor, like llm.pt / flow.pt),
 * each tensor written as its dtype says (float32 data, int64 idata). */
cv_status pt_write_state_dict(const char *path, const pt_dict *d);

#endif
