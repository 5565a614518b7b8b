/* spk2info.pt in the reference's layouts; see spk2info.h. */
#include "model/io/spk2info.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/io/pt_write.h"

/* The reference's keys, in the order frontend_zero_shot makes them. */
enum key {
    K_PROMPT_TEXT, K_PROMPT_TEXT_LEN, K_LLM_TOKEN, K_LLM_TOKEN_LEN, K_FLOW_TOKEN, K_FLOW_TOKEN_LEN,
    K_FEAT, K_FEAT_LEN, K_LLM_EMB, K_FLOW_EMB, K_EMBEDDING, N_KEYS
};
static const char *const KEY_NAMES[N_KEYS] = {
    "prompt_text", "prompt_text_len", "llm_prompt_speech_token", "llm_prompt_speech_token_len",
    "flow_prompt_speech_token", "flow_prompt_speech_token_len", "prompt_speech_feat",
    "prompt_speech_feat_len", "llm_embedding", "flow_embedding", "embedding",
};

void spk_voice_free(spk_voice *v)
{
    if (!v) return;
    free(v->name);
    free(v->embedding);
    free(v->prompt_text);
    free(v->llm_tokens);
    free(v->flow_tokens);
    free(v->prompt_feat);
    free(v->llm_embedding);
    free(v->flow_embedding);
    pt_dict extra = {v->extra, v->n_extra};
    pt_free(&extra);
    memset(v, 0, sizeof *v);
}

void spk_table_free(spk_table *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->count; i++) spk_voice_free(&t->items[i]);
    free(t->items);
    for (size_t i = 0; i < t->n_sources; i++) free(t->sources[i]);
    free(t->sources);
    memset(t, 0, sizeof *t);
}

const spk_voice *spk_table_find(const spk_table *t, const char *name)
{
    for (size_t i = 0; i < t->count; i++)
        if (!strcmp(t->items[i].name, name)) return &t->items[i];
    return NULL;
}

static cv_status oom(void) { return cv_error(CV_RESOURCE_EXHAUSTED, "speaker table: out of memory"); }

static cv_status append(spk_table *t, spk_voice *v)
{
    spk_voice *items = realloc(t->items, (t->count + 1) * sizeof *items);
    if (!items) return oom();
    t->items = items;
    t->items[t->count++] = *v;
    memset(v, 0, sizeof *v);
    return cv_ok();
}

cv_status spk_table_put(spk_table *t, spk_voice *v, bool replace)
{
    for (size_t i = 0; i < t->count; i++) {
        if (strcmp(t->items[i].name, v->name)) continue;
        if (!replace)
            return cv_error(CV_ALREADY_EXISTS, "a voice named '%s' exists already (in %s)", v->name,
                            t->items[i].source ? t->items[i].source : "the table");
        spk_voice_free(&t->items[i]);
        t->items[i] = *v;
        memset(v, 0, sizeof *v);
        return cv_ok();
    }
    return append(t, v);
}

bool spk_table_remove(spk_table *t, const char *name)
{
    for (size_t i = 0; i < t->count; i++) {
        if (strcmp(t->items[i].name, name)) continue;
        spk_voice_free(&t->items[i]);
        memmove(&t->items[i], &t->items[i + 1], (t->count - i - 1) * sizeof *t->items);
        t->count--;
        return true;
    }
    return false;
}

/* ---- loading ---------------------------------------------------------------- */

typedef struct entry {
    const pt_tensor *key[N_KEYS];
} entry;

static bool is_int(const pt_tensor *t) { return t->idata && (t->dtype == PT_I32 || t->dtype == PT_I64); }

/* Number of elements of a batch of one ([1, n] / [n], or [1, n, d] with
 * *rows for a 3-D feature); -1 if it is not that shape. */
static int64_t row_len(const pt_tensor *t)
{
    if (t->ndim == 1) return t->shape[0];
    if (t->ndim == 2 && t->shape[0] == 1) return t->shape[1];
    return -1;
}

#define BAD(...) cv_error(CV_INVALID_ARGUMENT, __VA_ARGS__)

