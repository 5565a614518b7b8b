/* Unit tests for the CosyVoice2/3 configuration of the prompt front end:
 * the trimming rule on its own; the front end of the frontend2-tiny golden
 * directory on prompt_cut.wav (a length the rule cuts) against the
 * reference's trimmed results, from the file's own rate and from 16 kHz
 * PCM as the server receives it; and a CosyVoice3 directory (fmax: null,
 * speech_tokenizer_v3.onnx) built from the same networks. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "audio/audio_file.h"
#include "audio/sinc_resample.h"
#include "model/frontend/frontend_feats.h"
#include "model/frontend/prompt_frontend.h"
#include "model/io/yaml_config.h"
#include "onnx/onnx_build.h"

#include "golden_test_util.h"

static const char *golden(const char *file) { return golden_path("frontend2-tiny", file); }

static npy_array load_npy(const char *name) { return golden_npy("frontend2-tiny", name); }

/* L = min(floor(F / 2), N); 2L frames and L tokens are kept. */
static void test_trim_rule(void **state)
{
    (void)state;
    static const int cases[][5] = {
        /* F, N, ratio, frames kept, tokens kept */
        {174, 87, 2, 174, 87}, /* the golden recording: nothing cut */
        {147, 74, 2, 146, 73}, /* prompt_cut.wav: both cut */
        {175, 87, 2, 174, 87}, /* an odd frame count loses its last frame */
        {180, 87, 2, 174, 87}, /* more mel than tokens: the mel is cut */
        {100, 87, 2, 100, 50}, /* more tokens than mel: the tokens are cut */
        {1, 5, 2, 0, 0},
        {0, 0, 2, 0, 0},
        {147, 74, 0, 147, 74}, /* v1: no trimming */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int f = -1, t = -1;
        prompt_frontend_trim(cases[i][0], cases[i][1], cases[i][2], &f, &t);
        if (f != cases[i][3] || t != cases[i][4])
            fail_msg("case %zu: F %d N %d -> %d frames %d tokens, expected %d %d", i, cases[i][0],
                     cases[i][1], f, t, cases[i][3], cases[i][4]);
    }
    assert_int_equal(prompt_frontend_family_config(CV_FAMILY_V1)->mel_per_token, 0);
    assert_int_equal(prompt_frontend_family_config(CV_FAMILY_V2)->mel_per_token, 2);
    assert_int_equal(prompt_frontend_family_config(CV_FAMILY_V3)->mel_per_token, 2);
    assert_true(prompt_frontend_family_config(CV_FAMILY_V1)->mel_from_16k);
    assert_false(prompt_frontend_family_config(CV_FAMILY_V2)->mel_from_16k);
    assert_string_equal(prompt_frontend_family_config(CV_FAMILY_V3)->tokenizer_file,
                        "speech_tokenizer_v3.onnx");
}

static void expect_cut_results(const prompt_features *f, double mel_tol)
{
    npy_array tok = load_npy("fe2_cut_speech_token_trimmed"), emb = load_npy("fe2_cut_spk_embedding");
    npy_array mel = load_npy("fe2_cut_prompt_feat_trimmed");
    assert_int_equal(f->n_tokens, 73);
    assert_int_equal(f->mel_frames, 146);
    assert_int_equal((size_t)f->n_tokens, tok.count);
    for (int i = 0; i < f->n_tokens; i++)
        if (f->speech_tokens[i] != tok.idata[i])
            fail_msg("token %d: %d, reference %lld", i, f->speech_tokens[i], (long long)tok.idata[i]);
    assert_true(golden_max_abs(f->embedding, emb.data, PROMPT_SPK_DIM) < 1e-3);
    assert_int_equal((size_t)f->mel_frames * f->n_mels, mel.count);
    const double d = golden_max_abs(f->prompt_mel, mel.data, mel.count);
    if (!(d < mel_tol)) fail_msg("prompt mel differs by %g", d);
    npy_free(&tok);
    npy_free(&emb);
    npy_free(&mel);
}

