/* Shared helpers of cosyvoice-make-random-model; see random_dir.h. */
#include "random_dir.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "model/io/pt_write.h"

int rd_fail(const char *what, cv_status st)
{
    fprintf(stderr, "cosyvoice-make-random-model: %s: %s\n", what, st.message);
    return 1;
}

int rd_close_text(FILE *f, int r, const char *path)
{
    if (f && fclose(f) != 0) r = -1;
    if (!f || r < 0) perror(path);
    return !f || r < 0;
}

static size_t numel(const pt_dict *d)
{
    size_t n = 0;
    for (size_t i = 0; i < d->count; i++) n += (size_t)pt_numel(&d->items[i]);
    return n;
}

int rd_write_dict(const char *dir, const char *file, pt_dict *d)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    cv_status st = pt_write_state_dict(path, d);
    printf("%-24s %zu tensors, %.1f M parameters\n", file, d->count, (double)numel(d) / 1e6);
    pt_free(d);
    return cv_is_ok(&st) ? 0 : rd_fail(path, st);
}

int rd_copy_file(const char *src, const char *dst)
{
    FILE *in = fopen(src, "rb");
    if (!in) {
        fprintf(stderr, "cosyvoice-make-random-model: %s: %s (--source names the source tree "
                        "it is copied from)\n", src, strerror(errno));
        return 1;
    }
    FILE *out = fopen(dst, "wb");
    int rc = out ? 0 : 1;
    char buf[1 << 16];
    size_t n;
    while (!rc && (n = fread(buf, 1, sizeof buf, in)) > 0)
        if (fwrite(buf, 1, n, out) != n) rc = 1;
    if (ferror(in)) rc = 1;
    fclose(in);
    if (out && fclose(out) != 0) rc = 1;
    if (rc) fprintf(stderr, "cosyvoice-make-random-model: %s: %s\n", dst, strerror(errno));
    return rc;
}
