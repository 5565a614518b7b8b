#include "random/llm_random.h"

cv_status llm_random_weights(pt_dict *d, const llm_config *c, rw_rng *rng)
{
    int li = c->llm_input_size;
    cv_status s = rw_add_rel_encoder(d, "text_encoder.", &c->text_encoder, rng);
    if (cv_is_ok(&s)) s = rw_add_rel_encoder(d, "llm.", &c->llm, rng);
    if (cv_is_ok(&s))
        s = rw_add(d, "", "text_embedding.weight", 2,
                   (int64_t[]){c->text_token_size, c->text_encoder_input_size}, 0, 1, rng);
    if (cv_is_ok(&s))
        s = rw_add_linear(d, "", "text_encoder_affine_layer", c->text_encoder.output_size, li,
                          true, rng);
    if (cv_is_ok(&s)) s = rw_add(d, "", "llm_embedding.weight", 2, (int64_t[]){2, li}, 0, 1, rng);
    if (cv_is_ok(&s))
        s = rw_add(d, "", "speech_embedding.weight", 2, (int64_t[]){c->speech_token_size, li},
                   0, 1, rng);
    if (cv_is_ok(&s))
        s = rw_add_linear(d, "", "spk_embed_affine_layer", c->spk_embed_dim, li, true, rng);
    if (cv_is_ok(&s))
        s = rw_add_linear(d, "", "llm_decoder", c->llm_output_size, c->speech_token_size + 1,
                          true, rng);
    return s;
}

llm_config llm_config_cosyvoice_300m(void)
{
    llm_config c = {0};
    c.text_encoder_input_size = 512;
    c.llm_input_size = 1024;
    c.llm_output_size = 1024;
    c.text_token_size = 51866;
    c.speech_token_size = 4096;
    c.spk_embed_dim = 192;
    c.sampling = llm_sampling_defaults();
    c.text_encoder = rel_encoder_config_default(REL_ENC_CONFORMER);
    c.text_encoder.input_size = 512;
    c.text_encoder.output_size = 1024;
    c.text_encoder.attention_heads = 16;
    c.text_encoder.linear_units = 4096;
    c.text_encoder.num_blocks = 6;
    c.text_encoder.input_layer = REL_ENC_INPUT_LINEAR;
    c.text_encoder.static_chunk_size = 1;
    c.llm = rel_encoder_config_default(REL_ENC_TRANSFORMER);
    c.llm.input_size = 1024;
    c.llm.output_size = 1024;
    c.llm.attention_heads = 16;
    c.llm.linear_units = 4096;
    c.llm.num_blocks = 14;
    c.llm.input_layer = REL_ENC_INPUT_LINEAR_LEGACY;
    c.llm.static_chunk_size = 1;
    return c;
}
