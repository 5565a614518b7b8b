/* cosyvoice-make-random-model OUT_DIR [--seed N] [--speakers N]
 *
 * Writes a model directory in the layout the cosyvoice engine loads, at the
 * full CosyVoice-300M size, with random weights: cosyvoice.yaml (official
 * sizes), llm.pt, flow.pt and hift.pt as torch.save-style zip archives, and
 * spk2info.pt with a few speakers. For benchmarks (the audio is noise, and
 * the LM rarely emits eos: force a token count with --engine-opt
 * fixed_tokens=N). The text tokenizer's vocabulary is not copied (the
 * engine finds the installed or source-tree copy, as for official
 * directories). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "random/hift_random.h"
#include "model/v1/flow.h"
#include "random/flow_random.h"
#include "model/blocks/hift.h"
#include "random/llm_random.h"
#include "model/v1/llm_yaml.h"
#include "model/io/yaml_config.h"
#include "model/io/pt_write.h"
#include "model/io/spk2info.h"
#include "yaml_300m.h"

static int fail(const char *what, cv_status st)
{
    fprintf(stderr, "cosyvoice-make-random-model: %s: %s\n", what, st.message);
    return 1;
}

static size_t numel(const pt_dict *d)
{
    size_t n = 0;
    for (size_t i = 0; i < d->count; i++) n += (size_t)pt_numel(&d->items[i]);
    return n;
}

/* Writes one state dict and frees it. */
static int write_dict(const char *dir, const char *file, pt_dict *d)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    cv_status st = pt_write_state_dict(path, d);
    printf("%-12s %zu tensors, %.1f M parameters\n", file, d->count, (double)numel(d) / 1e6);
    pt_free(d);
    return cv_is_ok(&st) ? 0 : fail(path, st);
}

#define USAGE "usage: cosyvoice-make-random-model OUT_DIR [--seed N] [--speakers N]\n"

int main(int argc, char **argv)
{
    const char *dir = NULL;
    unsigned long long seed = 1;
    int n_speakers = 3;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf(USAGE "Writes a model directory in the layout the cosyvoice engine loads, at\n"
                         "the full CosyVoice-300M size, with random weights (for benchmarks: the\n"
                         "audio is noise).\n");
            return 0;
        }
        if (!strcmp(argv[i], "--seed") && i + 1 < argc) seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--speakers") && i + 1 < argc) n_speakers = atoi(argv[++i]);
        else if (argv[i][0] != '-' && !dir) dir = argv[i];
        else {
            fputs(USAGE, stderr);
            return 2;
        }
    }
    if (!dir || n_speakers < 1 || n_speakers > 100) {
        fputs(USAGE, stderr);
        return 2;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        perror(dir);
        return 1;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/cosyvoice.yaml", dir);
    FILE *f = fopen(path, "w");
    if (!f || fputs(yaml_300m, f) < 0 || fclose(f) != 0) {
        perror(path);
        return 1;
    }
    yaml_config *y = NULL;
    cv_status st = yaml_config_load(path, &y);
    if (!cv_is_ok(&st)) return fail(path, st);
    llm_config lc;
    flow_config fc;
    hift_config hc;
    st = llm_config_from_yaml(y, &lc);
    if (cv_is_ok(&st)) st = flow_config_from_yaml(y, &fc);
    if (cv_is_ok(&st)) st = hift_config_from_yaml(y, &hc);
    if (!cv_is_ok(&st)) {
        yaml_config_free(y);
        return fail("cosyvoice.yaml", st);
    }
    yaml_config_free(y);

    rw_rng rng = rw_rng_seed(seed);
    pt_dict d = {0};
    st = llm_random_weights(&d, &lc, &rng);
    if (!cv_is_ok(&st)) return fail("llm weights", st);
    if (write_dict(dir, "llm.pt", &d)) return 1;
    st = random_flow_weights(&d, &fc, &rng);
    if (!cv_is_ok(&st)) return fail("flow weights", st);
    if (write_dict(dir, "flow.pt", &d)) return 1;
    st = hift_random_state_dict(&hc, &rng, &d);
    if (!cv_is_ok(&st)) return fail("hift weights", st);
    if (write_dict(dir, "hift.pt", &d)) return 1;

    /* speakers: random unit-scale x-vectors, in the SFT layout */
    const int E = fc.spk_embed_dim;
    spk_table speakers = {0};
    st = cv_ok();
    for (int s = 0; s < n_speakers && cv_is_ok(&st); s++) {
        char nm[32];
        snprintf(nm, sizeof nm, "speaker%d", s + 1);
        spk_voice v = {.name = strdup(nm), .embedding = malloc(sizeof(float) * (size_t)E),
                       .embedding_dim = E};
        if (!v.name || !v.embedding) st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        for (int k = 0; cv_is_ok(&st) && k < E; k++) v.embedding[k] = (float)(erand48(rng.x) * 2.0 - 1.0);
        if (cv_is_ok(&st)) st = spk_table_put(&speakers, &v, false);
        spk_voice_free(&v);
    }
    snprintf(path, sizeof path, "%s/" SPK2INFO_FILENAME, dir);
    if (cv_is_ok(&st)) st = spk_table_save(&speakers, path);
    spk_table_free(&speakers);
    if (!cv_is_ok(&st)) return fail(path, st);
    printf("%-12s %d speakers\n", "spk2info.pt", n_speakers);
    return 0;
}
