#include "random/qwen2_random.h"

#include <stdio.h>

#include "model/v2/llm.h"
#include "model/v3/llm.h"

cv_status qwen2_lm_random_weights(pt_dict *d, const qwen2_lm_config *cfg, rw_rng *rng)
{
    const qwen2_config *c = &cfg->qwen;
    const qwen2_lm_layout *l = &cfg->layout;
    int H = c->hidden, qd = c->heads * c->head_dim, kvd = c->kv_heads * c->head_dim;
    const char *p = "llm.model.model.";
    char name[160];
    cv_status s = rw_add(d, p, "embed_tokens.weight", 2, (int64_t[]){c->vocab, H}, 0, 1, rng);
    if (cv_is_ok(&s)) s = rw_add(d, p, "norm.weight", 1, (int64_t[]){H}, 1, 0.1f, rng);
    for (int i = 0; i < c->layers && cv_is_ok(&s); i++) {
        snprintf(name, sizeof name, "layers.%d.input_layernorm.weight", i);
        s = rw_add(d, p, name, 1, (int64_t[]){H}, 1, 0.1f, rng);
        snprintf(name, sizeof name, "layers.%d.post_attention_layernorm.weight", i);
        if (cv_is_ok(&s)) s = rw_add(d, p, name, 1, (int64_t[]){H}, 1, 0.1f, rng);
#define LIN(n, in, out, bias)                                                   \
    if (cv_is_ok(&s)) {                                                         \
        snprintf(name, sizeof name, "layers.%d.%s", i, n);                      \
        s = rw_add_linear(d, p, name, in, out, bias, rng);                      \
    }
        LIN("self_attn.q_proj", H, qd, true)
        LIN("self_attn.k_proj", H, kvd, true)
        LIN("self_attn.v_proj", H, kvd, true)
        LIN("self_attn.o_proj", qd, H, false)
        LIN("mlp.gate_proj", H, c->intermediate, false)
        LIN("mlp.up_proj", H, c->intermediate, false)
        LIN("mlp.down_proj", c->intermediate, H, false)
#undef LIN
    }
    if (cv_is_ok(&s) && !l->sos_task_in_speech_table)
        s = rw_add(d, "", "llm_embedding.weight", 2, (int64_t[]){2, H}, 0, 1, rng);
    if (cv_is_ok(&s))
        s = rw_add(d, "", "speech_embedding.weight", 2, (int64_t[]){l->n_speech_rows, H}, 0, 1,
                   rng);
    if (cv_is_ok(&s))
        s = rw_add_linear(d, "", "llm_decoder", H, l->n_speech_rows, l->decoder_bias, rng);
    return s;
}

qwen2_lm_config qwen2_lm_config_official(int version)
{
    qwen2_lm_config c = {0};
    c.qwen = (qwen2_config){.hidden = 896, .intermediate = 4864, .layers = 24, .heads = 14,
                            .kv_heads = 2, .head_dim = 64, .vocab = 151936,
                            .max_positions = 32768, .rms_eps = 1e-6f, .rope_theta = 1e6};
    c.layout = version == 3 ? cv3_llm_layout(6561, 5, 15) : cv2_llm_layout(6561, 5, 15);
    c.sampling = llm_sampling_defaults();
    return c;
}
