/* cosyvoice2.yaml / cosyvoice3.yaml text; see yaml_v2v3.h. The two files
 * differ only in the LM and flow classes, the flow's body, the causal
 * vocoder's class names and look-ahead, and the prompt mel's fmax. */
#include "yaml_v2v3.h"

v2v3_sizes v2v3_sizes_official(void)
{
    return (v2v3_sizes){.hidden = 896, .layers = 24, .heads = 14, .kv_heads = 2,
                        .intermediate = 4864, .enc_size = 512, .enc_heads = 8,
                        .enc_units = 2048, .enc_blocks = 6, .est_channels = 256,
                        .est_head_dim = 64, .est_blocks = 4, .est_mid_blocks = 12,
                        .est_heads = 8, .look_channels = 1024, .dit_dim = 1024,
                        .dit_depth = 22, .dit_heads = 16, .dit_head_dim = 64,
                        .hift_channels = 512, .f0_channels = 512};
}

v2v3_sizes v2v3_sizes_small(void)
{
    return (v2v3_sizes){.hidden = 32, .layers = 2, .heads = 2, .kv_heads = 1,
                        .intermediate = 64, .enc_size = 32, .enc_heads = 2, .enc_units = 64,
                        .enc_blocks = 1, .est_channels = 32, .est_head_dim = 16,
                        .est_blocks = 1, .est_mid_blocks = 1, .est_heads = 2,
                        .look_channels = 32, .dit_dim = 32, .dit_depth = 2, .dit_heads = 2,
                        .dit_head_dim = 16, .hift_channels = 32, .f0_channels = 32};
}

static const char head[] =
    "# Random-weight %s model at %s sizes, written by\n"
    "# cosyvoice-make-random-model for benchmarks and loader tests: the keys, tags\n"
    "# and inference settings of the official %s (training sections left out).\n"
    "# The Qwen2 LM's own sizes are in CosyVoice-BlankEN/config.json. Weights are\n"
    "# random: the audio is noise.\n"
    "__set_seed1: !apply:random.seed [1986]\n"
    "__set_seed2: !apply:numpy.random.seed [1986]\n"
    "__set_seed3: !apply:torch.manual_seed [1986]\n"
    "__set_seed4: !apply:torch.cuda.manual_seed_all [1986]\n"
    "\n"
    "# fixed params\n"
    "sample_rate: 24000\n"
    "llm_input_size: %d\n"
    "llm_output_size: %d\n"
    "spk_embed_dim: 192\n"
    "qwen_pretrain_path: ''\n"
    "token_frame_rate: 25\n"
    "token_mel_ratio: 2\n"
    "\n"
    "# stream related params\n"
    "chunk_size: 25 # streaming inference chunk size, in token\n"
    "num_decoding_left_chunks: -1\n"
    "\n"
    "llm: !new:cosyvoice.llm.llm.%s\n"
    "    llm_input_size: !ref <llm_input_size>\n"
    "    llm_output_size: !ref <llm_output_size>\n"
    "    speech_token_size: 6561\n"
    "    length_normalized_loss: True\n"
    "    lsm_weight: 0\n"
    "    mix_ratio: [5, 15]\n"
    "    llm: !new:cosyvoice.llm.llm.Qwen2Encoder\n"
    "        pretrain_path: !ref <qwen_pretrain_path>\n"
    "    sampling: !name:cosyvoice.utils.common.ras_sampling\n"
    "        top_p: 0.8\n"
    "        top_k: 25\n"
    "        win_size: 10\n"
    "        tau_r: 0.1\n"
    "\n";

/* the flow's header, with its input_size */
static const char flow_head[] =
    "flow: !new:cosyvoice.flow.flow.%s\n"
    "    input_size: %d\n"
    "    output_size: 80\n"
    "    spk_embed_dim: !ref <spk_embed_dim>\n"
    "    output_type: 'mel'\n"
    "    vocab_size: 6561\n"
    "    input_frame_rate: !ref <token_frame_rate>\n"
    "    only_mask_loss: True\n"
    "    token_mel_ratio: !ref <token_mel_ratio>\n"
    "    pre_lookahead_len: 3\n";

