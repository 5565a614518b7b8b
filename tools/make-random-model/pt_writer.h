/* A small writer for torch.save-style checkpoints (the zip format of
 * PyTorch >= 1.6): a pickle (protocol 2) of the dict with each tensor a
 * torch._utils._rebuild_tensor_v2 call on a persistent FloatStorage, and
 * one stored (uncompressed) zip entry per storage, little-endian float32.
 * Only what model/io/pt_load.c reads back is written. */
#ifndef CV_TOOLS_PT_WRITER_H
#define CV_TOOLS_PT_WRITER_H

#include "common/status.h"
#include "model/io/pt_load.h"

/* A flat state dict (OrderedDict name -> tensor), like llm.pt / flow.pt. */
cv_status pt_write_state_dict(const char *path, const pt_dict *d);

/* spk2info.pt: {name: {'embedding': tensor [1, dim]}}. */
cv_status pt_write_spk2info(const char *path, const char *const *names,
                            const float *const *embeddings, int n, int dim);

#endif
