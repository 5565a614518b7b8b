/* .npy: magic "\x93NUMPY", version, header length, then a Python dict
 * literal {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
 * padded with spaces, then the raw data. The dict is parsed by a small
 * strict scanner that accepts exactly what numpy writes. */
#include "model/io/npy.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct scan {
    const char *p, *end;
} scan;

static void skip_ws(scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\t')) s->p++;
}

static bool accept(scan *s, char c)
{
    skip_ws(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return true;
    }
    return false;
}

/* A quoted string into buf (truncation = failure). */
static bool quoted(scan *s, char *buf, size_t cap)
{
    skip_ws(s);
    if (s->p >= s->end || (*s->p != '\'' && *s->p != '"')) return false;
    char q = *s->p++;
    size_t n = 0;
    while (s->p < s->end && *s->p != q) {
        if (n + 1 >= cap) return false;
        buf[n++] = *s->p++;
    }
    if (s->p >= s->end) return false;
    s->p++;
    buf[n] = '\0';
    return true;
}

static bool word(scan *s, const char *w)
{
    skip_ws(s);
    size_t n = strlen(w);
    if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0) return false;
    s->p += n;
    return true;
}

static bool shape_tuple(scan *s, npy_array *a)
{
    if (!accept(s, '(')) return false;
    a->ndim = 0;
    for (;;) {
        if (accept(s, ')')) return true;
        skip_ws(s);
        int64_t v = 0;
        const char *start = s->p;
        while (s->p < s->end && *s->p >= '0' && *s->p <= '9') {
            if (v > (INT64_C(1) << 48)) return false;
            v = v * 10 + (*s->p++ - '0');
        }
        if (s->p == start || a->ndim >= NPY_MAX_DIMS) return false;
        a->shape[a->ndim++] = v;
        if (!accept(s, ',')) return accept(s, ')');
    }
}

static cv_status parse_header(const char *h, size_t len, const char *name, npy_array *a,
                              bool *fortran)
{
    scan s = {h, h + len};
    bool have_descr = false, have_order = false, have_shape = false;
    char key[32], descr[16];
    if (!accept(&s, '{')) goto bad;
    while (!accept(&s, '}')) {
        if (!quoted(&s, key, sizeof key) || !accept(&s, ':')) goto bad;
        if (strcmp(key, "descr") == 0) {
            if (!quoted(&s, descr, sizeof descr)) goto bad;
            if (strcmp(descr, "<f4") == 0) a->dtype = NPY_FLOAT32;
            else if (strcmp(descr, "<i4") == 0) a->dtype = NPY_INT32;
            else if (strcmp(descr, "<i8") == 0) a->dtype = NPY_INT64;
            else
                return cv_error(CV_UNIMPLEMENTED, "%s: unsupported .npy dtype '%s' (need <f4, <i4 or <i8)", name,
                                descr);
            have_descr = true;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (word(&s, "True")) *fortran = true;
            else if (!word(&s, "False")) goto bad;
            have_order = true;
        } else if (strcmp(key, "shape") == 0) {
            if (!shape_tuple(&s, a)) goto bad;
            have_shape = true;
        } else {
            goto bad;
        }
        if (!accept(&s, ',')) {
            if (!accept(&s, '}')) goto bad;
            break;
        }
    }
    skip_ws(&s);
    if (s.p != s.end || !have_descr || !have_order || !have_shape) goto bad;
    return cv_ok();
bad:
    return cv_error(CV_INVALID_ARGUMENT, "%s: malformed .npy header", name);
}

/* element stride of dimension k in a Fortran-order array */
static size_t fortran_stride(const npy_array *a, int k)
{
    size_t s = 1;
    for (int j = 0; j < k; j++) s *= (size_t)a->shape[j];
    return s;
}

