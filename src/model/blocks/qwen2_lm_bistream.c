/* Qwen2LM.inference_bistream: the schedule of text and speech positions. */
#include "model/blocks/qwen2_lm_bistream.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/matmul.h"

typedef struct fed_list {
    qwen2_lm_fed *v;
    int n, cap;
} fed_list;

struct qwen2_lm_bistream {
    const qwen2_lm *m;
    llm_decode_options o;
    qwen2_lm_bistream_trace trace;
    nn_pool *pool;
    qwen2_state *st;
    llm_picker pick;
    fed_list pending;  /* what the next step feeds (the reference's lm_input) */
    int initial_len;   /* pending's length before any text: sos (+ v3's instruction) */
    int32_t *cache;    /* text ids not yet in the input: cache[head .. n_cache) */
    int head, n_cache, cap_cache;
    int32_t *speech;   /* prompt speech tokens; speech[speech_pos ..) not yet in the input */
    int n_speech, speech_pos;
    int32_t *chosen;   /* every id chosen, fills included (what the sampler looks back on) */
    int n_chosen, cap_chosen;
    int32_t *emitted;  /* the speech tokens among them */
    int n_emitted, cap_emitted;
    int next_fill;     /* n_chosen at which the fill is forced */
    bool after_fill;   /* the last run ended with a fill */
    int steps, n_text;
    float *x, *h, *logp; /* rows of the pending input, their outputs, one log-prob row */
    int rows;
    bool done;        /* finished, or stopped by on_token */
    cv_status status; /* sticky error */
};

static bool grow(void **p, int *cap, int need, size_t size)
{
    if (need <= *cap) return true;
    int c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = realloc(*p, (size_t)c * size);
    if (!q) return false;
    *p = q, *cap = c;
    return true;
}

static bool push_fed(qwen2_lm_bistream *b, qwen2_lm_table t, int row)
{
    if (!grow((void **)&b->pending.v, &b->pending.cap, b->pending.n + 1, sizeof *b->pending.v))
        return false;
    b->pending.v[b->pending.n++] = (qwen2_lm_fed){t, row};
    return true;
}

/* Moves k cached text ids to the pending input. */
static bool take_text(qwen2_lm_bistream *b, int k)
{
    for (int i = 0; i < k; i++)
        if (!push_fed(b, QWEN2_LM_TEXT, b->cache[b->head++])) return false;
    return true;
}

static int cached(const qwen2_lm_bistream *b) { return b->n_cache - b->head; }