static cv_status copy_ints(const char *path, const char *spk, const pt_tensor *t, const pt_tensor *len,
                           int32_t **out, int *n)
{
    const char *k = t->name + t->key0_len + 1;
    const int64_t m = row_len(t);
    if (!is_int(t) || m < 0 || m > INT32_MAX / 4)
        return BAD("%s: speaker '%s': %s is not an integer [1, N] tensor", path, spk, k);
    if (len) {
        if (!is_int(len) || pt_numel(len) != 1)
            return BAD("%s: speaker '%s': %s is not a one-element integer tensor", path, spk,
                       len->name + len->key0_len + 1);
        if (len->idata[0] != m)
            return BAD("%s: speaker '%s': %s says %lld, %s holds %lld", path, spk,
                       len->name + len->key0_len + 1, (long long)len->idata[0], k, (long long)m);
    }
    *out = malloc(sizeof(int32_t) * (size_t)(m ? m : 1));
    if (!*out) return oom();
    for (int64_t i = 0; i < m; i++) {
        if (t->idata[i] < 0 || t->idata[i] > INT32_MAX)
            return BAD("%s: speaker '%s': %s[%lld] is %lld", path, spk, k, (long long)i,
                       (long long)t->idata[i]);
        (*out)[i] = (int32_t)t->idata[i];
    }
    *n = (int)m;
    return cv_ok();
}

static cv_status copy_vector(const char *path, const char *spk, const pt_tensor *t, float **out,
                             int *dim)
{
    const int64_t m = row_len(t);
    if (is_int(t) || m < 1 || m > 65536)
        return BAD("%s: speaker '%s': %s is not a float [1, D] tensor", path, spk,
                   t->name + t->key0_len + 1);
    if (*dim && *dim != m)
        return BAD("%s: speaker '%s': %s has %lld values, the other embedding %d", path, spk,
                   t->name + t->key0_len + 1, (long long)m, *dim);
    *out = malloc(sizeof(float) * (size_t)m);
    if (!*out) return oom();
    memcpy(*out, t->data, sizeof(float) * (size_t)m);
    *dim = (int)m;
    return cv_ok();
}

static cv_status copy_feat(const char *path, const char *spk, const pt_tensor *t, const pt_tensor *len,
                           spk_voice *v)
{
    if (is_int(t) || t->ndim != 3 || t->shape[0] != 1 || t->shape[2] < 1 || t->shape[2] > 4096 ||
        t->shape[1] > INT32_MAX / 4096)
        return BAD("%s: speaker '%s': prompt_speech_feat is not a float [1, F, mels] tensor", path, spk);
    if (len && (!is_int(len) || pt_numel(len) != 1 || len->idata[0] != t->shape[1]))
        return BAD("%s: speaker '%s': prompt_speech_feat_len does not give the %lld frames of "
                   "prompt_speech_feat",
                   path, spk, (long long)t->shape[1]);
    const size_t n = (size_t)(t->shape[1] * t->shape[2]);
    v->prompt_feat = malloc(sizeof(float) * (n ? n : 1));
    if (!v->prompt_feat) return oom();
    memcpy(v->prompt_feat, t->data, sizeof(float) * n);
    v->feat_frames = (int)t->shape[1];
    v->feat_dim = (int)t->shape[2];
    return cv_ok();
}

static cv_status take_extra(spk_voice *v, const pt_tensor *t)
{
    pt_tensor *x = realloc(v->extra, (v->n_extra + 1) * sizeof *x);
    if (!x) return oom();
    v->extra = x;
    pt_tensor *c = &v->extra[v->n_extra];
    *c = *t;
    const int64_t n = pt_numel(t);
    c->name = strdup(t->name + t->key0_len + 1);
    c->key0_len = strlen(c->name ? c->name : "");
    c->data = malloc(sizeof(float) * (size_t)(n ? n : 1));
    c->idata = t->idata ? malloc(sizeof(int64_t) * (size_t)(n ? n : 1)) : NULL;
    v->n_extra++;
    if (!c->name || !c->data || (t->idata && !c->idata)) return oom();
    memcpy(c->data, t->data, sizeof(float) * (size_t)n);
    if (t->idata) memcpy(c->idata, t->idata, sizeof(int64_t) * (size_t)n);
    return cv_ok();
}