static const char v2_encoder[] =
    "    encoder: !new:cosyvoice.transformer.upsample_encoder.UpsampleConformerEncoder\n"
    "        output_size: %d\n"
    "        attention_heads: %d\n"
    "        linear_units: %d\n"
    "        num_blocks: %d\n"
    "        dropout_rate: 0.1\n"
    "        positional_dropout_rate: 0.1\n"
    "        attention_dropout_rate: 0.1\n"
    "        normalize_before: True\n"
    "        input_layer: 'linear'\n"
    "        pos_enc_layer_type: 'rel_pos_espnet'\n"
    "        selfattention_layer_type: 'rel_selfattn'\n"
    "        input_size: %d\n"
    "        use_cnn_module: False\n"
    "        macaron_style: False\n"
    "        static_chunk_size: !ref <chunk_size>\n";

static const char v3_lookahead[] =
    "    pre_lookahead_layer: !new:cosyvoice.transformer.upsample_encoder.PreLookaheadLayer\n"
    "        in_channels: 80\n"
    "        channels: %d\n"
    "        pre_lookahead_len: 3\n";

static const char cfm[] =
    "    decoder: !new:cosyvoice.flow.flow_matching.CausalConditionalCFM\n"
    "        in_channels: 240\n"
    "        n_spks: 1\n"
    "        spk_emb_dim: 80\n"
    "        cfm_params: !new:omegaconf.DictConfig\n"
    "            content:\n"
    "                sigma_min: 1e-06\n"
    "                solver: 'euler'\n"
    "                t_scheduler: 'cosine'\n"
    "                training_cfg_rate: 0.2\n"
    "                inference_cfg_rate: 0.7\n"
    "                reg_loss_type: 'l1'\n";

static const char v2_estimator[] =
    "        estimator: !new:cosyvoice.flow.decoder.CausalConditionalDecoder\n"
    "            in_channels: 320\n"
    "            out_channels: 80\n"
    "            channels: [%d]\n"
    "            dropout: 0.0\n"
    "            attention_head_dim: %d\n"
    "            n_blocks: %d\n"
    "            num_mid_blocks: %d\n"
    "            num_heads: %d\n"
    "            act_fn: 'gelu'\n"
    "            static_chunk_size: !ref <chunk_size> * <token_mel_ratio>\n"
    "            num_decoding_left_chunks: !ref <num_decoding_left_chunks>\n"
    "\n";

static const char v3_estimator[] =
    "        estimator: !new:cosyvoice.flow.DiT.dit.DiT\n"
    "            dim: %d\n"
    "            depth: %d\n"
    "            heads: %d\n"
    "            dim_head: %d\n"
    "            ff_mult: 2\n"
    "            mel_dim: 80\n"
    "            mu_dim: 80\n"
    "            spk_dim: 80\n"
    "            out_channels: 80\n"
    "            static_chunk_size: !ref <chunk_size> * <token_mel_ratio>\n"
    "            num_decoding_left_chunks: !ref <num_decoding_left_chunks>\n"
    "\n";

/* the vocoder: class, base channels, (v3) look-ahead line, f0 class, its channels */
static const char hift[] =
    "hift: !new:cosyvoice.hifigan.generator.%s\n"
    "    in_channels: 80\n"
    "    base_channels: %d\n"
    "    nb_harmonics: 8\n"
    "    sampling_rate: !ref <sample_rate>\n"
    "    nsf_alpha: 0.1\n"
    "    nsf_sigma: 0.003\n"
    "    nsf_voiced_threshold: 10\n"
    "    upsample_rates: [8, 5, 3]\n"
    "    upsample_kernel_sizes: [16, 11, 7]\n"
    "    istft_params:\n"
    "        n_fft: 16\n"
    "        hop_len: 4\n"
    "    resblock_kernel_sizes: [3, 7, 11]\n"
    "    resblock_dilation_sizes: [[1, 3, 5], [1, 3, 5], [1, 3, 5]]\n"
    "    source_resblock_kernel_sizes: [7, 7, 11]\n"
    "    source_resblock_dilation_sizes: [[1, 3, 5], [1, 3, 5], [1, 3, 5]]\n"
    "    lrelu_slope: 0.1\n"
    "    audio_limit: 0.99\n"
    "%s"
    "    f0_predictor: !new:cosyvoice.hifigan.f0_predictor.%s\n"
    "        num_class: 1\n"
    "        in_channels: 80\n"
    "        cond_channels: %d\n"
    "\n";

