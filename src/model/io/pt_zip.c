/* The zip side of a torch.save archive, read with libzip.
 *
 * torch.save writes every record uncompressed under one top folder whose
 * name varies ("llm/", "archive/", ...): <folder>/data.pkl holds the
 * pickle, <folder>/data/<key> the raw little-endian storages, and newer
 * versions add <folder>/byteorder and <folder>/version. The archive is
 * opened with ZIP_CHECKCONS and every entry is read to its end so libzip
 * verifies the CRC; sizes are checked before anything is allocated. */
#include "model/io/pt_internal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zip.h>

/* data.pkl of a real checkpoint is a few hundred KiB; anything past this
 * is not a torch state dict. */
#define PT_MAX_PICKLE_BYTES (32u << 20)

struct pt_archive {
    zip_t *zip;
    char *name;       /* for messages */
    char *prefix;     /* the folder holding data.pkl, with its '/', or "" */
    uint64_t size;    /* bytes of the archive itself */
};

uint64_t pt_archive_size(const pt_archive *a) { return a->size; }

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static cv_status zip_failure(const char *name, const char *what, zip_error_t *ze)
{
    cv_status s = cv_error(CV_INVALID_ARGUMENT, "%s: %s: %s", name, what, zip_error_strerror(ze));
    zip_error_fini(ze);
    return s;
}

/* Finds the single folder that holds data.pkl. */
static cv_status find_prefix(pt_archive *a)
{
    zip_int64_t n = zip_get_num_entries(a->zip, 0);
    const char *found = NULL;
    size_t found_len = 0;
    for (zip_int64_t i = 0; i < n; i++) {
        const char *nm = zip_get_name(a->zip, (zip_uint64_t)i, ZIP_FL_ENC_RAW);
        if (!nm) continue;
        size_t len = strlen(nm);
        static const char tail[] = "data.pkl";
        size_t tl = sizeof tail - 1;
        if (len < tl || strcmp(nm + len - tl, tail) != 0) continue;
        size_t plen = len - tl;
        /* "data.pkl" at the top, or "<folder>/data.pkl" with one folder. */
        if (plen > 0) {
            if (nm[plen - 1] != '/' || plen == 1) continue;
            if (memchr(nm, '/', plen - 1)) continue;
        }
        if (found)
            return cv_error(CV_INVALID_ARGUMENT, "%s: zip archive holds several data.pkl records", a->name);
        found = nm;
        found_len = plen;
    }
    if (!found)
        return cv_error(CV_INVALID_ARGUMENT,
                        "%s: zip archive has no data.pkl (not a torch.save checkpoint)", a->name);
    a->prefix = malloc(found_len + 1);
    if (!a->prefix) return cv_error(CV_RESOURCE_EXHAUSTED, "%s: out of memory", a->name);
    memcpy(a->prefix, found, found_len);
    a->prefix[found_len] = '\0';
    return cv_ok();
}

/* Reads entry `entry` (name inside the folder). If `want` is not
 * UINT64_MAX exactly that many leading bytes are kept (the entry must hold
 * at least that many); otherwise the whole entry, at most `max` bytes. */
static cv_status read_entry(pt_archive *a, const char *entry, uint64_t want, uint64_t max,
                            uint8_t **buf, uint64_t *got)
{
    *buf = NULL;
    size_t nlen = strlen(a->prefix) + strlen(entry) + 1;
    char *full = malloc(nlen);
    if (!full) return cv_error(CV_RESOURCE_EXHAUSTED, "%s: out of memory", a->name);
    snprintf(full, nlen, "%s%s", a->prefix, entry);

    cv_status st = cv_ok();
    zip_file_t *zf = NULL;
    uint8_t *data = NULL;
    zip_int64_t idx = zip_name_locate(a->zip, full, ZIP_FL_ENC_RAW);
    zip_stat_t zs;
    if (idx < 0) {
        st = cv_error(CV_INVALID_ARGUMENT, "%s: zip archive has no record %s", a->name, full);
        goto out;
    }
    if (zip_stat_index(a->zip, (zip_uint64_t)idx, 0, &zs) != 0 || !(zs.valid & ZIP_STAT_SIZE)) {
        st = cv_error(CV_INVALID_ARGUMENT, "%s: cannot stat zip record %s", a->name, full);
        goto out;
    }
    uint64_t keep = want;
    if (want == UINT64_MAX) {
        if (zs.size > max) {
            st = cv_error(CV_INVALID_ARGUMENT, "%s: zip record %s is too large (%llu bytes)",
                          a->name, full, (unsigned long long)zs.size);
            goto out;
        }
        keep = zs.size;
    } else if (zs.size < want) {
        st = cv_error(CV_INVALID_ARGUMENT,
                      "%s: storage %s holds %llu bytes but its pickle record needs %llu",
                      a->name, full, (unsigned long long)zs.size, (unsigned long long)want);
        goto out;
    }
    data = malloc(keep ? keep : 1);
    if (!data) {
        st = cv_error(CV_RESOURCE_EXHAUSTED, "%s: out of memory reading %s (%llu bytes)",
                      a->name, full, (unsigned long long)keep);
        goto out;
    }
    zf = zip_fopen_index(a->zip, (zip_uint64_t)idx, 0);
    if (!zf) {
        st = cv_error(CV_INVALID_ARGUMENT, "%s: cannot open zip record %s: %s", a->name, full,
                      zip_strerror(a->zip));
        goto out;
    }
    uint64_t done = 0;
    while (done < keep) {
        zip_int64_t r = zip_fread(zf, data + done, keep - done);
        if (r < 0) {
            st = cv_error(CV_INVALID_ARGUMENT, "%s: reading zip record %s: %s", a->name, full,
                          zip_file_strerror(zf));
            goto out;
        }
        if (r == 0) {
            st = cv_error(CV_INVALID_ARGUMENT, "%s: zip record %s is truncated (%llu of %llu bytes)",
                          a->name, full, (unsigned long long)done, (unsigned long long)keep);
            goto out;
        }
        done += (uint64_t)r;
    }
    /* Drain the rest so libzip reaches the end and checks the CRC. */
    for (;;) {
        uint8_t scratch[4096];
        zip_int64_t r = zip_fread(zf, scratch, sizeof scratch);
        if (r < 0) {
            st = cv_error(CV_INVALID_ARGUMENT, "%s: reading zip record %s: %s", a->name, full,
                          zip_file_strerror(zf));
            goto out;
        }
        if (r == 0) break;
    }
    *buf = data;
    data = NULL;
    if (got) *got = keep;
out:
    if (zf) zip_fclose(zf);
    free(data);
    free(full);
    return st;
}

