/* A CosyVoice2-0.5B / Fun-CosyVoice3-0.5B directory with random weights, in
 * the official layout: cosyvoice2.yaml / cosyvoice3.yaml, llm.pt, flow.pt,
 * hift.pt, CosyVoice-BlankEN/ (config.json at the LM's sizes, and the real
 * Qwen2 tokenizer files, copied from the source tree's golden data),
 * campplus.onnx and speech_tokenizer_v2/v3.onnx, and spk2info.pt with saved
 * voices (the add_zero_shot_spk layout: a 3 s prompt of random tokens, mel
 * and embedding), so sft works without prompt audio.
 *
 * The two ONNX networks are the small stand-ins of the golden front-end data
 * (frontend2-tiny), not full-size networks: writing a full CAM++ or speech
 * tokenizer graph would need an ONNX writer for their whole operator set,
 * and the benchmarks use saved voices, which skip the prompt front end. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/blocks/hift.h"
#include "model/io/spk2info.h"
#include "model/io/yaml_config.h"
#include "model/v2/flow.h"
#include "model/v2/llm.h"
#include "model/v3/flow.h"
#include "model/v3/llm.h"
#include "random/flow_random.h"
#include "random/hift_random.h"
#include "random/qwen2_random.h"
#include "random_dir.h"
#include "yaml_v2v3.h"

/* a saved voice's prompt: 3 s at 25 tokens/s, 2 mel frames per token */
#define PROMPT_TOKENS 75
#define PROMPT_TEXT 12
#define N_MELS 80
#define EMB_DIM 192

/* Closes f, written with result r (< 0: failed); 0 or 1 (message printed). */
static int copy_inputs(const random_dir_options *o)
{
    static const char *const tok_files[] = {"vocab.json", "merges.txt", "tokenizer_config.json"};
    char src[4096], dst[4096];
    for (size_t i = 0; i < sizeof tok_files / sizeof *tok_files; i++) {
        snprintf(src, sizeof src, "%s/tests/data/golden/cosyvoice%d-tiny/CosyVoice-BlankEN/%s",
                 o->source, o->family, tok_files[i]);
        snprintf(dst, sizeof dst, "%s/CosyVoice-BlankEN/%s", o->dir, tok_files[i]);
        if (rd_copy_file(src, dst)) return 1;
    }
    snprintf(src, sizeof src, "%s/tests/data/golden/frontend2-tiny/campplus.onnx", o->source);
    snprintf(dst, sizeof dst, "%s/campplus.onnx", o->dir);
    if (rd_copy_file(src, dst)) return 1;
    snprintf(src, sizeof src, "%s/tests/data/golden/frontend2-tiny/speech_tokenizer_v2.onnx",
             o->source);
    snprintf(dst, sizeof dst, "%s/speech_tokenizer_v%d.onnx", o->dir, o->family);
    if (rd_copy_file(src, dst)) return 1;
    printf("%-24s copied (small stand-ins from frontend2-tiny)\n", "campplus.onnx, speech_tokenizer");
    return 0;
}

static int write_voices(const random_dir_options *o, int speech_tokens, rw_rng *rng)
{
    int32_t text[PROMPT_TEXT], tokens[PROMPT_TOKENS];
    static float feat[2 * PROMPT_TOKENS * N_MELS];
    float emb[EMB_DIM];
    spk_table t = {0};
    cv_status st = cv_ok();
    for (int s = 0; s < o->n_speakers && cv_is_ok(&st); s++) {
        char nm[32];
        snprintf(nm, sizeof nm, "speaker%d", s + 1);
        for (int i = 0; i < PROMPT_TEXT; i++) text[i] = (int32_t)(erand48(rng->x) * 20000);
        for (int i = 0; i < PROMPT_TOKENS; i++)
            tokens[i] = (int32_t)(erand48(rng->x) * speech_tokens);
        for (int i = 0; i < 2 * PROMPT_TOKENS * N_MELS; i++)
            feat[i] = (float)(erand48(rng->x) * 8.0 - 9.0); /* log-mel range */
        for (int i = 0; i < EMB_DIM; i++) emb[i] = (float)(erand48(rng->x) * 0.2 - 0.1);
        spk_voice v;
        st = spk_voice_make(nm, text, PROMPT_TEXT, tokens, PROMPT_TOKENS, feat,
                            2 * PROMPT_TOKENS, N_MELS, emb, EMB_DIM, &v);
        if (cv_is_ok(&st)) st = spk_table_put(&t, &v, false);
        spk_voice_free(&v);
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/" SPK2INFO_FILENAME, o->dir);
    if (cv_is_ok(&st)) st = spk_table_save(&t, path);
    spk_table_free(&t);
    if (!cv_is_ok(&st)) return rd_fail(path, st);
    printf("%-24s %d saved voices (3 s prompts)\n", "spk2info.pt", o->n_speakers);
    return 0;
}

int make_dir_v2v3(const random_dir_options *o)
{
    const int fam = o->family;
    const v2v3_sizes s = o->small ? v2v3_sizes_small() : v2v3_sizes_official();
    char path[4096];
    snprintf(path, sizeof path, "%s/CosyVoice-BlankEN", o->dir);
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        perror(path);
        return 1;
    }
    snprintf(path, sizeof path, "%s/CosyVoice-BlankEN/config.json", o->dir);
    FILE *f = fopen(path, "w");
    if (rd_close_text(f, f ? write_qwen_config(f, &s) : -1, path)) return 1;
    snprintf(path, sizeof path, "%s/cosyvoice%d.yaml", o->dir, fam);
    f = fopen(path, "w");
    if (rd_close_text(f, f ? write_yaml_v2v3(f, fam, &s) : -1, path) || copy_inputs(o)) return 1;

    /* the configuration as the engine will read it */
    yaml_config *y = NULL;
    cv_status st = yaml_config_load(path, &y);
    if (!cv_is_ok(&st)) return rd_fail(path, st);
    qwen2_lm_config lc;
    flow2_config f2;
    flow3_config f3;
    hift_config hc;
    st = fam == 3 ? cv3_llm_config(o->dir, y, &lc) : cv2_llm_config(o->dir, y, &lc);
    if (cv_is_ok(&st))
        st = fam == 3 ? flow3_config_from_yaml(y, &f3) : flow2_config_from_yaml(y, &f2);
    if (cv_is_ok(&st)) st = hift_config_from_yaml(y, &hc);
    yaml_config_free(y);
    if (!cv_is_ok(&st)) return rd_fail(path, st);

    rw_rng rng = rw_rng_seed(o->seed);
    pt_dict d = {0};
    st = qwen2_lm_random_weights(&d, &lc, &rng);
    if (!cv_is_ok(&st)) return rd_fail("llm weights", st);
    if (rd_write_dict(o->dir, "llm.pt", &d)) return 1;
    st = fam == 3 ? random_flow3_weights(&d, &f3, &rng) : random_flow2_weights(&d, &f2, &rng);
    if (!cv_is_ok(&st)) return rd_fail("flow weights", st);
    if (rd_write_dict(o->dir, "flow.pt", &d)) return 1;
    st = hift_random_state_dict(&hc, &rng, &d);
    if (!cv_is_ok(&st)) return rd_fail("hift weights", st);
    if (rd_write_dict(o->dir, "hift.pt", &d)) return 1;
    return write_voices(o, lc.layout.speech_token_size, &rng);
}