static void test_v2_cut_recording(void **state)
{
    (void)state;
    cv_status st;
    prompt_frontend *pf = prompt_frontend_load(golden(NULL), &st);
    if (!pf) fail_msg("%s", st.message);
    assert_int_equal(prompt_frontend_family_of(pf), CV_FAMILY_V2);
    assert_int_equal(prompt_frontend_mel_rate(pf), 24000);
    float *x = NULL;
    size_t n = 0;
    int rate = 0;
    st = audio_file_load_float(golden("prompt_cut.wav"), &x, &n, &rate);
    if (!cv_is_ok(&st)) fail_msg("%s", st.message);
    assert_int_equal(rate, 24000);
    assert_int_equal(n, 70992);
    prompt_features f;
    st = prompt_frontend_run_float_rate(pf, x, n, rate, &f);
    if (!cv_is_ok(&st)) fail_msg("%s", st.message);
    expect_cut_results(&f, 1e-3);
    prompt_features_free(&f);

    /* The server receives 16 kHz int16: the prompt mel is then made from
     * that signal resampled to 24 kHz (what the reference does with a 16 kHz
     * file), so it matches the 24 kHz one only in the band 16 kHz keeps;
     * the rule still gives 2 frames per token. */
    sinc_resampler *r = sinc_resampler_new(24000, 16000);
    size_t m = sinc_resampler_out_len(r, n);
    float *y = malloc(sizeof(float) * m);
    int16_t *pcm = malloc(sizeof(int16_t) * m);
    assert_non_null(y);
    assert_non_null(pcm);
    assert_int_equal(sinc_resampler_run(r, x, n, y), 0);
    for (size_t i = 0; i < m; i++) pcm[i] = (int16_t)lrintf(y[i] * 32767.0f);
    st = prompt_frontend_run(pf, pcm, m, &f);
    if (!cv_is_ok(&st)) fail_msg("%s", st.message);
    assert_int_equal(f.mel_frames, 2 * f.n_tokens);
    assert_true(f.n_tokens >= 70 && f.n_tokens <= 74);
    prompt_features_free(&f);
    free(pcm);
    free(y);
    sinc_resampler_free(r);
    free(x);
    prompt_frontend_free(pf);
}

static void link_into(const char *dir, const char *target, const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (symlink(target, path) != 0) fail_msg("symlink %s", path);
}

static void unlink_in(const char *dir, const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}

/* CosyVoice3's front end is v2's with speech_tokenizer_v3.onnx and the
 * prompt mel up to Nyquist (fmax: null). No reference data exists for it:
 * this checks the configuration (file name, fmax) on v2's networks, and that
 * the mel equals the one with fmax written out as 12000. */
static void test_v3_directory(void **state)
{
    (void)state;
    char dir[] = "/tmp/cv-fe3-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char campplus[1024], tokenizer[1024], yaml[1200];
    snprintf(campplus, sizeof campplus, "%s", golden("campplus.onnx"));
    snprintf(tokenizer, sizeof tokenizer, "%s", golden("speech_tokenizer_v2.onnx"));
    link_into(dir, campplus, "campplus.onnx");
    link_into(dir, tokenizer, "speech_tokenizer_v3.onnx");
    static const char text[] = "sample_rate: 24000\n"
                               "feat_extractor: !name:matcha.utils.audio.mel_spectrogram\n"
                               "    n_fft: 1920\n    num_mels: 80\n    sampling_rate: !ref <sample_rate>\n"
                               "    hop_size: 480\n    win_size: 1920\n    fmin: 0\n    fmax: null\n"
                               "    center: False\n";
    snprintf(yaml, sizeof yaml, "%s/cosyvoice3.yaml", dir);
    FILE *f = fopen(yaml, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);

    cv_status st;
    prompt_frontend *pf = prompt_frontend_load(dir, &st);
    if (!pf) fail_msg("%s", st.message);
    assert_int_equal(prompt_frontend_family_of(pf), CV_FAMILY_V3);
    npy_array wav = load_npy("fe2_wav");
    prompt_features p;
    st = prompt_frontend_run_float_rate(pf, wav.data, wav.count, 24000, &p);
    if (!cv_is_ok(&st)) fail_msg("%s", st.message);
    assert_int_equal(p.mel_frames, 174);
    assert_int_equal(p.n_tokens, 87);

    yaml_config *y = NULL;
    assert_int_equal(yaml_config_load(yaml, &y).code, CV_OK);
    fe_prompt_mel_config cfg;
    assert_int_equal(fe_prompt_mel_config_from_yaml(y, &cfg).code, CV_OK);
    assert_true(cfg.fmax == 0.0);
    yaml_config_free(y);
    cfg.fmax = 12000.0;
    fe_feats *fe = fe_feats_new(&cfg, &st);
    assert_non_null(fe);
    float *mel = NULL;
    int T = 0;
    assert_int_equal(fe_prompt_mel(fe, wav.data, wav.count, &mel, &T).code, CV_OK);
    assert_int_equal(T, 174);
    assert_true(golden_max_abs(mel, p.prompt_mel, (size_t)T * 80) < 1e-6);
    /* and it is not v2's mel (fmax 8000) */
    npy_array v2 = load_npy("fe2_prompt_feat");
    assert_true(golden_max_abs(mel, v2.data, v2.count) > 0.1);
    npy_free(&v2);
    free(mel);
    fe_feats_free(fe);
    prompt_features_free(&p);
    npy_free(&wav);
    prompt_frontend_free(pf);

    /* a v3 directory without its tokenizer names the file it looked for */
    unlink_in(dir, "speech_tokenizer_v3.onnx");
    assert_null(prompt_frontend_load(dir, &st));
    assert_non_null(strstr(st.message, "speech_tokenizer_v3.onnx"));
    unlink_in(dir, "campplus.onnx");
    unlink_in(dir, "cosyvoice3.yaml");
    rmdir(dir);
}