/* One speaker's entry (its tensors are d->items[from..to)) into v. */
static cv_status make_voice(const char *path, const pt_dict *d, size_t from, size_t to, spk_voice *v)
{
    const pt_tensor *first = &d->items[from];
    if (first->key0_len == 0) return BAD("%s: a speaker with an empty name", path);
    v->name = strndup(first->name, first->key0_len);
    if (!v->name) return oom();
    if (first->key0_len == strlen(first->name))
        return BAD("%s: '%s' is a tensor, not a speaker's dict", path, v->name);
    entry e = {{0}};
    cv_status st = cv_ok();
    for (size_t i = from; i < to && cv_is_ok(&st); i++) {
        const pt_tensor *t = &d->items[i];
        const char *k = t->name + t->key0_len + 1;
        int found = -1;
        for (int j = 0; j < N_KEYS; j++)
            if (!strcmp(k, KEY_NAMES[j])) found = j;
        if (found >= 0) e.key[found] = t;
        else st = take_extra(v, t);
    }
    if (!cv_is_ok(&st)) return st;
    const char *spk = v->name;
    if (e.key[K_EMBEDDING]) st = copy_vector(path, spk, e.key[K_EMBEDDING], &v->embedding, &v->embedding_dim);
    const bool any_prompt = e.key[K_FLOW_EMB] || e.key[K_FLOW_TOKEN] || e.key[K_FEAT];
    if (cv_is_ok(&st) && any_prompt) {
        static const int need[] = {K_FLOW_EMB, K_FLOW_TOKEN, K_FEAT};
        for (size_t j = 0; j < 3; j++)
            if (!e.key[need[j]])
                return BAD("%s: speaker '%s' is a saved voice without %s", path, spk, KEY_NAMES[need[j]]);
        v->has_prompt = true;
        st = copy_ints(path, spk, e.key[K_FLOW_TOKEN], e.key[K_FLOW_TOKEN_LEN], &v->flow_tokens,
                       &v->n_flow_tokens);
        if (cv_is_ok(&st) && e.key[K_LLM_TOKEN])
            st = copy_ints(path, spk, e.key[K_LLM_TOKEN], e.key[K_LLM_TOKEN_LEN], &v->llm_tokens,
                           &v->n_llm_tokens);
        if (cv_is_ok(&st) && e.key[K_PROMPT_TEXT])
            st = copy_ints(path, spk, e.key[K_PROMPT_TEXT], e.key[K_PROMPT_TEXT_LEN], &v->prompt_text,
                           &v->n_prompt_text);
        if (cv_is_ok(&st)) st = copy_feat(path, spk, e.key[K_FEAT], e.key[K_FEAT_LEN], v);
        if (cv_is_ok(&st))
            st = copy_vector(path, spk, e.key[K_FLOW_EMB], &v->flow_embedding, &v->prompt_embedding_dim);
        if (cv_is_ok(&st) && e.key[K_LLM_EMB])
            st = copy_vector(path, spk, e.key[K_LLM_EMB], &v->llm_embedding, &v->prompt_embedding_dim);
    }
    if (cv_is_ok(&st) && !v->embedding && !v->has_prompt)
        return BAD("%s: speaker '%s' has neither 'embedding' (an SFT speaker) nor "
                   "'flow_embedding', 'flow_prompt_speech_token' and 'prompt_speech_feat' (a saved voice)",
                   path, spk);
    return st;
}

static const char *add_source(spk_table *t, const char *path)
{
    char **s = realloc(t->sources, (t->n_sources + 1) * sizeof *s);
    if (!s) return NULL;
    t->sources = s;
    t->sources[t->n_sources] = strdup(path);
    return t->sources[t->n_sources] ? t->sources[t->n_sources++] : NULL;
}