static cv_status check_byteorder(pt_archive *a)
{
    size_t nlen = strlen(a->prefix) + sizeof "byteorder";
    char *full = malloc(nlen);
    if (!full) return cv_error(CV_RESOURCE_EXHAUSTED, "%s: out of memory", a->name);
    snprintf(full, nlen, "%sbyteorder", a->prefix);
    zip_int64_t idx = zip_name_locate(a->zip, full, ZIP_FL_ENC_RAW);
    free(full);
    if (idx < 0) return cv_ok(); /* older archives: always little-endian */
    uint8_t *b = NULL;
    uint64_t n = 0;
    cv_status st = read_entry(a, "byteorder", UINT64_MAX, 64, &b, &n);
    if (!cv_is_ok(&st)) return st;
    bool little = n == 6 && memcmp(b, "little", 6) == 0;
    free(b);
    if (!little)
        return cv_error(CV_UNIMPLEMENTED, "%s: only little-endian checkpoints are supported", a->name);
    return cv_ok();
}

static cv_status finish_open(pt_archive *a, pt_archive **out)
{
    cv_status st = find_prefix(a);
    if (cv_is_ok(&st)) st = check_byteorder(a);
    if (!cv_is_ok(&st)) {
        pt_archive_close(a);
        return st;
    }
    *out = a;
    return cv_ok();
}

static pt_archive *new_archive(const char *name)
{
    pt_archive *a = calloc(1, sizeof *a);
    if (!a) return NULL;
    a->name = dup_str(name);
    if (!a->name) {
        free(a);
        return NULL;
    }
    return a;
}

cv_status pt_archive_open_file(const char *path, pt_archive **out)
{
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return cv_error(errno == ENOENT ? CV_NOT_FOUND : CV_INVALID_ARGUMENT, "%s: cannot open: %s",
                        path, strerror(errno));
    if (!S_ISREG(sb.st_mode)) return cv_error(CV_INVALID_ARGUMENT, "%s: not a regular file", path);
    pt_archive *a = new_archive(path);
    if (!a) return cv_error(CV_RESOURCE_EXHAUSTED, "%s: out of memory", path);
    a->size = (uint64_t)sb.st_size;
    int err = 0;
    a->zip = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &err);
    if (!a->zip) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, err);
        pt_archive_close(a);
        return zip_failure(path, "not a readable zip archive", &ze);
    }
    return finish_open(a, out);
}

cv_status pt_archive_open_memory(const void *buf, size_t len, const char *name, pt_archive **out)
{
    *out = NULL;
    pt_archive *a = new_archive(name);
    if (!a) return cv_error(CV_RESOURCE_EXHAUSTED, "%s: out of memory", name);
    a->size = len;
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(len ? buf : NULL, len, 0, &ze);
    if (!src) {
        pt_archive_close(a);
        return zip_failure(name, "cannot read buffer", &ze);
    }
    a->zip = zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &ze);
    if (!a->zip) {
        zip_source_free(src);
        pt_archive_close(a);
        return zip_failure(name, "not a readable zip archive", &ze);
    }
    zip_error_fini(&ze);
    return finish_open(a, out);
}

cv_status pt_archive_read_pickle(pt_archive *a, uint8_t **buf, size_t *len)
{
    uint64_t n = 0;
    cv_status st = read_entry(a, "data.pkl", UINT64_MAX, PT_MAX_PICKLE_BYTES, buf, &n);
    if (cv_is_ok(&st)) *len = (size_t)n;
    return st;
}

cv_status pt_archive_read_storage(void *ctx, const char *key, uint64_t nbytes, uint8_t **buf)
{
    pt_archive *a = ctx;
    size_t klen = strlen(key);
    char *entry = malloc(klen + sizeof "data/");
    if (!entry) return cv_error(CV_RESOURCE_EXHAUSTED, "%s: out of memory", a->name);
    memcpy(entry, "data/", 5);
    memcpy(entry + 5, key, klen + 1);
    cv_status st = read_entry(a, entry, nbytes, 0, buf, NULL);
    free(entry);
    return st;
}

void pt_archive_close(pt_archive *a)
{
    if (!a) return;
    if (a->zip) zip_discard(a->zip);
    free(a->prefix);
    free(a->name);
    free(a);
}
