/* The pieces of cosyvoice-make-random-model every model family uses: error
 * reporting, writing a state dict as a .pt file, and a text file. Each
 * family's writer (dir_v1.c, dir_v2v3.c) builds its configuration from the
 * yaml it wrote -- the loaders' own parsers -- so the weights always have
 * the shapes the engine will ask for. */
#ifndef CV_TOOLS_RANDOM_DIR_H
#define CV_TOOLS_RANDOM_DIR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/status.h"
#include "model/io/pt_load.h"

typedef struct random_dir_options {
    const char *dir;    /* output directory (created) */
    int family;         /* 1, 2 or 3 */
    bool small;         /* v2/v3: test sizes instead of the official ones */
    uint64_t seed;
    int n_speakers;
    const char *source; /* v2/v3: the source tree the tokenizer files and the
                           ONNX stand-ins are copied from */
} random_dir_options;

/* Prints "cosyvoice-make-random-model: what: message"; returns 1. */
int rd_fail(const char *what, cv_status st);
/* Writes d as dir/file (torch.save zip layout), prints its size, frees it;
 * 0 or 1 as rd_fail. */
int rd_write_dict(const char *dir, const char *file, pt_dict *d);
/* Closes a text file just written (f NULL: fopen failed; r < 0: a write
 * failed); 0, or 1 with the error printed against path. */
int rd_close_text(FILE *f, int r, const char *path);
/* Copies the file src to dst; 0 or 1 (message printed). */
int rd_copy_file(const char *src, const char *dst);

int make_dir_v1(const random_dir_options *o);
int make_dir_v2v3(const random_dir_options *o);

#endif
