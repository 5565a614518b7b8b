/* Streamed text -> bistream LM decoding; see cv_bistream.h. */
#include "engine/cosyvoice/cv_bistream.h"

#include <stdlib.h>
#include <string.h>

#include "common/utf8.h"
#include "engine/cosyvoice/cv_text.h"
#include "model/blocks/qwen2_lm_bistream.h"
#include "model/v3/llm.h"
#include "text/frontend.h"
#include "text/script.h"

static bool cjk_at(const char *s, bool last)
{
    size_t len = strlen(s);
    if (len == 0) return false;
    uint32_t c = 0;
    if (last) {
        size_t i = len - 1;
        while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80) i--;
        utf8_decode(s + i, len - i, &c);
    } else {
        utf8_decode(s, len, &c);
    }
    return script_is_cjk(script_of(c));
}

static bool append_ids(int32_t **all, int *n, int *cap, const int32_t *ids, int k)
{
    if (*n + k > *cap) {
        int c = *cap ? *cap : 64;
        while (c < *n + k) c *= 2;
        int32_t *v = realloc(*all, (size_t)c * sizeof *v);
        if (!v) return false;
        *all = v, *cap = c;
    }
    memcpy(*all + *n, ids, (size_t)k * sizeof *ids);
    *n += k;
    return true;
}

/* One complete piece -> its ids (normalized, tokenized, joined). */
static cv_status piece_ids(cv_text_ids *t, const char *piece, int32_t **out, int *n_out)
{
    cv_text_segments segs;
    cv_status st = cv_text_segments_make(t->tok, piece, &segs);
    if (!cv_is_ok(&st)) return st;
    int32_t *all = NULL;
    int n = 0, cap = 0;
    for (int i = 0; cv_is_ok(&st) && i < segs.count; i++) {
        const cv_text_segment *s = &segs.items[i];
        if (s->n_ids == 0) continue;
        bool first = t->pieces == 0 && n == 0;
        if (!first && !t->last_cjk && !cjk_at(s->text, false)) {
            /* the blank the front end puts between sentences (merge) */
            size_t len = strlen(s->text);
            char *spaced = malloc(len + 2);
            int32_t *ids = NULL;
            int k = 0;
            if (!spaced) {
                st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
                break;
            }
            spaced[0] = ' ';
            memcpy(spaced + 1, s->text, len + 1);
            size_t kk = 0;
            st = bpe_encode(t->tok, spaced, len + 1, &ids, &kk);
            k = (int)kk;
            free(spaced);
            if (cv_is_ok(&st) && !append_ids(&all, &n, &cap, ids, k))
                st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
            free(ids);
        } else if (!append_ids(&all, &n, &cap, s->ids, s->n_ids)) {
            st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        }
        if (cv_is_ok(&st)) t->last_cjk = cjk_at(s->text, true);
    }
    cv_text_segments_free(&segs);
    if (!cv_is_ok(&st)) {
        free(all);
        return st;
    }
    *out = all;
    *n_out = n;
    return cv_ok();
}

static cv_status text_ids_next(cv_id_source *base, int32_t **ids, int *n)
{
    cv_text_ids *t = (cv_text_ids *)base;
    *ids = NULL;
    *n = 0;
    for (;;) {
        char *piece = NULL;
        cv_status st = text_pieces_next(&t->tp, &piece);
        if (!cv_is_ok(&st) || !piece) return st;
        st = piece_ids(t, piece, ids, n);
        free(piece);
        if (!cv_is_ok(&st)) return st;
        if (*n > 0) {
            t->pieces++;
            return cv_ok();
        }
        free(*ids); /* punctuation only: nothing to say, wait for the next */
        *ids = NULL;
    }
}

void cv_text_ids_init(cv_text_ids *t, const bpe_tokenizer *tok, tts_text_source *src)
{
    memset(t, 0, sizeof *t);
    t->base.next = text_ids_next;
    t->tok = tok;
    text_pieces_init(&t->tp, src, CV_BISTREAM_CLAUSE_CJK);
}

void cv_text_ids_free(cv_text_ids *t) { text_pieces_free(&t->tp); }

/* v3: the silent-token filter between the LM and the caller's on_token,
 * and the count of tokens passed on */
typedef struct pass_ctx {
    bool v3;
    cv3_silent_filter f;
    bool (*on_token)(void *user, int32_t token);
    void *user;
    int passed;
    bool stopped; /* on_token said stop: read no more text */
} pass_ctx;

static bool pass_on_token(void *user, int32_t token)
{
    pass_ctx *c = user;
    if (c->v3 && !cv3_silent_filter_keep(&c->f, token)) return true;
    c->passed++;
    if (c->on_token && !c->on_token(c->user, token)) c->stopped = true;
    return !c->stopped;
}

cv_status cv_bistream_generate(const cv_model *m, const cv_lm_prompt *p, cv_id_source *src,
                               const llm_decode_options *o, int *n_tokens)
{
    if (n_tokens) *n_tokens = 0;
    if (m->family == CV_FAMILY_V1)
        return cv_error(CV_UNIMPLEMENTED, "CosyVoice-300M has no streamed-text decoding");
    const int32_t *pt = p->prompt_text;
    int npt = p->n_prompt_text;
    int32_t *with_sys = NULL;
    cv_status st = cv_ok();
    if (m->family == CV_FAMILY_V3 && !cv3_llm_has_endofprompt(pt, npt)) {
        st = cv3_llm_with_system_prompt(m->tok, pt, npt, &with_sys, &npt);
        if (!cv_is_ok(&st)) return st;
        pt = with_sys;
    }
    pass_ctx pc = {.v3 = m->family == CV_FAMILY_V3, .on_token = o->on_token, .user = o->user};
    llm_decode_options oo = *o;
    oo.on_token = pass_on_token;
    oo.user = &pc;
    qwen2_lm_bistream *b = NULL;
    st = qwen2_lm_bistream_new(m->qlm, pt, npt, p->prompt_speech, p->n_prompt_speech, &oo, NULL,
                               &b);
    free(with_sys);
    if (!cv_is_ok(&st)) return st;
    int fed = 0;
    for (;;) {
        int32_t *ids = NULL;
        int n = 0;
        st = src->next(src, &ids, &n);
        if (!cv_is_ok(&st)) break;
        if (n == 0) {
            st = fed > 0 ? qwen2_lm_bistream_finish(b)
                         : cv_error(CV_INVALID_ARGUMENT, TEXT_NOTHING_TO_SPEAK);
            break;
        }
        fed += n;
        /* one id per piece, as the reference's front end yields them: the
         * schedule starts at most one run per piece, so a group of ids
         * would leave text waiting in the cache */
        for (int i = 0; i < n && cv_is_ok(&st) && !pc.stopped; i++)
            st = qwen2_lm_bistream_feed(b, ids + i, 1);
        free(ids);
        if (!cv_is_ok(&st) || pc.stopped) break;
    }
    qwen2_lm_bistream_free(b);
    if (n_tokens) *n_tokens = pc.passed;
    return st;
}
