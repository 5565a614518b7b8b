/* The cosyvoice engine's streamed-text path (engine/cosyvoice/cv_bistream):
 *  - the engine's bistream decoding (cv_bistream_generate on the engine's
 *    loaded model, sampling=greedy) fed the golden text ids in the golden
 *    pieces yields exactly the reference's v2_bistream_* greedy tokens, for
 *    the three cases (long prompt, prompt longer than the text, no prompt);
 *    the engine's text front end cannot be made to produce those random
 *    ids from text, so they enter through the id source interface;
 *  - text arriving in tiny pieces (a number and a UTF-8 character split
 *    across them) gives the ids of the whole text through the front end;
 *  - errors: nothing to speak, a source failing mid-text, v1 refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine/cosyvoice/cv_bistream.h"
#include "engine/cosyvoice/cv_text.h"
#include "golden_test_util.h"
#include "model/blocks/qwen2_lm.h"

#define SET "cosyvoice2-tiny"

static cv_model *M;
static char DIR_[64];

/* An official-looking directory: the tiny model plus frontend2-tiny's
 * prompt front end (a directory that serves no mode is refused). */
static bool link_into(const char *set, const char *name)
{
    char *from = realpath(golden_path(set, name), NULL);
    char to[256];
    snprintf(to, sizeof to, "%s/%s", DIR_, name);
    bool ok = from && symlink(from, to) == 0;
    free(from);
    return ok;
}

static bool make_dir(void)
{
    strcpy(DIR_, "/tmp/cv-bistream-XXXXXX");
    if (!mkdtemp(DIR_)) return false;
    return link_into(SET, "CosyVoice-BlankEN") && link_into(SET, "cosyvoice2.yaml") &&
           link_into(SET, "flow.pt") && link_into(SET, "hift.pt") && link_into(SET, "llm.pt") &&
           link_into("frontend2-tiny", "campplus.onnx") &&
           link_into("frontend2-tiny", "speech_tokenizer_v2.onnx");
}

static void remove_dir(void)
{
    static const char *const names[] = {"CosyVoice-BlankEN", "cosyvoice2.yaml", "flow.pt",
                                        "hift.pt", "llm.pt", "campplus.onnx",
                                        "speech_tokenizer_v2.onnx"};
    char p[1200];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(p, sizeof p, "%s/%s", DIR_, names[i]);
        unlink(p);
    }
    rmdir(DIR_);
}

static int setup(void **state)
{
    (void)state;
    (void)golden_max_abs;
    if (!make_dir()) return -1;
    cv_settings set;
    const char *kv[] = {"sampling=greedy"};
    cv_status st = cv_settings_parse(kv, 1, 1, &set);
    if (!cv_is_ok(&st) || !set.greedy) return -1;
    st = cv_model_load(DIR_, &set, &M);
    if (!cv_is_ok(&st)) {
        fprintf(stderr, "%s\n", st.message);
        remove_dir();
    }
    return cv_is_ok(&st) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    cv_model_free(M);
    remove_dir();
    return 0;
}

/* ---- id source: given groups of ids, then an optional failure ----------- */

typedef struct id_pieces {
    cv_id_source base;
    const int32_t *ids;
    const int64_t *sizes;
    int n_pieces, next, off;
    cv_code fail_at_end; /* CV_OK: a normal end */
} id_pieces;

static cv_status pieces_next(cv_id_source *s, int32_t **ids, int *n)
{
    id_pieces *p = (id_pieces *)s;
    *ids = NULL, *n = 0;
    if (p->next == p->n_pieces)
        return p->fail_at_end == CV_OK ? cv_ok() : cv_error(p->fail_at_end, "source failed");
    int k = (int)p->sizes[p->next++];
    *ids = malloc((size_t)k * sizeof **ids);
    memcpy(*ids, p->ids + p->off, (size_t)k * sizeof **ids);
    p->off += k;
    *n = k;
    return cv_ok();
}

typedef struct got {
    int32_t t[4096];
    int n;
} got;

static bool collect(void *user, int32_t token)
{
    got *g = user;
    if (g->n < 4096) g->t[g->n++] = token;
    return true;
}

static int32_t *ints(const npy_array *a)
{
    int32_t *v = malloc((a->count ? a->count : 1) * sizeof *v);
    for (size_t i = 0; i < a->count; i++) v[i] = (int32_t)a->idata[i];
    return v;
}

