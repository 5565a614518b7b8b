/* The "cosyvoice" engine: the native CosyVoice pipeline for CosyVoice-300M
 * (v1), CosyVoice2-0.5B (v2) and Fun-CosyVoice3 (v3) model directories (the
 * per-family LM and token-to-audio steps: cv_family_v2v3.h).
 *
 * open() loads the model directory once (cv_model); weights are shared
 * read-only by concurrent calls, each call keeps its own caches (LM
 * key/value cache, flow (z, mu) cache, mel overlap, vocoder cache) and
 * holds a flow instance only while its flow runs.
 *
 * Modes: sft (speaker embedding from spk2info.pt to LM and flow), instruct
 * (the instruction's tokens are the LM's prompt text, no speaker embedding
 * for the LM, the flow still gets it: the reference frontend_instruct).
 * zero_shot (prompt text + prompt speech tokens to the LM, prompt speech
 * tokens + prompt mel to the flow, the prompt's speaker embedding to both)
 * and cross_lingual (the same without prompt text and LM prompt tokens)
 * need the prompt front end (campplus.onnx, speech_tokenizer_v1.onnx in the
 * model directory); without it they are refused with FAILED_PRECONDITION.
 *
 * v2 / v3 (24 kHz): sft with a saved voice (spk2info.pt entry with a prompt)
 * is zero_shot with the saved prompt; an SFT entry (embedding only)
 * conditions only the flow. instruct is the reference's instruct2: the
 * instruction + <|endofprompt|> is the LM's prompt text, no LM prompt
 * speech, the flow conditioned on the saved voice. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "engine/cosyvoice/cv_call.h"
#include "engine/cosyvoice/cv_model.h"
#include "engine/cosyvoice/cv_text.h"
#include "engine/engine.h"
#include "nn/backend.h"
#include "nn/matmul.h"
#include "nn/weights.h"

typedef struct cosyvoice_engine {
    engine base;
    cv_model *m;
    cv_settings set;
} cosyvoice_engine;

extern const engine_ops cosyvoice_engine_ops;

static cv_status cve_open(const engine_options *opt, engine **out)
{
    *out = NULL;
    cosyvoice_engine *e = calloc(1, sizeof *e);
    if (!e) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    e->base.ops = &cosyvoice_engine_ops;
    cv_status st = cv_settings_parse(opt->params, opt->n_params, opt->n_threads, &e->set);
    /* nn's shared pool (flow, vocoder, text encoder) is process-wide; the
     * LM's per-token products use a pool of the same size per call. */
    e->set.speakers_file = opt->speakers_file;
    if (cv_is_ok(&st)) nn_set_threads(e->set.n_threads);
    if (cv_is_ok(&st)) st = cv_model_load(opt->model_dir, &e->set, &e->m);
    if (!cv_is_ok(&st)) {
        free(e);
        return st;
    }
    /* name the kernels in use, and say so loudly when they are narrower than
     * the CPU allows (a limit set by ONEDNN_MAX_CPU_ISA) */
    char compute[512];
    nn_backend_describe(compute, sizeof compute);
    const char *prec = nn_precision_name(nn_get_precision());
    if (nn_backend_isa_limited()) LOG_WARN("compute: %s; precision %s", compute, prec);
    else LOG_INFO("compute: %s; precision %s", compute, prec);
    if (e->m->family == CV_FAMILY_V1)
        LOG_INFO("cosyvoice engine: %s loaded in %.2f s (%d speakers, %d threads per call, "
                 "first hop %d tokens, stream scale %g)",
                 opt->model_dir, e->m->load_seconds, e->m->n_speakers, e->set.n_threads,
                 e->m->t2w.first_hop, (double)e->m->t2w.scale);
    else
        LOG_INFO("cosyvoice engine: %s (%s) loaded in %.2f s (%d speakers and saved voices, "
                 "%d threads per call, first hop %s%d tokens, then %d..%d)",
                 opt->model_dir, cv_family_name(e->m->family), e->m->load_seconds,
                 e->m->n_speakers, e->set.n_threads, e->m->ct2w.first_hop ? "" : "prompt pad + ",
                 causal_t2w_first_hop(&e->m->ct2w, 0),
                 causal_t2w_next_hop(&e->m->ct2w, e->m->ct2w.token_hop_len),
                 e->m->ct2w.token_max_hop_len);
    LOG_INFO("cosyvoice engine: lm_yield %s (%s: LM %d + flow %d threads, %d online CPUs)",
             e->set.lm_yield ? "on" : "off", e->set.lm_yield_mode, e->set.n_threads,
             e->set.n_threads, e->set.online_cpus);
    *out = &e->base;
    return cv_ok();
}