cv_status spk_table_add_dict(spk_table *t, const pt_dict *d, const char *path)
{
    const char *src = add_source(t, path);
    cv_status st = src ? cv_ok() : oom();
    /* the flattened tensors of one speaker are consecutive, in file order */
    for (size_t from = 0; cv_is_ok(&st) && from < d->count;) {
        const pt_tensor *a = &d->items[from];
        size_t to = from + 1;
        while (to < d->count && d->items[to].key0_len == a->key0_len &&
               !strncmp(d->items[to].name, a->name, a->key0_len))
            to++;
        spk_voice v = {0};
        st = make_voice(path, d, from, to, &v);
        v.source = src;
        const spk_voice *dup = cv_is_ok(&st) ? spk_table_find(t, v.name) : NULL;
        if (dup) st = BAD("speaker '%s' is in both %s and %s", v.name, dup->source, path);
        if (cv_is_ok(&st)) st = append(t, &v);
        spk_voice_free(&v);
        from = to;
    }
    return st;
}

cv_status spk_table_load(spk_table *t, const char *path)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return cv_error(errno == ENOENT ? CV_NOT_FOUND : CV_INVALID_ARGUMENT, "%s: %s", path,
                        strerror(errno));
    pt_dict d = {0};
    cv_status st = pt_load(path, &d);
    if (cv_is_ok(&st)) st = spk_table_add_dict(t, &d, path);
    pt_free(&d);
    return st;
}

cv_status spk_table_load_files(spk_table *t, const char *const *paths, const bool *optional,
                               size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cv_status st = spk_table_load(t, paths[i]);
        if (st.code == CV_NOT_FOUND && optional && optional[i]) continue;
        if (!cv_is_ok(&st)) {
            spk_table_free(t);
            return st;
        }
    }
    return cv_ok();
}

/* ---- making and saving --------------------------------------------------------- */

static void *dup_mem(const void *p, size_t n) /* NULL only when out of memory */
{
    void *q = malloc(n ? n : 1);
    if (q && n) memcpy(q, p, n);
    return q;
}

cv_status spk_voice_make(const char *name, const int32_t *text_ids, int n_text,
                         const int32_t *tokens, int n_tokens, const float *feat, int frames,
                         int dim, const float *embedding, int embedding_dim, spk_voice *out)
{
    memset(out, 0, sizeof *out);
    if (!name || !*name) return BAD("a voice needs a name");
    if (n_text < 0 || n_tokens < 1 || frames < 1 || dim < 1 || embedding_dim < 1)
        return BAD("voice '%s': empty prompt (%d tokens, %d mel frames)", name, n_tokens, frames);
    out->name = strdup(name);
    out->has_prompt = true;
    out->prompt_text = dup_mem(text_ids, sizeof(int32_t) * (size_t)n_text);
    out->n_prompt_text = n_text;
    out->llm_tokens = dup_mem(tokens, sizeof(int32_t) * (size_t)n_tokens);
    out->flow_tokens = dup_mem(tokens, sizeof(int32_t) * (size_t)n_tokens);
    out->n_llm_tokens = out->n_flow_tokens = n_tokens;
    out->prompt_feat = dup_mem(feat, sizeof(float) * (size_t)frames * (size_t)dim);
    out->feat_frames = frames;
    out->feat_dim = dim;
    out->llm_embedding = dup_mem(embedding, sizeof(float) * (size_t)embedding_dim);
    out->flow_embedding = dup_mem(embedding, sizeof(float) * (size_t)embedding_dim);
    out->prompt_embedding_dim = embedding_dim;
    if (!out->name || !out->prompt_text || !out->llm_tokens || !out->flow_tokens ||
        !out->prompt_feat || !out->llm_embedding || !out->flow_embedding) {
        spk_voice_free(out);
        return oom();
    }
    return cv_ok();
}

/* Per voice, what the writer needs to keep alive until the save: the *_len
 * values. */
typedef struct scratch {
    int32_t lens[4];
} scratch;

static int ints_tensor(pt_writer *w, const char *key, const int32_t *v, int n)
{
    pt_writer_key(w, key);
    return pt_writer_tensor(w, PT_I32, 2, (int64_t[]){1, n}, v);
}

static int len_tensor(pt_writer *w, const char *key, int32_t *slot)
{
    pt_writer_key(w, key);
    return pt_writer_tensor(w, PT_I32, 1, (int64_t[]){1}, slot);
}