static void run_case(const char *name)
{
    char k[128];
    snprintf(k, sizeof k, "v2_bistream_%s_prompt_text", name);
    npy_array pt = golden_npy(SET, k);
    snprintf(k, sizeof k, "v2_bistream_%s_prompt_speech_token", name);
    npy_array ps = golden_npy(SET, k);
    snprintf(k, sizeof k, "v2_bistream_%s_text", name);
    npy_array text = golden_npy(SET, k);
    snprintf(k, sizeof k, "v2_bistream_%s_text_pieces", name);
    npy_array sizes = golden_npy(SET, k);
    snprintf(k, sizeof k, "v2_bistream_%s_tokens", name);
    npy_array want = golden_npy(SET, k);
    int32_t *pti = ints(&pt), *psi = ints(&ps), *ti = ints(&text);
    id_pieces src = {.base.next = pieces_next, .ids = ti, .sizes = sizes.idata,
                     .n_pieces = (int)sizes.count};
    cv_lm_prompt p = {.prompt_text = pti, .n_prompt_text = (int)pt.count,
                      .prompt_speech = psi, .n_prompt_speech = (int)ps.count};
    llm_decode_options o = llm_decode_defaults();
    o.mode = LLM_SAMPLE_GREEDY; /* the engine's sampling=greedy */
    got g = {.n = 0};
    o.on_token = collect;
    o.user = &g;
    int n = -1;
    cv_status st = cv_bistream_generate(M, &p, &src.base, &o, &n);
    assert_int_equal(st.code, CV_OK);
    assert_int_equal(n, g.n);
    assert_int_equal(g.n, (int)want.count);
    for (int i = 0; i < g.n; i++) assert_int_equal(g.t[i], (int32_t)want.idata[i]);
    free(pti), free(psi), free(ti);
    npy_free(&pt), npy_free(&ps), npy_free(&text), npy_free(&sizes), npy_free(&want);
}

static void test_golden_long(void **state) { (void)state; run_case("long"); }
static void test_golden_short(void **state) { (void)state; run_case("short"); }
static void test_golden_noprompt(void **state) { (void)state; run_case("noprompt"); }

/* A source failing mid-text (idle timeout, cancellation) ends the
 * decoding with its status; a text with no ids is nothing to speak. */
static void test_source_errors(void **state)
{
    (void)state;
    npy_array text = golden_npy(SET, "v2_bistream_noprompt_text");
    npy_array sizes = golden_npy(SET, "v2_bistream_noprompt_text_pieces");
    int32_t *ti = ints(&text);
    cv_lm_prompt p = {0};
    llm_decode_options o = llm_decode_defaults();
    got g = {.n = 0};
    o.on_token = collect;
    o.user = &g;
    id_pieces src = {.base.next = pieces_next, .ids = ti, .sizes = sizes.idata,
                     .n_pieces = (int)sizes.count, .fail_at_end = CV_DEADLINE_EXCEEDED};
    assert_int_equal(cv_bistream_generate(M, &p, &src.base, &o, NULL).code, CV_DEADLINE_EXCEEDED);
    assert_true(g.n > 0); /* speech came out while the text was arriving */
    id_pieces none = {.base.next = pieces_next, .n_pieces = 0};
    assert_int_equal(cv_bistream_generate(M, &p, &none.base, &o, NULL).code, CV_INVALID_ARGUMENT);
    free(ti);
    npy_free(&text), npy_free(&sizes);
}

/* fixed_tokens on streamed text (benchmarks with random weights): no stop
 * id is ever chosen, and exactly stop_after tokens come out, however
 * early the random LM would have stopped. */
static void test_fixed_length(void **state)
{
    (void)state;
    npy_array pt = golden_npy(SET, "v2_bistream_long_prompt_text");
    npy_array ps = golden_npy(SET, "v2_bistream_long_prompt_speech_token");
    npy_array text = golden_npy(SET, "v2_bistream_long_text");
    npy_array sizes = golden_npy(SET, "v2_bistream_long_text_pieces");
    npy_array want = golden_npy(SET, "v2_bistream_long_tokens");
    int32_t *pti = ints(&pt), *psi = ints(&ps), *ti = ints(&text);
    cv_lm_prompt p = {.prompt_text = pti, .n_prompt_text = (int)pt.count,
                      .prompt_speech = psi, .n_prompt_speech = (int)ps.count};
    const int S = qwen2_lm_cfg(M->qlm)->layout.speech_token_size;
    for (int extra = 1; extra <= 300; extra += 299) {
        id_pieces src = {.base.next = pieces_next, .ids = ti, .sizes = sizes.idata,
                         .n_pieces = (int)sizes.count};
        llm_decode_options o = llm_decode_defaults();
        o.seed = 7;
        got g = {.n = 0};
        o.on_token = collect;
        o.user = &g;
        o.no_stop = true;
        o.stop_after = (int)want.count + extra;
        int n = -1;
        assert_int_equal(cv_bistream_generate(M, &p, &src.base, &o, &n).code, CV_OK);
        assert_int_equal(n, o.stop_after);
        assert_int_equal(g.n, o.stop_after);
        for (int i = 0; i < g.n; i++) assert_true(g.t[i] >= 0 && g.t[i] < S);
    }
    free(pti), free(psi), free(ti);
    npy_free(&pt), npy_free(&ps), npy_free(&text), npy_free(&sizes), npy_free(&want);
}