/* the prompt mel (the front end's feat_extractor) and the text tokenizer */
static const char tail[] =
    "get_tokenizer: !name:cosyvoice.tokenizer.tokenizer.get_qwen_tokenizer\n"
    "    token_path: !ref <qwen_pretrain_path>\n"
    "    skip_special_tokens: True\n"
    "%s"
    "allowed_special: 'all'\n"
    "feat_extractor: !name:matcha.utils.audio.mel_spectrogram\n"
    "    n_fft: 1920\n"
    "    num_mels: 80\n"
    "    sampling_rate: !ref <sample_rate>\n"
    "    hop_size: 480\n"
    "    win_size: 1920\n"
    "    fmin: 0\n"
    "    fmax: %s\n"
    "    center: False\n";

int write_yaml_v2v3(FILE *f, int family, const v2v3_sizes *s)
{
    const int v3 = family == 3;
    int r = fprintf(f, head, v3 ? "CosyVoice3" : "CosyVoice2",
                    v3 ? "Fun-CosyVoice3-0.5B's" : "CosyVoice2-0.5B's",
                    v3 ? "cosyvoice3.yaml" : "cosyvoice2.yaml", s->hidden, s->hidden,
                    v3 ? "CosyVoice3LM" : "Qwen2LM");
    if (r >= 0)
        r = fprintf(f, flow_head, v3 ? "CausalMaskedDiffWithDiT" : "CausalMaskedDiffWithXvec",
                    v3 ? 80 : s->enc_size);
    if (r >= 0 && v3) r = fprintf(f, v3_lookahead, s->look_channels);
    if (r >= 0 && !v3)
        r = fprintf(f, v2_encoder, s->enc_size, s->enc_heads, s->enc_units, s->enc_blocks,
                    s->enc_size);
    if (r >= 0) r = fputs(cfm, f);
    if (r >= 0 && v3)
        r = fprintf(f, v3_estimator, s->dit_dim, s->dit_depth, s->dit_heads, s->dit_head_dim);
    if (r >= 0 && !v3)
        r = fprintf(f, v2_estimator, s->est_channels, s->est_head_dim, s->est_blocks,
                    s->est_mid_blocks, s->est_heads);
    if (r >= 0)
        r = fprintf(f, hift, v3 ? "CausalHiFTGenerator" : "HiFTGenerator", s->hift_channels,
                    v3 ? "    conv_pre_look_right: 4\n" : "",
                    v3 ? "CausalConvRNNF0Predictor" : "ConvRNNF0Predictor", s->f0_channels);
    if (r >= 0)
        r = fprintf(f, tail, v3 ? "    version: cosyvoice3\n" : "", v3 ? "null" : "8000");
    return r < 0 ? -1 : 0;
}

int write_qwen_config(FILE *f, const v2v3_sizes *s)
{
    int r = fprintf(f,
                    "{\n"
                    "  \"architectures\": [\n"
                    "    \"Qwen2ForCausalLM\"\n"
                    "  ],\n"
                    "  \"attention_dropout\": 0.0,\n"
                    "  \"bos_token_id\": 151643,\n"
                    "  \"eos_token_id\": 151643,\n"
                    "  \"hidden_act\": \"silu\",\n"
                    "  \"hidden_size\": %d,\n"
                    "  \"initializer_range\": 0.02,\n"
                    "  \"intermediate_size\": %d,\n"
                    "  \"max_position_embeddings\": 32768,\n"
                    "  \"max_window_layers\": %d,\n"
                    "  \"model_type\": \"qwen2\",\n"
                    "  \"num_attention_heads\": %d,\n"
                    "  \"num_hidden_layers\": %d,\n"
                    "  \"num_key_value_heads\": %d,\n"
                    "  \"rms_norm_eps\": 1e-06,\n"
                    "  \"rope_theta\": 1000000.0,\n"
                    "  \"sliding_window\": 32768,\n"
                    "  \"tie_word_embeddings\": true,\n"
                    "  \"torch_dtype\": \"float32\",\n"
                    "  \"transformers_version\": \"4.40.1\",\n"
                    "  \"use_cache\": true,\n"
                    "  \"use_sliding_window\": false,\n"
                    "  \"vocab_size\": 151936\n"
                    "}\n",
                    s->hidden, s->intermediate, s->layers, s->heads, s->layers, s->kv_heads);
    return r < 0 ? -1 : 0;
}