static void cve_close(engine *base)
{
    cosyvoice_engine *e = (cosyvoice_engine *)base;
    cv_model_free(e->m);
    free(e);
}

static int cve_rate(const engine *base) { return ((const cosyvoice_engine *)base)->m->sample_rate; }

static size_t cve_count(const engine *base)
{
    return (size_t)((const cosyvoice_engine *)base)->m->n_speakers;
}

static const char *cve_name(const engine *base, size_t i)
{
    const cv_model *m = ((const cosyvoice_engine *)base)->m;
    return i < (size_t)m->n_speakers ? m->speaker_names[i] : NULL;
}

static cv_status cve_check(engine *base, const tts_request *r)
{
    cosyvoice_engine *e = (cosyvoice_engine *)base;
    const bool instruct2_audio = r->mode == TTS_MODE_INSTRUCT && r->prompt_pcm && r->prompt_samples;
    if (instruct2_audio && e->m->family == CV_FAMILY_V1)
        return cv_error(CV_FAILED_PRECONDITION, "instruct with a prompt recording (instruct2) "
                        "needs a CosyVoice2/3 model directory; CosyVoice-300M-Instruct takes "
                        "spk_id");
    if (instruct2_audio && (!r->instruct_text || !*r->instruct_text))
        return cv_error(CV_INVALID_ARGUMENT, "instruct needs instruct_text");
    switch (instruct2_audio ? TTS_MODE_CROSS_LINGUAL : r->mode) {
    case TTS_MODE_SFT:
    case TTS_MODE_INSTRUCT:
        if (e->m->n_speakers == 0)
            return cv_error(CV_FAILED_PRECONDITION,
                            "%s needs speakers, and this model directory has no spk2info.pt "
                            "entries (use zero_shot or cross_lingual with this model)",
                            tts_mode_name(r->mode));
        if (!cv_model_voice(e->m, r->spk_id)) {
            char list[1024];
            engine_speaker_list(base, list, sizeof list);
            return cv_error(CV_INVALID_ARGUMENT, "unknown spk_id '%s' (valid: %s)", r->spk_id,
                            list);
        }
        if (r->mode == TTS_MODE_INSTRUCT && (!r->instruct_text || !*r->instruct_text))
            return cv_error(CV_INVALID_ARGUMENT, "instruct needs instruct_text");
        return cv_ok();
    case TTS_MODE_ZERO_SHOT:
    case TTS_MODE_CROSS_LINGUAL:
        if (!e->m->prompt_fe)
            return cv_error(CV_FAILED_PRECONDITION,
                            "%s needs the prompt front end (campplus.onnx, "
                            "speech_tokenizer_v%d.onnx), not available in this model dir: %s",
                            tts_mode_name(r->mode), (int)e->m->family, e->m->prompt_frontend_why);
        if (!r->prompt_pcm || r->prompt_samples == 0)
            return cv_error(CV_INVALID_ARGUMENT, "%s needs prompt audio", tts_mode_name(r->mode));
        return cv_ok();
    default:
        return cv_error(CV_UNIMPLEMENTED, "mode %d is not implemented", (int)r->mode);
    }
}