/* ---- text source -> ids ------------------------------------------------- */

typedef struct text_src {
    tts_text_source base;
    const char *const *pieces;
    int n, next;
} text_src;

static cv_status text_read(tts_text_source *s, char **piece, size_t *n)
{
    text_src *t = (text_src *)s;
    *piece = NULL, *n = 0;
    if (t->next == t->n) return cv_ok();
    *piece = strdup(t->pieces[t->next++]);
    *n = strlen(*piece);
    return cv_ok();
}

/* All the ids of a source, concatenated; the count of groups. */
static int32_t *all_ids(const char *const *pieces, int np, int *n, int *groups)
{
    text_src src = {.base.read = text_read, .pieces = pieces, .n = np};
    cv_text_ids ti;
    cv_text_ids_init(&ti, M->tok, &src.base);
    int32_t *all = malloc(4096 * sizeof *all);
    *n = 0, *groups = 0;
    for (;;) {
        int32_t *ids = NULL;
        int k = 0;
        assert_int_equal(ti.base.next(&ti.base, &ids, &k).code, CV_OK);
        if (k == 0) break;
        assert_true(*n + k <= 4096);
        memcpy(all + *n, ids, (size_t)k * sizeof *ids);
        *n += k;
        (*groups)++;
        free(ids);
    }
    cv_text_ids_free(&ti);
    return all;
}

/* Tiny pieces (a number, a date and "é" split across them) give the ids of
 * the whole text as the front end makes them for Inference (one segment:
 * its sentences joined by blanks), in several groups. */
static void test_text_ids_as_whole(void **state)
{
    (void)state;
    const char *text = "The price is $1,234.56 today. We meet at 10:30 in the caf\xc3\xa9, "
                       "then walk along the river to the old mill and back.";
    static const char *tiny[256];
    static char buf[256][4];
    int np = 0;
    size_t len = strlen(text);
    bool split_char = false;
    for (size_t i = 0, k = 0; i < len; k++) {
        size_t m = 1 + k % 3;
        if (i + m > len) m = len - i;
        for (size_t j = i; j + 1 < i + m; j++)
            if ((unsigned char)text[j] >= 0xC0) m = j + 1 - i; /* cut inside the character */
        memcpy(buf[np], text + i, m);
        buf[np][m] = '\0';
        if (((unsigned char)text[i + m - 1] & 0xC0) == 0xC0) split_char = true;
        tiny[np] = buf[np];
        np++;
        i += m;
    }
    assert_true(split_char);
    int n = 0, groups = 0;
    int32_t *got_ids = all_ids(tiny, np, &n, &groups);
    cv_text_segments whole;
    assert_int_equal(cv_text_segments_make(M->tok, text, &whole).code, CV_OK);
    assert_int_equal(whole.count, 1);
    assert_int_equal(n, whole.items[0].n_ids);
    for (int i = 0; i < n; i++) assert_int_equal(got_ids[i], whole.items[0].ids[i]);
    assert_true(groups >= 3); /* ids left before the text ended */
    cv_text_segments_free(&whole);
    free(got_ids);
    /* punctuation only gives nothing */
    const char *dots[] = {"... ", "!?"};
    got_ids = all_ids(dots, 2, &n, &groups);
    assert_int_equal(n, 0);
    free(got_ids);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_golden_long),
        cmocka_unit_test(test_golden_short),
        cmocka_unit_test(test_golden_noprompt),
        cmocka_unit_test(test_source_errors),
        cmocka_unit_test(test_fixed_length),
        cmocka_unit_test(test_text_ids_as_whole),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
