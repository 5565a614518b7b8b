/* Loading of a CosyVoice v1 model directory; see cv_model.h. */
#include "engine/cosyvoice/cv_model.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "engine/cosyvoice/cv_family_v2v3.h"
#include "model/family.h"
#include "model/v1/llm_yaml.h"
#include "nn/backend.h"
#include "nn/weights.h"

static bool parse_num(const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (errno || end == v || *end || !(d >= lo && d <= hi)) return false;
    *out = d;
    return true;
}

cv_status cv_settings_parse(const char *const *params, size_t n, int n_threads,
                            cv_settings *out)
{
    *out = (cv_settings){.n_threads = n_threads > 0 ? n_threads : 1, .stream_scale = 1.0f,
                         .lm_yield_mode = "off"};
    for (size_t i = 0; i < n; i++) {
        const char *kv = params[i], *eq = strchr(kv, '=');
        if (!eq) return cv_error(CV_INVALID_ARGUMENT, "engine option '%s' is not KEY=VALUE", kv);
        size_t kl = (size_t)(eq - kv);
        const char *v = eq + 1;
        double d;
        if (kl == 9 && !strncmp(kv, "first_hop", kl)) {
            if (!parse_num(v, 1, 100000, &d))
                return cv_error(CV_INVALID_ARGUMENT, "first_hop must be a token count >= 1");
            out->first_hop = (int)d;
        } else if (kl == 12 && !strncmp(kv, "stream_scale", kl)) {
            if (!parse_num(v, 1, 100, &d))
                return cv_error(CV_INVALID_ARGUMENT, "stream_scale must be in [1, 100]");
            out->stream_scale = (float)d;
        } else if (kl == 4 && !strncmp(kv, "seed", kl)) {
            if (!parse_num(v, 0, 9.0e15, &d))
                return cv_error(CV_INVALID_ARGUMENT, "seed must be a non-negative integer");
            out->have_seed = true;
            out->seed = (uint64_t)d;
        } else if (kl == 12 && !strncmp(kv, "fixed_tokens", kl)) {
            if (!parse_num(v, 1, 100000, &d))
                return cv_error(CV_INVALID_ARGUMENT, "fixed_tokens must be >= 1");
            out->fixed_tokens = (int)d;
        } else if (kl == 7 && !strncmp(kv, "lm_int8", kl)) {
            if (!parse_num(v, 0, 1, &d))
                return cv_error(CV_INVALID_ARGUMENT, "lm_int8 must be 0 or 1");
            out->lm_int8 = d != 0;
        } else if (kl == 8 && !strncmp(kv, "sampling", kl)) {
            if (strcmp(v, "greedy") && strcmp(v, "ras"))
                return cv_error(CV_INVALID_ARGUMENT, "sampling must be ras or greedy");
            out->greedy = !strcmp(v, "greedy");
        } else if (kl == 9 && !strncmp(kv, "precision", kl)) {
            if (strcmp(v, "bf16") && strcmp(v, "fp32"))
                return cv_error(CV_INVALID_ARGUMENT, "precision must be bf16 or fp32");
            out->bf16 = !strcmp(v, "bf16");
        } else if (kl == 8 && !strncmp(kv, "lm_yield", kl)) {
            if (strcmp(v, "auto") && strcmp(v, "on") && strcmp(v, "off"))
                return cv_error(CV_INVALID_ARGUMENT, "lm_yield must be auto, on or off");
            out->lm_yield_mode = !strcmp(v, "auto") ? "auto" : !strcmp(v, "on") ? "on" : "off";
        } else {
            return cv_error(CV_INVALID_ARGUMENT,
                            "unknown cosyvoice engine option '%.*s' (known: first_hop, "
                            "stream_scale, seed, fixed_tokens, lm_int8, sampling, precision, "
                            "lm_yield)",
                            (int)kl, kv);
        }
    }
    /* auto: the LM thread and the flow each run n_threads threads; only
     * when both cannot have their own cores does the LM make way */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    out->online_cpus = cpus > 0 ? (int)cpus : 1;
    if (!strcmp(out->lm_yield_mode, "auto")) out->lm_yield = 2 * out->n_threads > out->online_cpus;
    else out->lm_yield = !strcmp(out->lm_yield_mode, "on");
    return cv_ok();
}