static cv_status cve_synthesize(engine *base, const tts_request *r, tts_sink *sink)
{
    cosyvoice_engine *e = (cosyvoice_engine *)base;
    double t0 = cv_now();
    cv_status st = cve_check(base, r);
    if (!cv_is_ok(&st)) return st;
    cv_conditioning cond = {0};
    int32_t *prompt_text = NULL;
    prompt_features pf = {0};
    const bool instruct2_audio = r->mode == TTS_MODE_INSTRUCT && r->prompt_pcm && r->prompt_samples;
    if (!instruct2_audio && (r->mode == TTS_MODE_SFT || r->mode == TTS_MODE_INSTRUCT)) {
        const spk_voice *v = cv_model_voice(e->m, r->spk_id);
        cv_conditioning_for_voice(e->m, v, cv_model_speaker(e->m, r->spk_id),
                                  r->mode == TTS_MODE_SFT, &cond);
        if (r->mode != TTS_MODE_SFT) {
            /* no LM embedding: the reference removes it (information leak); v2/v3:
               instruct2, the instruction + <|endofprompt|> and no LM prompt speech */
            st = cv_instruct_tokens(e->m->tok, r->instruct_text, &prompt_text, &cond.n_prompt_text);
            if (!cv_is_ok(&st)) return st;
            cond.prompt_text = prompt_text;
        }
    } else {
        st = prompt_frontend_run(e->m->prompt_fe, r->prompt_pcm, r->prompt_samples, &pf);
        if (!cv_is_ok(&st)) return st;
        if (pf.n_mels != e->m->n_mels || PROMPT_SPK_DIM != e->m->spk_dim) {
            prompt_features_free(&pf);
            return cv_error(CV_INTERNAL, "prompt front end sizes do not match the model");
        }
        cond.llm_embedding = cond.flow_embedding = pf.embedding;
        cond.flow_prompt_speech = pf.speech_tokens;
        cond.n_flow_prompt_speech = pf.n_tokens;
        cond.flow_prompt_feat = pf.prompt_mel;
        cond.n_flow_prompt_frames = pf.mel_frames;
        if (instruct2_audio) { /* instruct2: the instruction is the LM's prompt text */
            st = cv_instruct_tokens(e->m->tok, r->instruct_text, &prompt_text, &cond.n_prompt_text);
            if (!cv_is_ok(&st)) {
                prompt_features_free(&pf);
                return st;
            }
            cond.prompt_text = prompt_text;
        } else if (r->mode == TTS_MODE_ZERO_SHOT) {
            st = cv_prompt_text_tokens(e->m->tok, r->prompt_text, &prompt_text,
                                       &cond.n_prompt_text);
            if (!cv_is_ok(&st)) {
                prompt_features_free(&pf);
                return st;
            }
            cond.prompt_text = prompt_text;
            cond.llm_prompt_speech = pf.speech_tokens;
            cond.n_llm_prompt_speech = pf.n_tokens;
        }
    }
    tts_request req = *r;
    if (req.stream && req.speed != 1.0f) {
        /* as the reference: speed is applied only without streaming */
        LOG_WARN("[%s] speed %.2f ignored: it only applies with streaming off", r->request_id,
                 (double)req.speed);
        req.speed = 1.0f;
    }
    cv_call_stats stats;
    st = cv_call_run(e->m, &e->set, &req, &cond, t0, sink, &stats);
    free(prompt_text);
    prompt_features_free(&pf);
    if (cv_is_ok(&st)) {
        double audio = (double)stats.samples / e->m->sample_rate;
        LOG_INFO("[%s] %s done: %d %s, %d chunk(s), %d speech tokens, %.2f s audio in "
                 "%.2f s (RTF %.2f); LM parked %d time(s), %.2f s",
                 r->request_id, tts_mode_name(r->mode), stats.segments,
                 r->source ? "streamed text" : "segment(s)", stats.chunks,
                 stats.tokens, audio, stats.t_end - t0,
                 audio > 0 ? (stats.t_end - t0) / audio : 0.0, stats.lm_parks, stats.lm_parked);
    }
    return st;
}

/* StreamInference: CosyVoice2/3 decode streamed text in one bistream LM
 * run (cv_bistream.h), in every mode, as the reference's generator input
 * does; CosyVoice-300M has no such decoding and gets the generic
 * per-piece path (engine_synthesize: one call per complete piece). */
static bool cve_reads_source(const engine *base, const tts_request *r)
{
    (void)r;
    return ((const cosyvoice_engine *)base)->m->family != CV_FAMILY_V1;
}

const engine_ops cosyvoice_engine_ops = {
    .name = "cosyvoice",
    .description = "native CosyVoice v1/v2/v3 neural engine: LM + flow + HiFT, streaming",
    .open = cve_open,
    .close = cve_close,
    .sample_rate = cve_rate,
    .speaker_count = cve_count,
    .speaker_name = cve_name,
    .check = cve_check,
    .synthesize = cve_synthesize,
    .reads_source = cve_reads_source,
};