/* Same contents: written once and referenced again, as torch.save does for
 * the one tensor add_zero_shot_spk stores under both names. */
static bool same_ints(const int32_t *a, int na, const int32_t *b, int nb)
{
    return na == nb && (!na || !memcmp(a, b, sizeof(int32_t) * (size_t)na));
}

static void write_voice(pt_writer *w, const spk_voice *v, scratch *s)
{
    pt_writer_key(w, v->name);
    pt_writer_dict_begin(w, false);
    if (v->has_prompt) {
        const int32_t *text = v->prompt_text ? v->prompt_text : s->lens; /* never read when empty */
        ints_tensor(w, KEY_NAMES[K_PROMPT_TEXT], text, v->n_prompt_text);
        s->lens[0] = v->n_prompt_text;
        len_tensor(w, KEY_NAMES[K_PROMPT_TEXT_LEN], &s->lens[0]);
        const int32_t *llm = v->llm_tokens ? v->llm_tokens : s->lens;
        const int tok = ints_tensor(w, KEY_NAMES[K_LLM_TOKEN], llm, v->n_llm_tokens);
        s->lens[1] = v->n_llm_tokens;
        const int tok_len = len_tensor(w, KEY_NAMES[K_LLM_TOKEN_LEN], &s->lens[1]);
        if (same_ints(v->llm_tokens, v->n_llm_tokens, v->flow_tokens, v->n_flow_tokens)) {
            pt_writer_key(w, KEY_NAMES[K_FLOW_TOKEN]);
            pt_writer_same(w, tok);
            pt_writer_key(w, KEY_NAMES[K_FLOW_TOKEN_LEN]);
            pt_writer_same(w, tok_len);
        } else {
            ints_tensor(w, KEY_NAMES[K_FLOW_TOKEN], v->flow_tokens, v->n_flow_tokens);
            s->lens[2] = v->n_flow_tokens;
            len_tensor(w, KEY_NAMES[K_FLOW_TOKEN_LEN], &s->lens[2]);
        }
        pt_writer_key(w, KEY_NAMES[K_FEAT]);
        pt_writer_tensor(w, PT_F32, 3, (int64_t[]){1, v->feat_frames, v->feat_dim}, v->prompt_feat);
        s->lens[3] = v->feat_frames;
        len_tensor(w, KEY_NAMES[K_FEAT_LEN], &s->lens[3]);
        const int64_t eshape[2] = {1, v->prompt_embedding_dim};
        const float *llm_emb = v->llm_embedding ? v->llm_embedding : v->flow_embedding;
        pt_writer_key(w, KEY_NAMES[K_LLM_EMB]);
        const int emb = pt_writer_tensor(w, PT_F32, 2, eshape, llm_emb);
        pt_writer_key(w, KEY_NAMES[K_FLOW_EMB]);
        if (!memcmp(llm_emb, v->flow_embedding, sizeof(float) * (size_t)v->prompt_embedding_dim))
            pt_writer_same(w, emb);
        else
            pt_writer_tensor(w, PT_F32, 2, eshape, v->flow_embedding);
    }
    if (v->embedding) {
        pt_writer_key(w, KEY_NAMES[K_EMBEDDING]);
        pt_writer_tensor(w, PT_F32, 2, (int64_t[]){1, v->embedding_dim}, v->embedding);
    }
    for (size_t i = 0; i < v->n_extra; i++) {
        pt_writer_key(w, v->extra[i].name);
        pt_writer_dict_tensor(w, &v->extra[i]);
    }
    pt_writer_dict_end(w);
}

cv_status spk_table_save(const spk_table *t, const char *path)
{
    pt_writer *w = pt_writer_new();
    scratch *s = calloc(t->count + 1, sizeof *s);
    cv_status st = w && s ? cv_ok() : oom();
    if (cv_is_ok(&st)) {
        pt_writer_dict_begin(w, false);
        for (size_t i = 0; i < t->count; i++) write_voice(w, &t->items[i], &s[i]);
        pt_writer_dict_end(w);
        st = pt_writer_save(w, path);
    }
    free(s);
    pt_writer_free(w);
    return st;
}
