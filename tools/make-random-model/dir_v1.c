/* A CosyVoice-300M directory with random weights: cosyvoice.yaml (official
 * sizes), llm.pt, flow.pt, hift.pt and spk2info.pt with SFT speakers. The
 * text tokenizer's vocabulary is not copied (the engine finds the installed
 * or source-tree copy, as for official directories). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/blocks/hift.h"
#include "model/io/spk2info.h"
#include "model/io/yaml_config.h"
#include "model/v1/flow.h"
#include "model/v1/llm_yaml.h"
#include "random/flow_random.h"
#include "random/hift_random.h"
#include "random/llm_random.h"
#include "random_dir.h"
#include "yaml_300m.h"

int make_dir_v1(const random_dir_options *o)
{
    const char *dir = o->dir;
    char path[4096];
    snprintf(path, sizeof path, "%s/cosyvoice.yaml", dir);
    FILE *f = fopen(path, "w");
    if (rd_close_text(f, f ? fputs(yaml_300m, f) : -1, path)) return 1;
    yaml_config *y = NULL;
    cv_status st = yaml_config_load(path, &y);
    if (!cv_is_ok(&st)) return rd_fail(path, st);
    llm_config lc;
    flow_config fc;
    hift_config hc;
    st = llm_config_from_yaml(y, &lc);
    if (cv_is_ok(&st)) st = flow_config_from_yaml(y, &fc);
    if (cv_is_ok(&st)) st = hift_config_from_yaml(y, &hc);
    yaml_config_free(y);
    if (!cv_is_ok(&st)) return rd_fail("cosyvoice.yaml", st);

    rw_rng rng = rw_rng_seed(o->seed);
    pt_dict d = {0};
    st = llm_random_weights(&d, &lc, &rng);
    if (!cv_is_ok(&st)) return rd_fail("llm weights", st);
    if (rd_write_dict(dir, "llm.pt", &d)) return 1;
    st = random_flow_weights(&d, &fc, &rng);
    if (!cv_is_ok(&st)) return rd_fail("flow weights", st);
    if (rd_write_dict(dir, "flow.pt", &d)) return 1;
    st = hift_random_state_dict(&hc, &rng, &d);
    if (!cv_is_ok(&st)) return rd_fail("hift weights", st);
    if (rd_write_dict(dir, "hift.pt", &d)) return 1;

    /* speakers: random unit-scale x-vectors, in the SFT layout */
    const int E = fc.spk_embed_dim;
    spk_table speakers = {0};
    st = cv_ok();
    for (int s = 0; s < o->n_speakers && cv_is_ok(&st); s++) {
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
    if (!cv_is_ok(&st)) return rd_fail(path, st);
    printf("%-24s %d speakers\n", "spk2info.pt", o->n_speakers);
    return 0;
}