/* Stand-in tokenizers whose output 0 is |sum over mels| per frame, in the
 * forms the front end accepts as frontend.py flattens them ([1,1,N] int64,
 * [1,N] int32) and two it refuses (float ids, a batch of two). */
static void save_tokenizer(const char *path, int form)
{
    oxb *b = oxb_new(17);
    oxb_input(b, "feats");
    oxb_input(b, "feats_length");
    int64_t axes[1] = {1};
    oxb_const_i64(b, "axes", 1, axes);
    oxb_add(b, "ReduceSum", "feats,axes", "s"); /* [1,1,T] */
    oxb_add(b, "Abs", "s", "a");
    const char *out = "a";
    if (form == 0 || form == 1) {
        oxb_node *c = oxb_add(b, "Cast", "a", "ids");
        oxb_attr_i(b, c, "to", form == 0 ? 7 : 6); /* int64, int32 */
        out = "ids";
        if (form == 1) {
            oxb_add(b, "Squeeze", "ids,axes", "ids2"); /* [1,T] */
            out = "ids2";
        }
    } else if (form == 3) {
        oxb_node *c = oxb_add(b, "Cast", "a", "ids");
        oxb_attr_i(b, c, "to", 7);
        oxb_node *cat = oxb_add(b, "Concat", "ids,ids", "two"); /* [2,1,T] */
        oxb_attr_i(b, cat, "axis", 0);
        out = "two";
    }
    oxb_output(b, out);
    assert_int_equal(oxb_save(b, path), 0);
    oxb_free(b);
}

static void test_tokenizer_output_forms(void **state)
{
    (void)state;
    char dir[] = "/tmp/cv-tok-XXXXXX", tok[128];
    assert_non_null(mkdtemp(dir));
    snprintf(tok, sizeof tok, "%s/tok.onnx", dir);
    enum { T = 12 };
    float mel[128 * T];
    for (int m = 0; m < 128; m++)
        for (int t = 0; t < T; t++) mel[m * T + t] = (m == 0 ? 1.0f : 0.0f) * (float)(t * 3) + 0.25f / 128;
    for (int form = 0; form < 4; form++) {
        save_tokenizer(tok, form);
        cv_status st;
        prompt_frontend *pf =
            prompt_frontend_load_files(golden("campplus.onnx"), tok, NULL, CV_FAMILY_V2, &st);
        if (!pf) fail_msg("%s", st.message);
        int32_t *ids = NULL;
        int n = 0;
        st = prompt_frontend_tokens(pf, mel, T, &ids, &n);
        if (form < 2) {
            if (!cv_is_ok(&st)) fail_msg("form %d: %s", form, st.message);
            assert_int_equal(n, T);
            for (int t = 0; t < T; t++) assert_int_equal(ids[t], t * 3); /* Cast truncates the .25 */
        } else {
            assert_int_equal(st.code, CV_INVALID_ARGUMENT);
            assert_non_null(strstr(st.message, form == 2 ? "not integer ids" : "dimension 0 of size 2"));
            assert_null(ids);
        }
        free(ids);
        prompt_frontend_free(pf);
    }
    unlink(tok);
    rmdir(dir);
}

/* fmax that is neither a number nor null is refused, not read as 8000. */
static void test_bad_fmax(void **state)
{
    (void)state;
    static const char text[] = "feat_extractor:\n    fmax: eight-thousand\n";
    yaml_config *y = NULL;
    assert_int_equal(yaml_config_load_memory(text, sizeof text - 1, "x.yaml", &y).code, CV_OK);
    fe_prompt_mel_config cfg;
    cv_status st = fe_prompt_mel_config_from_yaml(y, &cfg);
    assert_int_equal(st.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(st.message, "fmax"));
    yaml_config_free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trim_rule),
        cmocka_unit_test(test_v2_cut_recording),
        cmocka_unit_test(test_v3_directory),
        cmocka_unit_test(test_tokenizer_output_forms),
        cmocka_unit_test(test_bad_fmax),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