/* SFT speakers of spk2info.pt (either layout of model/io/spk2info.h; saved
 * voices without an 'embedding' are kept in m->speakers for the modes that
 * use them). */
static cv_status load_speakers(cv_model *m, const char *dir, const char *speakers_file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/" SPK2INFO_FILENAME, dir);
    const char *paths[2] = {path, speakers_file};
    const bool optional[2] = {true, false}; /* a --speakers file must exist */
    cv_status st = spk_table_load_files(&m->speakers, paths, optional, speakers_file ? 2 : 1);
    if (!cv_is_ok(&st)) return st;
    if (access(path, F_OK) != 0) LOG_WARN("%s: not found; no sft/instruct speakers", path);
    const int E = m->spk_dim;
    const bool saved_ok = m->family != CV_FAMILY_V1; /* v1 serves SFT entries only */
    m->speaker_names = calloc(m->speakers.count + 1, sizeof(char *));
    m->speaker_embeddings = calloc(m->speakers.count + 1, sizeof(float *));
    m->speaker_voices = calloc(m->speakers.count + 1, sizeof(spk_voice *));
    if (!m->speaker_names || !m->speaker_embeddings || !m->speaker_voices)
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    for (size_t i = 0; i < m->speakers.count; i++) {
        const spk_voice *v = &m->speakers.items[i];
        const bool saved = saved_ok && v->has_prompt;
        if (!v->embedding && !saved) continue;
        if (v->embedding && v->embedding_dim != E)
            return cv_error(CV_INVALID_ARGUMENT, "%s: %s.embedding has %d values, expected %d",
                            v->source, v->name, v->embedding_dim, E);
        if (saved && (v->prompt_embedding_dim != E || (v->n_flow_tokens && v->feat_dim != m->n_mels)))
            return cv_error(CV_INVALID_ARGUMENT,
                            "%s: saved voice %s has %d-value embeddings and %d mel bins; this "
                            "model needs %d and %d",
                            v->source, v->name, v->prompt_embedding_dim, v->feat_dim, E,
                            m->n_mels);
        m->speaker_names[m->n_speakers] = v->name;
        m->speaker_embeddings[m->n_speakers] = v->embedding ? v->embedding : v->flow_embedding;
        m->speaker_voices[m->n_speakers] = v;
        m->n_speakers++;
    }
    if (m->n_speakers == 0 && access(path, F_OK) == 0) /* fatal unless the prompt front end serves */
        LOG_WARN("%s holds no speaker embeddings ('<speaker>.embedding'): sft and instruct "
                 "are not available", path);
    return cv_ok();
}

/* cosyvoice.yaml (yaml_path), llm.pt, flow.pt, hift.pt, Whisper's tokenizer */
static cv_status load_v1(cv_model *m, const char *dir, const char *yaml_path,
                         const cv_settings *set)
{
    char path[4096];
    cv_status st = yaml_config_load(yaml_path, &m->yaml);
    if (cv_is_ok(&st)) st = llm_config_from_yaml(m->yaml, &m->llm_cfg);
    if (cv_is_ok(&st)) st = flow_config_from_yaml(m->yaml, &m->flow_cfg);
    if (cv_is_ok(&st)) {
        snprintf(path, sizeof path, "%s/llm.pt", dir);
        st = pt_load(path, &m->llm_sd);
    }
    if (cv_is_ok(&st)) st = llm_load(&m->llm_sd, &m->llm_cfg, &m->llm);
    if (cv_is_ok(&st) && set->lm_int8) st = llm_quantize(m->llm);
    if (cv_is_ok(&st)) {
        snprintf(path, sizeof path, "%s/flow.pt", dir);
        st = pt_load(path, &m->flow_sd);
    }
    if (cv_is_ok(&st)) st = flow_pool_new(&m->flow_sd, &m->flow_cfg, &m->flow);
    if (cv_is_ok(&st)) m->hift = hift_open(dir, &st);
    if (cv_is_ok(&st)) {
        m->sample_rate = (int)yaml_config_int(m->yaml, "sample_rate",
                                              hift_get_config(m->hift)->sampling_rate);
        m->t2w = t2w_params_default(m->flow_cfg.input_frame_rate, m->sample_rate,
                                    hift_samples_per_frame(m->hift));
        if (set->first_hop > 0) m->t2w.first_hop = set->first_hop;
        m->t2w.scale = set->stream_scale;
        st = t2w_params_check(&m->t2w);
        m->n_mels = m->flow_cfg.output_size;
        m->spk_dim = m->flow_cfg.spk_embed_dim;
    }
    if (cv_is_ok(&st)) {
        char vocab[4096];
        st = bpe_tokenizer_find_vocab(dir, NULL, vocab, sizeof vocab);
        if (cv_is_ok(&st)) LOG_INFO("cosyvoice engine: tokenizer vocabulary %s", vocab);
        if (cv_is_ok(&st)) m->tok = bpe_tokenizer_load(vocab, &st);
    }
    return st;
}

