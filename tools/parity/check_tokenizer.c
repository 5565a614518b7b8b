/* Parity of the text tokenizer: every tokenizer-*.json case file of the
 * golden directory (text -> ids computed by the reference, see
 * text/bpe_parity.h) against the tokenizer of the directory's family
 * (model/frontend/text_tokenizer.h). A case's error is "differs or not";
 * the line's figure is the number of cases that differ. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/frontend/text_tokenizer.h"
#include "parity.h"
#include "text/bpe_parity.h"

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_tokenizer(parity_ctx *ctx)
{
    DIR *d = opendir(ctx->dir);
    char *files[32];
    size_t n_files = 0;
    for (struct dirent *e; d && (e = readdir(d)) && n_files < 32;) {
        size_t len = strlen(e->d_name);
        if (!strncmp(e->d_name, "tokenizer-", 10) && len > 15 &&
            !strcmp(e->d_name + len - 5, ".json"))
            files[n_files++] = strdup(e->d_name);
    }
    if (d) closedir(d);
    if (n_files == 0) {
        parity_skip(ctx, "tokenizer", "no tokenizer-*.json cases");
        return;
    }
    qsort(files, n_files, sizeof *files, by_name);
    bpe_tokenizer *tok = NULL;
    cv_status st = cv_text_tokenizer_load(ctx->dir, ctx->family, NULL, &tok);
    for (size_t i = 0; i < n_files; i++) {
        char path[4096], name[64];
        snprintf(name, sizeof name, "tokenizer_%.*s", (int)(strlen(files[i]) - 15),
                 files[i] + 10);
        if (!tok) {
            parity_fail(ctx, name, st.message);
            continue;
        }
        size_t n = 0, failed = 0;
        cv_status cs = bpe_check_cases(tok, parity_path(ctx, files[i], path, sizeof path), &n,
                                       &failed);
        if (!cv_is_ok(&cs)) {
            parity_fail(ctx, name, cs.message);
            continue;
        }
        printf("%s: %zu of %zu cases identical (%zu ids, %zu of them BPE tokens)\n", name,
               n - failed, n, bpe_vocab_size(tok), bpe_mergeable_count(tok));
        if (n == 0) parity_fail(ctx, name, "no cases");
        else parity_report(ctx, name, (double)failed);
    }
    for (size_t i = 0; i < n_files; i++) free(files[i]);
    bpe_tokenizer_free(tok);
}

const parity_group parity_group_tokenizer = {"tokenizer", CV_FAMILY_V1 | CV_FAMILY_V2 | CV_FAMILY_V3,
                                             run_tokenizer};
