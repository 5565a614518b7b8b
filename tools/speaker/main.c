/* cosyvoice-speaker: saved voices in a model directory's spk2info.pt.
 *
 *   cosyvoice-speaker add --model-dir DIR --spk-id NAME --prompt-wav FILE
 *                         (--prompt-text TEXT | --prompt-text-ids N,N,...)
 *                         [--speakers FILE] [--replace]
 *   cosyvoice-speaker list --model-dir DIR [--speakers FILE]
 *   cosyvoice-speaker remove --model-dir DIR --spk-id NAME [--speakers FILE]
 *
 * `add` runs the model's prompt front end once on the recording (at its own
 * rate, resampled as the reference's load_wav does) and stores the result as
 * the reference's add_zero_shot_spk + save_spkinfo would: prompt text ids,
 * speech tokens, prompt mel and speaker embedding (model/io/spk2info.h), so
 * the reference can use the voice too. The file is DIR/spk2info.pt unless
 * --speakers names another; every other voice in it is kept. The file is
 * replaced atomically and read back before the tool reports success. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/audio_file.h"
#include "engine/cosyvoice/cv_prompt_text.h"
#include "model/frontend/prompt_frontend.h"
#include "model/io/spk2info.h"

typedef struct args {
    const char *cmd, *model_dir, *spk_id, *wav, *text, *text_ids, *file;
    bool replace;
} args;

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cosyvoice-speaker add --model-dir DIR --spk-id NAME --prompt-wav FILE\n"
            "                             (--prompt-text TEXT | --prompt-text-ids N,N,...)\n"
            "                             [--speakers FILE] [--replace]\n"
            "       cosyvoice-speaker list --model-dir DIR [--speakers FILE]\n"
            "       cosyvoice-speaker remove --model-dir DIR --spk-id NAME [--speakers FILE]\n"
            "Keeps saved voices of a CosyVoice model directory: add computes a prompt\n"
            "recording's speech tokens, prompt mel and speaker embedding once (with the\n"
            "transcript's token ids) and stores them in DIR/spk2info.pt, or in FILE with\n"
            "--speakers, in the reference's add_zero_shot_spk format; the other voices in\n"
            "the file are kept. --replace replaces a voice of the same name.\n"
            "--prompt-text-ids gives the transcript's ids directly (e.g. the reference\n"
            "tokenizer's ids for a test).\n");
}

static int fail(const cv_status *st)
{
    fprintf(stderr, "cosyvoice-speaker: %s\n", st->message);
    return 1;
}

static int parse(int argc, char **argv, args *a)
{
    if (argc < 2) return -1;
    a->cmd = argv[1];
    if (!strcmp(a->cmd, "-h") || !strcmp(a->cmd, "--help")) return 1;
    for (int i = 2; i < argc; i++) {
        const char **slot = NULL;
        if (!strcmp(argv[i], "--model-dir")) slot = &a->model_dir;
        else if (!strcmp(argv[i], "--spk-id")) slot = &a->spk_id;
        else if (!strcmp(argv[i], "--prompt-wav")) slot = &a->wav;
        else if (!strcmp(argv[i], "--prompt-text")) slot = &a->text;
        else if (!strcmp(argv[i], "--prompt-text-ids")) slot = &a->text_ids;
        else if (!strcmp(argv[i], "--speakers")) slot = &a->file;
        else if (!strcmp(argv[i], "--replace")) a->replace = true;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) return 1;
        else {
            fprintf(stderr, "cosyvoice-speaker: unknown option '%s'\n", argv[i]);
            return -1;
        }
        if (slot) {
            if (i + 1 >= argc) {
                fprintf(stderr, "cosyvoice-speaker: %s needs a value\n", argv[i]);
                return -1;
            }
            *slot = argv[++i];
        }
    }
    const bool add = !strcmp(a->cmd, "add"), rm = !strcmp(a->cmd, "remove");
    if (!add && !rm && strcmp(a->cmd, "list")) {
        fprintf(stderr, "cosyvoice-speaker: unknown command '%s'\n", a->cmd);
        return -1;
    }
    if (!a->model_dir && !(a->file && !add)) {
        fprintf(stderr, "cosyvoice-speaker: --model-dir is required\n");
        return -1;
    }
    if ((add || rm) && (!a->spk_id || !*a->spk_id)) {
        fprintf(stderr, "cosyvoice-speaker: --spk-id NAME is required (a non-empty name)\n");
        return -1;
    }
    if (add && (!a->wav || !a->text == !a->text_ids)) {
        fprintf(stderr, "cosyvoice-speaker: add needs --prompt-wav and one of --prompt-text, "
                        "--prompt-text-ids\n");
        return -1;
    }
    return 0;
}

/* "12,7,151646" -> ids; "" is no ids. */
static cv_status parse_ids(const char *s, int32_t **ids, int *n)
{
    *ids = NULL;
    *n = 0;
    size_t cap = 1;
    for (const char *p = s; *p; p++) cap += *p == ',';
    *ids = malloc(sizeof(int32_t) * cap);
    if (!*ids) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v < 0 || v > INT32_MAX || (*end && *end != ',')) {
            free(*ids);
            *ids = NULL;
            *n = 0;
            return cv_error(CV_INVALID_ARGUMENT,
                            "--prompt-text-ids: '%s' is not a comma-separated list of token ids", s);
        }
        (*ids)[(*n)++] = (int32_t)v;
        p = *end ? end + 1 : end;
    }
    return cv_ok();
}

