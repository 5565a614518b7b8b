/* Loader for PyTorch checkpoints written by torch.save (the zip format of
 * PyTorch >= 1.6): model state dicts (llm.pt, flow.pt, hift.pt) and the
 * speaker table spk2info.pt of an unmodified CosyVoice model directory.
 *
 * The archive is read with libzip; data.pkl is run through a small pickle
 * VM that knows only the opcodes and globals torch.save emits, and every
 * tensor is materialised as a contiguous C-order float32 array. Anything
 * outside that subset is rejected with a message naming the file. */
#ifndef CV_PT_LOAD_H
#define CV_PT_LOAD_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/status.h"

#define PT_MAX_DIMS 8

/* Element types of torch storages (FloatStorage, HalfStorage, ...). */
typedef enum pt_dtype { PT_F32, PT_F16, PT_BF16, PT_F64, PT_I64, PT_I32 } pt_dtype;

size_t pt_dtype_size(pt_dtype t);
const char *pt_dtype_name(pt_dtype t);

typedef struct pt_tensor {
    char *name;          /* full key; nested dict keys joined with '.', e.g. "中文女.embedding" */
    size_t key0_len;     /* bytes of name that are the top-level key (a key may hold '.') */
    pt_dtype dtype;      /* of the storage in the file (data is float32 whatever it is) */
    int ndim;            /* 0 for a scalar (numel 1) */
    int64_t shape[PT_MAX_DIMS];
    float *data;         /* contiguous C-order float32 (converted from f32/f16/bf16/f64,
                            and from integer storages as float); never NULL */
    int64_t *idata;      /* non-NULL only for integer storages (int64/int32), contiguous */
} pt_tensor;

typedef struct pt_dict {
    pt_tensor *items;    /* in the order the pickle defines them */
    size_t count;
} pt_dict;

/* Loads any torch.save'd (nested) dict of tensors. On error *out is empty. */
cv_status pt_load(const char *path, pt_dict *out);
/* Same from bytes in memory; `name` is only used in error messages. */
cv_status pt_load_memory(const void *buf, size_t len, const char *name, pt_dict *out);

/* Number of elements of a tensor (product of its shape; 1 for a scalar). */
int64_t pt_numel(const pt_tensor *t);
/* Registers (or removes) every weight matrix of d (2 or more dimensions,
 * 4096+ elements) with nn_weights_add (nn/weights.h), so that under bf16
 * precision the products with them run in bf16; a no-op under fp32. Calls
 * must pair up; false on allocation failure. */
bool pt_weights_register(const pt_dict *d);
void pt_weights_unregister(const pt_dict *d);

/* The tensor with that exact key, or NULL. */
const pt_tensor *pt_find(const pt_dict *d, const char *name);
void pt_free(pt_dict *d);

/* Folds weight normalisation into plain weights:
 *   X.weight_g + X.weight_v                                   -> X.weight
 *   X.parametrizations.weight.original0 (g) + .original1 (v)  -> X.weight
 * with X.weight = g * v / ||v||, the norm taken over every dim of v except
 * the one g keeps (dim 0 as torch's default; other dims are recognised from
 * g's shape). The folded tensor takes the place of the first of the pair. */
cv_status pt_fold_weight_norm(pt_dict *d);

#endif