cv_status cv_model_load(const char *dir, const cv_settings *set, cv_model **out)
{
    *out = NULL;
    if (!dir || !*dir)
        return cv_error(CV_INVALID_ARGUMENT, "the cosyvoice engine needs --model-dir");
    char why[512];
    if (!nn_backend_check(why, sizeof why))
        return cv_error(CV_FAILED_PRECONDITION, "neural engine: %s", why);
    /* before any weights load: they register for bf16 as they do */
    if (!nn_set_precision(set->bf16 ? NN_BF16 : NN_FP32)) {
        char compute[512];
        nn_backend_describe(compute, sizeof compute);
        return cv_error(CV_FAILED_PRECONDITION,
                        "precision=bf16 needs a CPU with AVX512_BF16 or AMX; here: %s", compute);
    }
    double t0 = cv_now();
    cv_model *m = calloc(1, sizeof *m);
    if (!m) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    char path[4096];
    cv_family family;
    cv_status st = cv_family_detect(dir, &family, path, sizeof path);
    m->family = family;
    if (cv_is_ok(&st))
        st = family == CV_FAMILY_V1 ? load_v1(m, dir, path, set) : cv_v2v3_load(m, dir, path, set);
    if (cv_is_ok(&st)) st = load_speakers(m, dir, set->speakers_file);
    if (cv_is_ok(&st)) {
        /* optional: only zero_shot and cross_lingual need it */
        cv_status pst;
        m->prompt_fe = prompt_frontend_load(dir, &pst);
        if (!m->prompt_fe) {
            snprintf(m->prompt_frontend_why, sizeof m->prompt_frontend_why, "%s", pst.message);
            LOG_WARN("prompt front end not loaded (zero_shot and cross_lingual disabled): %s",
                     pst.message);
        }
    }
    if (cv_is_ok(&st) && m->n_speakers == 0 && !m->prompt_fe)
        st = cv_error(CV_FAILED_PRECONDITION,
                      "%s can serve no mode: spk2info.pt %s (sft and instruct need its "
                      "'<speaker>.embedding' entries) and the prompt front end did not load "
                      "(zero_shot and cross_lingual need it): %s",
                      dir, m->speakers.count ? "holds no speaker embeddings" : "is missing or empty",
                      m->prompt_frontend_why);
    if (!cv_is_ok(&st)) {
        cv_model_free(m);
        return st;
    }
    m->load_seconds = cv_now() - t0;
    *out = m;
    return cv_ok();
}

void cv_model_free(cv_model *m)
{
    if (!m) return;
    free(m->speaker_names);
    free(m->speaker_embeddings);
    free(m->speaker_voices);
    cv_v2v3_free(m);
    prompt_frontend_free(m->prompt_fe);
    bpe_tokenizer_free(m->tok);
    hift_free(m->hift);
    flow_pool_free(m->flow);
    llm_free(m->llm);
    spk_table_free(&m->speakers);
    pt_free(&m->flow_sd);
    pt_free(&m->llm_sd);
    yaml_config_free(m->yaml);
    free(m);
}

const float *cv_model_speaker(const cv_model *m, const char *name)
{
    for (int i = 0; i < m->n_speakers; i++)
        if (strcmp(m->speaker_names[i], name) == 0) return m->speaker_embeddings[i];
    return NULL;
}

const spk_voice *cv_model_voice(const cv_model *m, const char *name)
{
    for (int i = 0; i < m->n_speakers; i++)
        if (strcmp(m->speaker_names[i], name) == 0) return m->speaker_voices[i];
    return NULL;
}