static void describe(const spk_voice *v)
{
    printf("%s\t", v->name);
    if (v->has_prompt)
        printf("saved voice: %d prompt text ids, %d speech tokens, %d x %d prompt mel, %d-dim "
               "embedding",
               v->n_prompt_text, v->n_flow_tokens, v->feat_frames, v->feat_dim,
               v->prompt_embedding_dim);
    if (v->has_prompt && v->embedding) printf("; ");
    if (v->embedding) printf("sft: %d-dim embedding", v->embedding_dim);
    if (v->n_extra) printf(" (+%zu other tensors)", v->n_extra);
    printf("\n");
}

/* The table in `path`; a missing file is an empty table. */
static cv_status load_table(const char *path, spk_table *t)
{
    const bool optional = true;
    return spk_table_load_files(t, &path, &optional, 1);
}

static cv_status make_voice(const args *a, spk_voice *v)
{
    int32_t *ids = NULL;
    int n_ids = 0;
    cv_status st;
    if (a->text_ids) {
        st = parse_ids(a->text_ids, &ids, &n_ids);
    } else {
        cv_prompt_text *pt = cv_prompt_text_open(a->model_dir, &st);
        if (pt) st = cv_prompt_text_encode(pt, a->text, &ids, &n_ids);
        cv_prompt_text_free(pt);
    }
    if (!cv_is_ok(&st)) return st;
    float *x = NULL;
    size_t n = 0;
    int rate = 0;
    prompt_frontend *pf = NULL;
    prompt_features f = {0};
    st = audio_file_load_float(a->wav, &x, &n, &rate);
    if (cv_is_ok(&st)) pf = prompt_frontend_load(a->model_dir, &st);
    if (pf) st = prompt_frontend_run_float_rate(pf, x, n, rate, &f);
    if (cv_is_ok(&st))
        st = spk_voice_make(a->spk_id, ids, n_ids, f.speech_tokens, f.n_tokens, f.prompt_mel,
                            f.mel_frames, f.n_mels, f.embedding, PROMPT_SPK_DIM, v);
    if (cv_is_ok(&st))
        fprintf(stderr, "cosyvoice-speaker: %s: %.2f s at %d Hz -> %d speech tokens, %d mel frames\n",
                a->wav, (double)n / rate, rate, f.n_tokens, f.mel_frames);
    prompt_features_free(&f);
    prompt_frontend_free(pf);
    free(x);
    free(ids);
    return st;
}

/* Saves and reads the file back: the voice must come out as it went in. */
static cv_status save_checked(const spk_table *t, const char *path, const char *name)
{
    cv_status st = spk_table_save(t, path);
    if (!cv_is_ok(&st)) return st;
    spk_table back = {0};
    st = spk_table_load(&back, path);
    if (cv_is_ok(&st) && back.count != t->count)
        st = cv_error(CV_INTERNAL, "%s: wrote %zu voices, read back %zu", path, t->count, back.count);
    const spk_voice *a = name ? spk_table_find(t, name) : NULL;
    const spk_voice *b = name && cv_is_ok(&st) ? spk_table_find(&back, name) : NULL;
    if (a && cv_is_ok(&st) &&
        (!b || b->n_flow_tokens != a->n_flow_tokens || b->feat_frames != a->feat_frames ||
         memcmp(b->flow_tokens, a->flow_tokens, sizeof(int32_t) * (size_t)a->n_flow_tokens) ||
         memcmp(b->prompt_feat, a->prompt_feat,
                sizeof(float) * (size_t)a->feat_frames * (size_t)a->feat_dim)))
        st = cv_error(CV_INTERNAL, "%s: voice '%s' did not read back as written", path, name);
    spk_table_free(&back);
    return st;
}

int main(int argc, char **argv)
{
    args a = {0};
    int r = parse(argc, argv, &a);
    if (r) {
        usage(r > 0 ? stdout : stderr);
        return r > 0 ? 0 : 2;
    }
    char path[4096];
    if (a.file) snprintf(path, sizeof path, "%s", a.file);
    else snprintf(path, sizeof path, "%s/" SPK2INFO_FILENAME, a.model_dir);
    spk_table t = {0};
    cv_status st = load_table(path, &t);
    if (!cv_is_ok(&st)) return fail(&st);
    int rc = 0;
    if (!strcmp(a.cmd, "list")) {
        for (size_t i = 0; i < t.count; i++) describe(&t.items[i]);
        if (!t.count) fprintf(stderr, "cosyvoice-speaker: no voices in %s\n", path);
    } else if (!strcmp(a.cmd, "remove")) {
        if (!spk_table_remove(&t, a.spk_id)) {
            st = cv_error(CV_NOT_FOUND, "%s has no voice named '%s'", path, a.spk_id);
        } else {
            st = save_checked(&t, path, NULL);
            if (cv_is_ok(&st)) printf("removed '%s' from %s (%zu left)\n", a.spk_id, path, t.count);
        }
    } else {
        spk_voice v = {0};
        if (spk_table_find(&t, a.spk_id) && !a.replace)
            st = cv_error(CV_ALREADY_EXISTS, "%s has a voice named '%s' already (--replace replaces it)",
                          path, a.spk_id);
        if (cv_is_ok(&st)) st = make_voice(&a, &v);
        if (cv_is_ok(&st)) st = spk_table_put(&t, &v, a.replace);
        if (cv_is_ok(&st)) st = save_checked(&t, path, a.spk_id);
        if (cv_is_ok(&st)) {
            printf("added to %s: ", path);
            describe(spk_table_find(&t, a.spk_id));
        }
        spk_voice_free(&v);
    }
    if (!cv_is_ok(&st)) rc = fail(&st);
    spk_table_free(&t);
    return rc;
}
