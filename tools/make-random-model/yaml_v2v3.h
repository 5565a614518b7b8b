/* cosyvoice2.yaml / cosyvoice3.yaml for a random CosyVoice2-0.5B or
 * Fun-CosyVoice3-0.5B directory: the official file's keys, tags and
 * inference settings, with the sizes a v2v3_sizes gives (the official ones,
 * or small ones for tests). The training sections (data pipeline, GAN,
 * optimiser) are left out: nothing that serves a model reads them. The
 * Qwen2 sizes go into CosyVoice-BlankEN/config.json (write_qwen_config). */
#ifndef CV_TOOLS_YAML_V2V3_H
#define CV_TOOLS_YAML_V2V3_H

#include <stdio.h>

typedef struct v2v3_sizes {
    /* Qwen2 (config.json); llm_input/output_size = hidden */
    int hidden, layers, heads, kv_heads, intermediate;
    /* v2 flow: UpsampleConformerEncoder and CausalConditionalDecoder */
    int enc_size, enc_heads, enc_units, enc_blocks;
    int est_channels, est_head_dim, est_blocks, est_mid_blocks, est_heads;
    /* v3 flow: pre-look-ahead layer and DiT */
    int look_channels, dit_dim, dit_depth, dit_heads, dit_head_dim;
    /* both: HiFT base channels and the f0 predictor's */
    int hift_channels, f0_channels;
} v2v3_sizes;

/* The released models' sizes (the same for CosyVoice2 and CosyVoice3
 * where they share a part). */
v2v3_sizes v2v3_sizes_official(void);
/* A few-MB model of the same architecture, for tests. */
v2v3_sizes v2v3_sizes_small(void);

/* The yaml of family 2 or 3; 0 or -1 (errno set) as fprintf. */
int write_yaml_v2v3(FILE *f, int family, const v2v3_sizes *s);
/* CosyVoice-BlankEN/config.json of Qwen2.5-0.5B at these sizes. */
int write_qwen_config(FILE *f, const v2v3_sizes *s);

#endif