cv_status npy_load_memory(const void *buf, size_t len, const char *name, npy_array *out)
{
    memset(out, 0, sizeof *out);
    const unsigned char *b = buf;
    if (len < 10 || memcmp(b, "\x93NUMPY", 6) != 0)
        return cv_error(CV_INVALID_ARGUMENT, "%s: not a .npy file", name);
    unsigned major = b[6];
    size_t hlen, hstart;
    if (major == 1) {
        hlen = (size_t)b[8] | (size_t)b[9] << 8;
        hstart = 10;
    } else if (major == 2 || major == 3) {
        if (len < 12) return cv_error(CV_INVALID_ARGUMENT, "%s: truncated .npy header", name);
        hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        hstart = 12;
    } else {
        return cv_error(CV_UNIMPLEMENTED, "%s: unsupported .npy version %u", name, major);
    }
    if (hlen > len - hstart) return cv_error(CV_INVALID_ARGUMENT, "%s: truncated .npy header", name);
    npy_array a = {0};
    bool fortran = false;
    cv_status st = parse_header((const char *)b + hstart, hlen, name, &a, &fortran);
    if (!cv_is_ok(&st)) return st;
    uint64_t count = 1;
    for (int k = 0; k < a.ndim; k++) {
        if (a.shape[k] && count > (UINT64_C(1) << 48) / (uint64_t)a.shape[k])
            return cv_error(CV_INVALID_ARGUMENT, "%s: .npy shape too large", name);
        count *= (uint64_t)a.shape[k];
    }
    size_t item = a.dtype == NPY_INT64 ? 8 : 4;
    size_t data_len = len - hstart - hlen;
    if (count * item != data_len)
        return cv_error(CV_INVALID_ARGUMENT, "%s: .npy data holds %zu bytes, shape needs %llu", name, data_len,
                        (unsigned long long)(count * item));
    a.count = (size_t)count;
    a.data = malloc(count ? count * sizeof(float) : sizeof(float));
    if (a.dtype != NPY_FLOAT32) a.idata = malloc(count ? count * sizeof(int64_t) : sizeof(int64_t));
    if (!a.data || (a.dtype != NPY_FLOAT32 && !a.idata)) {
        npy_free(&a);
        return cv_error(CV_RESOURCE_EXHAUSTED, "%s: out of memory", name);
    }
    const unsigned char *d = b + hstart + hlen;
    for (size_t i = 0; i < a.count; i++) {
        /* element i in C order sits at offset fortran_offset(i) in a
         * Fortran-order file (first index fastest) */
        size_t src = i;
        if (fortran) {
            size_t rest = i;
            src = 0;
            for (int k = a.ndim - 1; k >= 0; k--) {
                size_t ext = (size_t)a.shape[k];
                size_t idx = rest % ext;
                rest /= ext;
                src += idx * fortran_stride(&a, k);
            }
        }
        const unsigned char *p = d + src * item;
        uint64_t u = 0;
        for (size_t k = item; k-- > 0;) u = (u << 8) | p[k];
        if (a.dtype == NPY_FLOAT32) {
            uint32_t u32 = (uint32_t)u;
            memcpy(&a.data[i], &u32, sizeof(float));
        } else {
            int64_t v = a.dtype == NPY_INT32 ? (int64_t)(int32_t)(uint32_t)u : (int64_t)u;
            a.idata[i] = v;
            a.data[i] = (float)v;
        }
    }
    *out = a;
    return cv_ok();
}

cv_status npy_load(const char *path, npy_array *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return cv_error(errno == ENOENT ? CV_NOT_FOUND : CV_INVALID_ARGUMENT, "%s: cannot open: %s", path,
                        strerror(errno));
    struct stat sb;
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        fclose(f);
        return cv_error(CV_INVALID_ARGUMENT, "%s: not a regular file", path);
    }
    size_t n = (size_t)sb.st_size;
    void *buf = malloc(n ? n : 1);
    if (!buf) {
        fclose(f);
        return cv_error(CV_RESOURCE_EXHAUSTED, "%s: out of memory", path);
    }
    size_t got = fread(buf, 1, n, f);
    fclose(f);
    cv_status st = got == n ? npy_load_memory(buf, n, path, out)
                            : cv_error(CV_INVALID_ARGUMENT, "%s: read error", path);
    free(buf);
    return st;
}

void npy_free(npy_array *a)
{
    if (!a) return;
    free(a->data);
    free(a->idata);
    a->data = NULL;
    a->idata = NULL;
    a->count = 0;
}