static cv_status oom(void) { return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory"); }

/* Feeds the pending input; b->logp gets the log-probs after its last position. */
static cv_status forward(qwen2_lm_bistream *b)
{
    int H = qwen2_lm_cfg(b->m)->qwen.hidden, n = b->pending.n;
    if (n > b->rows) {
        float *x = realloc(b->x, (size_t)n * H * sizeof(float));
        if (x) b->x = x;
        float *h = realloc(b->h, (size_t)n * H * sizeof(float));
        if (h) b->h = h;
        if (!x || !h) return oom();
        b->rows = n;
    }
    for (int i = 0; i < n; i++)
        memcpy(b->x + (size_t)i * H, qwen2_lm_row(b->m, b->pending.v[i].table, b->pending.v[i].row),
               (size_t)H * sizeof(float));
    cv_status s = qwen2_step(qwen2_lm_decoder(b->m), b->st, b->x, n, b->h);
    if (cv_is_ok(&s)) qwen2_lm_logp(b->m, b->h + (size_t)(n - 1) * H, b->logp, b->pool);
    return s;
}

/* Records a chosen id; emits a speech token (on_token may end the decoding). */
static cv_status record(qwen2_lm_bistream *b, qwen2_lm_step_kind kind, int32_t id)
{
    if (b->trace.on_step)
        b->trace.on_step(b->trace.user, b->steps, kind, id, b->pending.v, b->pending.n);
    b->steps++;
    if (!grow((void **)&b->chosen, &b->cap_chosen, b->n_chosen + 1, sizeof *b->chosen))
        return oom();
    b->chosen[b->n_chosen++] = id;
    return cv_ok();
}

static cv_status emit(qwen2_lm_bistream *b, int32_t id)
{
    if (!grow((void **)&b->emitted, &b->cap_emitted, b->n_emitted + 1, sizeof *b->emitted))
        return oom();
    b->emitted[b->n_emitted++] = id;
    if (b->o.on_token && !b->o.on_token(b->o.user, id)) b->done = true;
    b->pending.n = 0;
    if (!push_fed(b, QWEN2_LM_SPEECH, id)) return oom();
    return cv_ok();
}

static bool cancelled(const qwen2_lm_bistream *b)
{
    return (b->o.cancel && atomic_load(b->o.cancel)) || cv_stop_requested(b->o.stop);
}

/* Benchmarks with random weights (no_stop): nothing but speech tokens can
 * be sampled; the schedule's forced fills still happen. */
static void mask_stop_ids(qwen2_lm_bistream *b)
{
    const qwen2_lm_layout *l = &qwen2_lm_cfg(b->m)->layout;
    for (int k = l->speech_token_size; k < l->n_speech_rows; k++) b->logp[k] = -INFINITY;
}

/* LM steps until a fill (or a stop id taken as one) while text is coming. */
static cv_status run_until_fill(qwen2_lm_bistream *b)
{
    const qwen2_lm_layout *l = &qwen2_lm_cfg(b->m)->layout;
    int R = l->n_speech_rows;
    while (!b->done) {
        if (cancelled(b)) return cv_error(CV_CANCELLED, "llm decoding cancelled");
        cv_status s = forward(b);
        if (!cv_is_ok(&s)) return s;
        int32_t id;
        qwen2_lm_step_kind kind;
        if (b->n_chosen == b->next_fill) {
            id = l->fill;
            kind = QWEN2_LM_STEP_FILL;
            if (b->o.on_logp) b->o.on_logp(b->o.user, b->steps, b->logp, R);
        } else {
            if (b->o.no_stop) mask_stop_ids(b);
            b->pick.min_len = INT_MAX; /* eos is held back while text is coming */
            id = llm_pick(&b->pick, b->steps, b->logp, R, b->chosen, b->n_chosen);
            kind = QWEN2_LM_STEP_TEXT;
            if (id < 0) return cv_error(CV_INTERNAL, "llm: no token can be sampled");
        }
        bool fill = id >= l->speech_token_size; /* a stop id is taken as a fill */
        if (fill) b->next_fill = b->n_chosen + l->mix_speech + 1;
        s = record(b, kind, id);
        if (!cv_is_ok(&s)) return s;
        if (fill) {
            b->after_fill = true;
            return cv_ok();
        }
        s = emit(b, id);
        if (!cv_is_ok(&s)) return s;
    }
    return cv_ok();
}

static cv_status feed(qwen2_lm_bistream *b, const int32_t *text, int n)
{
    const qwen2_lm_layout *l = &qwen2_lm_cfg(b->m)->layout;
    cv_status s = qwen2_lm_check_text(b->m, text, n, "text");
    if (!cv_is_ok(&s)) return s;
    if (!grow((void **)&b->cache, &b->cap_cache, b->n_cache + n, sizeof *b->cache)) return oom();
    if (n) memcpy(b->cache + b->n_cache, text, (size_t)n * sizeof *text);
    b->n_cache += n;
    b->n_text += n;
    /* prompt speech left: 5 text ids and the next 15 prompt speech tokens
     * join the input, as long as the text allows */
    while (b->speech_pos < b->n_speech && cached(b) >= l->mix_text) {
        if (!take_text(b, l->mix_text)) return oom();
        int k = b->n_speech - b->speech_pos < l->mix_speech ? b->n_speech - b->speech_pos
                                                            : l->mix_speech;
        for (int i = 0; i < k; i++)
            if (!push_fed(b, QWEN2_LM_SPEECH, b->speech[b->speech_pos++])) return oom();
    }
    if (b->speech_pos < b->n_speech) return cv_ok();
    bool start = b->n_chosen == 0 && b->pending.n == b->initial_len;
    if (b->after_fill || start) {
        if (cached(b) < l->mix_text) return cv_ok(); /* wait for more text */
        if (b->after_fill) b->pending.n = 0;            /* the text replaces the input */
        if (!take_text(b, l->mix_text)) return oom();
        b->after_fill = false;
    }
    return run_until_fill(b);
}

cv_status qwen2_lm_bistream_feed(qwen2_lm_bistream *b, const int32_t *text, int n)
{
    if (!cv_is_ok(&b->status) || b->done) return b->status;
    if (n < 0 || (n > 0 && !text)) return cv_error(CV_INVALID_ARGUMENT, "llm: no text ids");
    b->status = feed(b, text, n);
    return b->status;
}

static cv_status finish(qwen2_lm_bistream *b)
{
    const qwen2_lm_layout *l = &qwen2_lm_cfg(b->m)->layout;
    qwen2_lm_table t;
    int row;
    if (!take_text(b, cached(b))) return oom();
    qwen2_lm_task(b->m, &t, &row);
    if (!push_fed(b, t, row)) return oom();
    int max_len = b->o.no_stop && b->o.stop_after > 0
                      ? b->o.stop_after
                      : (int)((float)b->n_text * b->o.max_token_text_ratio);
    while (!b->done && b->n_emitted < max_len) {
        if (cancelled(b)) return cv_error(CV_CANCELLED, "llm decoding cancelled");
        cv_status s = forward(b);
        if (!cv_is_ok(&s)) return s;
        if (b->o.no_stop) mask_stop_ids(b);
        b->pick.min_len = 0;
        int32_t id = llm_pick(&b->pick, b->steps, b->logp, l->n_speech_rows, b->chosen,
                              b->n_chosen);
        if (id < 0) return cv_error(CV_INTERNAL, "llm: no token can be sampled");
        s = record(b, QWEN2_LM_STEP_FINAL, id);
        if (!cv_is_ok(&s)) return s;
        if (id >= l->speech_token_size) break; /* eos, or any other stop id */
        s = emit(b, id);
        if (!cv_is_ok(&s)) return s;
    }
    return cv_ok();
}

cv_status qwen2_lm_bistream_finish(qwen2_lm_bistream *b)
{
    if (!cv_is_ok(&b->status) || b->done) return b->status;
    b->status = finish(b);
    b->done = true;
    return b->status;
}

const int32_t *qwen2_lm_bistream_tokens(const qwen2_lm_bistream *b, int *n)
{
    *n = b->n_emitted;
    return b->emitted;
}

void qwen2_lm_bistream_free(qwen2_lm_bistream *b)
{
    if (!b) return;
    qwen2_state_free(b->st);
    nn_pool_free(b->pool);
    free(b->pending.v), free(b->cache), free(b->speech), free(b->chosen), free(b->emitted);
    free(b->x), free(b->h), free(b->logp);
    free(b);
}

cv_status qwen2_lm_bistream_new(const qwen2_lm *m, const int32_t *prompt_text, int n_prompt_text,
                                const int32_t *prompt_speech, int n_prompt_speech,
                                const llm_decode_options *o, const qwen2_lm_bistream_trace *trace,
                                qwen2_lm_bistream **out)
{
    *out = NULL;
    const qwen2_lm_layout *l = &qwen2_lm_cfg(m)->layout;
    cv_status s = qwen2_lm_check_text(m, prompt_text, n_prompt_text, "prompt text");
    if (cv_is_ok(&s)) s = qwen2_lm_check_speech(m, prompt_speech, n_prompt_speech, "prompt speech");
    if (!cv_is_ok(&s)) return s;
    if (!llm_forced_valid(o, l->n_speech_rows))
        return cv_error(CV_INVALID_ARGUMENT, "llm: forced token out of range");
    /* v3: the prompt text up to <|endofprompt|> goes in front with sos, the
     * rest starts the text cache */
    int split = 0;
    if (l->required_text_id >= 0) {
        while (split < n_prompt_text && prompt_text[split] != l->required_text_id) split++;
        if (split == n_prompt_text)
            return cv_error(CV_INVALID_ARGUMENT,
                            "llm: the prompt text must hold the model's text marker %d "
                            "(<|endofprompt|>) when text is streamed in",
                            (int)l->required_text_id);
        split++;
    }
    qwen2_lm_bistream *b = calloc(1, sizeof *b);
    if (!b) return oom();
    b->m = m;
    b->o = *o;
    if (trace) b->trace = *trace;
    b->status = cv_ok();
    int threads = o->n_threads > 0 ? o->n_threads : nn_get_threads();
    b->pool = threads > 1 ? nn_pool_new(threads) : NULL;
    b->st = qwen2_state_new(qwen2_lm_decoder(m), b->pool);
    b->logp = malloc((size_t)l->n_speech_rows * sizeof(float));
    b->speech = malloc((size_t)(n_prompt_speech ? n_prompt_speech : 1) * sizeof *b->speech);
    b->pick = llm_picker_new(&b->o, &qwen2_lm_cfg(m)->sampling, l->min_len_masked, INT_MAX);
    b->next_fill = (n_prompt_speech / l->mix_speech + 1) * l->mix_speech - n_prompt_speech;
    qwen2_lm_table t;
    int row;
    qwen2_lm_sos(m, &t, &row);
    bool ok = b->st && b->logp && b->speech && push_fed(b, t, row) &&
              grow((void **)&b->cache, &b->cap_cache, n_prompt_text + 1, sizeof *b->cache);
    for (int i = 0; ok && i < split; i++) ok = push_fed(b, QWEN2_LM_TEXT, prompt_text[i]);
    if (!ok) {
        qwen2_lm_bistream_free(b);
        return oom();
    }
    b->initial_len = b->pending.n;
    if (n_prompt_text > split)
        memcpy(b->cache, prompt_text + split, (size_t)(n_prompt_text - split) * sizeof *b->cache);
    b->n_cache = n_prompt_text - split;
    if (n_prompt_speech) memcpy(b->speech, prompt_speech, (size_t)n_prompt_speech * sizeof *b->speech);
    b->n_speech = n_prompt_speech;
    *out = b;
    return cv_ok();
}
