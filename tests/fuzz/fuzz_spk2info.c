/* libFuzzer target: a spk2info.pt's data.pkl and storages, through the
 * speaker table's layout checks. Input: a 2-byte little-endian pickle
 * length, the pickle, then the storages' bytes in the order they are read
 * (by key, as strings sort; zeros past the end), so the fuzzer controls the
 * values the checks look at (token ids, *_len) - mutated zips rarely get
 * past libzip's CRC checks. Whatever the table accepts must save and read
 * back to the same voices. Must never crash, leak or read out of bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/io/pt_internal.h"
#include "model/io/spk2info.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct pool {
    const uint8_t *p;
    size_t n, at;
} pool;

static cv_status pool_storage(void *ctx, const char *key, uint64_t nbytes, uint8_t **buf)
{
    (void)key;
    pool *s = ctx;
    *buf = calloc(nbytes ? nbytes : 1, 1);
    if (!*buf) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    const size_t take = s->n - s->at < nbytes ? s->n - s->at : (size_t)nbytes;
    memcpy(*buf, s->p + s->at, take);
    s->at += take;
    return cv_ok();
}

static char g_path[64];

static void remove_file(void) { unlink(g_path); }

static int same_voice(const spk_voice *a, const spk_voice *b)
{
    return !strcmp(a->name, b->name) && a->has_prompt == b->has_prompt &&
           !a->embedding == !b->embedding && a->embedding_dim == b->embedding_dim &&
           a->n_flow_tokens == b->n_flow_tokens && a->n_llm_tokens == b->n_llm_tokens &&
           a->n_prompt_text == b->n_prompt_text && a->feat_frames == b->feat_frames &&
           a->feat_dim == b->feat_dim && a->n_extra == b->n_extra &&
           (!a->n_flow_tokens ||
            !memcmp(a->flow_tokens, b->flow_tokens, sizeof(int32_t) * (size_t)a->n_flow_tokens));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!g_path[0]) {
        snprintf(g_path, sizeof g_path, "/tmp/fuzz_spk2info_%d.pt", (int)getpid());
        atexit(remove_file);
    }
    if (size < 2) return 0;
    const size_t plen = (size_t)data[0] | (size_t)data[1] << 8;
    if (plen > size - 2) return 0;
    pt_tensor_refs refs;
    cv_status s = pt_pickle_parse(data + 2, plen, "fuzz.pkl", &refs);
    if (!cv_is_ok(&s)) return 0;
    pool storages = {data + 2 + plen, size - 2 - plen, 0};
    pt_dict d;
    s = pt_materialize(&refs, pool_storage, &storages, "fuzz.pkl", 16u << 20, &d);
    pt_tensor_refs_free(&refs);
    if (!cv_is_ok(&s)) return 0;
    spk_table t = {0};
    s = spk_table_add_dict(&t, &d, "fuzz.pkl");
    pt_free(&d);
    if (cv_is_ok(&s) && t.count) {
        spk_table back = {0};
        s = spk_table_save(&t, g_path);
        if (cv_is_ok(&s)) s = spk_table_load(&back, g_path);
        if (!cv_is_ok(&s) || back.count != t.count) abort();
        for (size_t i = 0; i < t.count; i++)
            if (!same_voice(&t.items[i], &back.items[i])) abort();
        spk_table_free(&back);
    }
    spk_table_free(&t);
    return 0;
}
