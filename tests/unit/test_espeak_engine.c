/* Unit tests for the built-in espeak engine: speakers, languages, streaming
 * order, cancellation, request checks and concurrent calls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>

#include "audio/resample.h"
#include "engine/engine.h"
#include "engine/espeak/espeak_backend.h"
#include "engine/espeak/prompt_analysis.h"
#include "engine/espeak/voices.h"

/* A sink that records every write; optionally cancels after `cancel_after`
 * writes (0: never). */
typedef struct rec_sink {
    tts_sink base;
    int16_t *pcm;
    size_t len, cap;
    size_t writes;
    size_t sizes[256];
    size_t cancel_after;
    bool cancel;
} rec_sink;

static bool rec_write(tts_sink *s, const int16_t *pcm, size_t n)
{
    rec_sink *r = (rec_sink *)s;
    if (r->cancel)
        return false;
    if (r->len + n > r->cap) {
        r->cap = (r->len + n) * 2;
        r->pcm = realloc(r->pcm, r->cap * sizeof *r->pcm);
    }
    memcpy(r->pcm + r->len, pcm, n * sizeof *pcm);
    r->len += n;
    if (r->writes < 256)
        r->sizes[r->writes] = n;
    r->writes++;
    if (r->cancel_after && r->writes >= r->cancel_after)
        r->cancel = true;
    return true;
}

static bool rec_cancelled(tts_sink *s) { return ((rec_sink *)s)->cancel; }

static rec_sink rec_new(void)
{
    rec_sink r = {.base = {rec_write, rec_cancelled}};
    return r;
}

static engine *g_eng;

static int setup(void **state)
{
    (void)state;
    engine_options o = {0};
    cv_status s = engine_open("espeak", &o, &g_eng);
    return cv_is_ok(&s) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    engine_close(g_eng);
    return 0;
}

static tts_request sft(const char *spk, const char *text)
{
    tts_request r = {.mode = TTS_MODE_SFT, .tts_text = text, .spk_id = spk,
                     .prompt_text = "", .instruct_text = "", .speed = 1.0f,
                     .stream = true, .request_id = "test"};
    return r;
}

static cv_code run(const tts_request *req, rec_sink *r)
{
    cv_status s = g_eng->ops->synthesize(g_eng, req, &r->base);
    return s.code;
}

static void test_rate_and_speakers(void **state)
{
    (void)state;
    assert_int_equal(g_eng->ops->sample_rate(g_eng), 22050);
    size_t n = g_eng->ops->speaker_count(g_eng);
    assert_true(n >= 7);
    const char *need[] = {"中文女", "中文男", "日语男", "粤语女", "英文女", "英文男", "韩语女"};
    for (size_t i = 0; i < 7; i++)
        assert_true(engine_has_speaker(g_eng, need[i]));
}

/* Every speaker speaks, each at its own pitch. */
static void test_every_speaker_synthesizes(void **state)
{
    (void)state;
    size_t n = g_eng->ops->speaker_count(g_eng);
    float f0[32] = {0};
    for (size_t i = 0; i < n && i < 32; i++) {
        const char *spk = g_eng->ops->speaker_name(g_eng, i);
        tts_request req = sft(spk, "你好，欢迎使用语音合成。");
        rec_sink r = rec_new();
        assert_int_equal(run(&req, &r), CV_OK);
        assert_true(r.len > 22050 / 2); /* at least half a second */
        voice_analysis a;
        assert_int_equal(voice_analyze(r.pcm, r.len, 22050, &a), 0);
        assert_true(a.f0_median_hz > 60.0f);
        f0[i] = a.f0_median_hz;
        for (size_t j = 0; j < i; j++)
            assert_true(f0[j] != f0[i]);
        free(r.pcm);
    }
}

/* Non-streaming: one chunk per segment, in text order (the long middle
 * sentence gives the longest chunk). */
static void test_segments_in_order(void **state)
{
    (void)state;
    tts_request req = sft("中文女", "今天天气很好。然后我们去附近的饭馆吃一顿丰盛的午饭，"
                                    "再去图书馆看看书。最后回家休息。");
    req.stream = false;
    rec_sink r = rec_new();
    assert_int_equal(run(&req, &r), CV_OK);
    assert_true(r.writes >= 3);
    assert_true(r.sizes[1] > r.sizes[0]);
    assert_true(r.sizes[1] > r.sizes[r.writes - 1]);
    free(r.pcm);
}

/* Streaming: a long text arrives in several pieces of bounded size. */
static void test_streaming_pieces(void **state)
{
    (void)state;
    tts_request req = sft("英文男", "This is the first sentence. Here comes a second one. "
                                    "And finally a third sentence ends the text.");
    rec_sink r = rec_new();
    assert_int_equal(run(&req, &r), CV_OK);
    assert_true(r.writes >= 6);
    for (size_t i = 0; i < r.writes && i < 256; i++)
        assert_true(r.sizes[i] <= 22050);
    free(r.pcm);
}

static void test_cancellation_stops_early(void **state)
{
    (void)state;
    tts_request req = sft("中文男", "第一句话。第二句话。第三句话。第四句话。第五句话。第六句话。");
    rec_sink full = rec_new();
    assert_int_equal(run(&req, &full), CV_OK);
    rec_sink r = rec_new();
    r.cancel_after = 1;
    assert_int_equal(run(&req, &r), CV_CANCELLED);
    assert_int_equal(r.writes, 1);
    assert_true(r.len < full.len / 3);
    rec_sink pre = rec_new();
    pre.cancel = true;
    assert_int_equal(run(&req, &pre), CV_CANCELLED);
    assert_int_equal(pre.writes, 0);
    free(full.pcm);
    free(r.pcm);
    free(pre.pcm);
}

static void test_unknown_speaker_rejected(void **state)
{
    (void)state;
    tts_request req = sft("nobody", "你好。");
    cv_status s = g_eng->ops->check(g_eng, &req);
    assert_int_equal(s.code, CV_INVALID_ARGUMENT);
    assert_non_null(strstr(s.message, "nobody"));
    assert_non_null(strstr(s.message, "中文女"));
    assert_non_null(strstr(s.message, "韩语女"));
    rec_sink r = rec_new();
    assert_int_equal(run(&req, &r), CV_INVALID_ARGUMENT);
    assert_int_equal(r.writes, 0);
}

static void test_each_language_speaks(void **state)
{
    (void)state;
    const char *texts[] = {"今天天气很好。", "The weather is nice today.",
                           "今日はいい天気ですね。", "오늘은 날씨가 좋습니다."};
    for (size_t i = 0; i < 4; i++) {
        tts_request req = sft("中文女", texts[i]);
        rec_sink r = rec_new();
        assert_int_equal(run(&req, &r), CV_OK);
        voice_analysis a;
        assert_int_equal(voice_analyze(r.pcm, r.len, 22050, &a), 0);
        assert_true(a.voiced_seconds > 0.3f);
        assert_true(a.nuclei >= 3);
        free(r.pcm);
    }
}

/* A segment's language decides the voice, not the speaker: English text
 * from a Mandarin speaker sounds like the English speaker's English (same
 * length within a margin), not like Mandarin letter-by-letter reading. */
static void test_language_follows_segment(void **state)
{
    (void)state;
    const char *en = "Good morning, everybody.";
    tts_request a = sft("中文女", en), b = sft("英文女", en);
    rec_sink ra = rec_new(), rb = rec_new();
    assert_int_equal(run(&a, &ra), CV_OK);
    assert_int_equal(run(&b, &rb), CV_OK);
    double ratio = (double)ra.len / (double)rb.len;
    assert_true(ratio > 0.8 && ratio < 1.25);
    free(ra.pcm);
    free(rb.pcm);
}

/* Han text under the Cantonese speaker is read in Cantonese: the output
 * is what espeak-ng's Cantonese voice makes of it (same length), which
 * differs clearly from its Mandarin reading. */
static void test_cantonese_speaker_reads_cantonese(void **state)
{
    (void)state;
    const char *t = "我们明天早上八点在学校门口见面。";
    tts_request req = sft("粤语女", t);
    rec_sink r = rec_new();
    assert_int_equal(run(&req, &r), CV_OK);
    prosody p = speaker_prosody(speaker_find("粤语女"));
    prosody py = p, pc = p;
    py.rate *= lang_base_rate("yue");
    pc.rate *= lang_base_rate("cmn");
    pcm_buf yue = {0}, cmn = {0};
    assert_int_equal(espeak_backend_synth("yue", &py, t, &yue), 0);
    assert_int_equal(espeak_backend_synth("cmn", &pc, t, &cmn), 0);
    double dy = fabs((double)r.len - (double)yue.len) / (double)yue.len;
    double dc = fabs((double)r.len - (double)cmn.len) / (double)cmn.len;
    assert_true(dy < 0.02);
    assert_true(dc > 0.1);
    pcm_buf_free(&yue);
    pcm_buf_free(&cmn);
    free(r.pcm);
}

/* Kanji in Japanese text are read in Japanese (as kana), not spelled out
 * as "Chinese letter": the kanji and the kana spelling take about as long. */
static void test_japanese_kanji_read_as_kana(void **state)
{
    (void)state;
    tts_request a = sft("日语男", "東京へ行きます。"), b = sft("日语男", "とうきょうへいきます。");
    rec_sink ra = rec_new(), rb = rec_new();
    assert_int_equal(run(&a, &ra), CV_OK);
    assert_int_equal(run(&b, &rb), CV_OK);
    double ratio = (double)ra.len / (double)rb.len;
    assert_true(ratio > 0.8 && ratio < 1.25);
    free(ra.pcm);
    free(rb.pcm);
}

static void test_speed_changes_duration(void **state)
{
    (void)state;
    tts_request req = sft("中文女", "今天天气很好，我们去公园散步吧。");
    rec_sink n = rec_new(), f = rec_new();
    assert_int_equal(run(&req, &n), CV_OK);
    req.speed = 1.8f;
    assert_int_equal(run(&req, &f), CV_OK);
    assert_true((double)f.len < 0.8 * (double)n.len);
    free(n.pcm);
    free(f.pcm);
}

static void test_all_modes(void **state)
{
    (void)state;
    /* A 1 s harmonic "voice" at 140 Hz as the prompt. */
    size_t n = 16000;
    int16_t *pcm = malloc(n * sizeof *pcm);
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / 16000.0, v = 0;
        for (int h = 1; h <= 5; h++)
            v += sin(2 * M_PI * 140.0 * h * t) / h;
        pcm[i] = (int16_t)(5000 * v);
    }
    for (int m = 0; m < TTS_MODE_COUNT; m++) {
        tts_request req = sft("英文男", "你好。Hello.");
        req.mode = (tts_mode)m;
        if (m == TTS_MODE_ZERO_SHOT || m == TTS_MODE_CROSS_LINGUAL) {
            req.spk_id = "";
            req.prompt_pcm = pcm;
            req.prompt_samples = n;
            req.prompt_text = m == TTS_MODE_ZERO_SHOT ? "啊啊啊啊" : "";
        }
        if (m == TTS_MODE_INSTRUCT)
            req.instruct_text = "speak slowly";
        assert_int_equal(g_eng->ops->check(g_eng, &req).code, CV_OK);
        rec_sink r = rec_new();
        assert_int_equal(run(&req, &r), CV_OK);
        assert_true(r.len > 22050 / 2);
        free(r.pcm);
    }
    free(pcm);
}

static voice_analysis analyse(const rec_sink *r)
{
    voice_analysis a;
    assert_int_equal(voice_analyze(r->pcm, r->len, 22050, &a), 0);
    return a;
}

/* The instruction targets: slow >= +20% duration, fast <= -20%, high/low
 * pitch moves the median F0 by >= 10%, soft/whisper lowers the level by
 * >= 6 dB; for an espeak-ng voice (Mandarin) and a flite one (English). */
static void test_instruct_targets(void **state)
{
    (void)state;
    const char *spk[] = {"中文女", "英文男"};
    const char *text[] = {"我们明天早上八点在学校门口见面，然后一起去北京。",
                          "We will meet at the school gate tomorrow morning at eight."};
    for (int v = 0; v < 2; v++) {
        tts_request req = sft(spk[v], text[v]);
        req.mode = TTS_MODE_INSTRUCT;
        req.instruct_text = "";
        rec_sink base = rec_new();
        assert_int_equal(run(&req, &base), CV_OK);
        voice_analysis b = analyse(&base);
        const char *slow[] = {"speak slowly", "请慢一点说"}, *fast[] = {"fast", "说快一点"};
        for (int i = 0; i < 2; i++) {
            rec_sink r = rec_new();
            req.instruct_text = slow[i];
            assert_int_equal(run(&req, &r), CV_OK);
            assert_true((double)r.len >= 1.2 * (double)base.len);
            free(r.pcm);
            r = rec_new();
            req.instruct_text = fast[i];
            assert_int_equal(run(&req, &r), CV_OK);
            assert_true((double)r.len <= 0.8 * (double)base.len);
            free(r.pcm);
        }
        const char *high[] = {"high pitch", "用高音说"}, *low[] = {"low pitch", "用低沉的声音"};
        for (int i = 0; i < 2; i++) {
            rec_sink r = rec_new();
            req.instruct_text = high[i];
            assert_int_equal(run(&req, &r), CV_OK);
            assert_true(analyse(&r).f0_median_hz >= 1.1f * b.f0_median_hz);
            free(r.pcm);
            r = rec_new();
            req.instruct_text = low[i];
            assert_int_equal(run(&req, &r), CV_OK);
            assert_true(analyse(&r).f0_median_hz <= 0.9f * b.f0_median_hz);
            free(r.pcm);
        }
        const char *soft[] = {"speak softly", "whisper", "小声说", "轻声"};
        for (int i = 0; i < 4; i++) {
            rec_sink r = rec_new();
            req.instruct_text = soft[i];
            assert_int_equal(run(&req, &r), CV_OK);
            assert_true(analyse(&r).rms_dbfs <= b.rms_dbfs - 6.0f);
            free(r.pcm);
        }
        free(base.pcm);
    }
}

/* Synthesizes with a preset speaker and returns it as a 16 kHz prompt,
 * scaled by gain. */
static int16_t *make_prompt(const char *spk, const char *text, float speed, float gain,
                            size_t *n)
{
    tts_request req = sft(spk, text);
    req.speed = speed;
    rec_sink r = rec_new();
    assert_int_equal(run(&req, &r), CV_OK);
    for (size_t i = 0; i < r.len; i++)
        r.pcm[i] = (int16_t)(r.pcm[i] * gain);
    int16_t *p = resample_s16(r.pcm, r.len, 22050, 16000, n);
    free(r.pcm);
    return p;
}

static rec_sink clone_voice(tts_mode mode, const int16_t *pcm, size_t n, const char *prompt_text,
                            const char *text)
{
    tts_request req = sft("", text);
    req.mode = mode;
    req.prompt_pcm = pcm;
    req.prompt_samples = n;
    req.prompt_text = prompt_text;
    rec_sink r = rec_new();
    assert_int_equal(run(&req, &r), CV_OK);
    return r;
}

/* zero_shot and cross_lingual follow the prompt's pitch, level and rate. */
static void test_voice_prompt_is_matched(void **state)
{
    (void)state;
    const char *ptext = "我们明天早上八点在学校门口见面，然后一起坐车去北京看展览。";
    const char *text = "今天天气很好，我们一起去公园散步吧。";
    const char *en = "The weather is lovely today, so we are going for a walk in the park.";
    size_t nm, nf, nq, ns;
    int16_t *male = make_prompt("中文男", ptext, 1.0f, 1.0f, &nm);
    int16_t *female = make_prompt("韩语女", ptext, 1.0f, 1.0f, &nf);
    int16_t *quiet = make_prompt("中文男", ptext, 1.0f, 0.25f, &nq);
    int16_t *slow = make_prompt("中文男", ptext, 0.6f, 1.0f, &ns);
    voice_analysis pm, pf;
    assert_int_equal(voice_analyze(male, nm, 16000, &pm), 0);
    assert_int_equal(voice_analyze(female, nf, 16000, &pf), 0);
    for (int m = 0; m < 2; m++) {
        tts_mode mode = m ? TTS_MODE_CROSS_LINGUAL : TTS_MODE_ZERO_SHOT;
        const char *pt = m ? "" : ptext;
        const char *t = m ? en : text;
        rec_sink rm = clone_voice(mode, male, nm, pt, t);
        rec_sink rf = clone_voice(mode, female, nf, pt, t);
        rec_sink rq = clone_voice(mode, quiet, nq, pt, t);
        rec_sink rs = clone_voice(mode, slow, ns, pt, t);
        voice_analysis am = analyse(&rm), af = analyse(&rf), aq = analyse(&rq);
        assert_true(fabsf(am.f0_median_hz / pm.f0_median_hz - 1.0f) < 0.15f);
        assert_true(fabsf(af.f0_median_hz / pf.f0_median_hz - 1.0f) < 0.15f);
        assert_true(fabsf(am.rms_dbfs - pm.rms_dbfs) < 3.0f);
        assert_true(aq.rms_dbfs < am.rms_dbfs - 9.0f);
        assert_true((double)rs.len > 1.25 * (double)rm.len);
        free(rm.pcm);
        free(rf.pcm);
        free(rq.pcm);
        free(rs.pcm);
    }
    free(male);
    free(female);
    free(quiet);
    free(slow);
}

/* A cross-lingual call mixing espeak-ng (Chinese) and flite (English)
 * segments: each back end's segments are brought to the prompt's level. */
static void test_mixed_backends_match_prompt_level(void **state)
{
    (void)state;
    size_t n;
    int16_t *prompt = make_prompt("中文男", "我们明天早上八点在学校门口见面，然后一起坐车去北京看展览。",
                                  1.0f, 0.5f, &n);
    voice_analysis pa;
    assert_int_equal(voice_analyze(prompt, n, 16000, &pa), 0);
    tts_request req = sft("", "今天天气很好，我们一起去公园散步吧。"
                              "The weather is lovely today, so we are going for a walk. "
                              "然后我们去附近的饭馆吃一顿午饭。");
    req.mode = TTS_MODE_CROSS_LINGUAL;
    req.prompt_pcm = prompt;
    req.prompt_samples = n;
    req.stream = false;
    rec_sink r = rec_new();
    assert_int_equal(run(&req, &r), CV_OK);
    assert_true(r.writes >= 3);
    size_t off = 0;
    for (size_t i = 0; i < r.writes; i++) {
        voice_analysis a;
        assert_int_equal(voice_analyze(r.pcm + off, r.sizes[i], 22050, &a), 0);
        assert_true(fabsf(a.rms_dbfs - pa.rms_dbfs) < 3.0f);
        off += r.sizes[i];
    }
    free(r.pcm);
    free(prompt);
}

/* A prompt with no speech in it (noise) is accepted and leaves the level
 * and timbre alone. */
static void test_noise_prompt_keeps_default_voice(void **state)
{
    (void)state;
    size_t n = 16000;
    int16_t *noise = malloc(n * sizeof *noise);
    unsigned seed = 9;
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1103515245u + 12345u;
        noise[i] = (int16_t)(((int)((seed >> 8) & 0xFFFF) - 32768) / 8);
    }
    const char *text = "今天天气很好，我们一起去公园散步吧。";
    rec_sink c = clone_voice(TTS_MODE_CROSS_LINGUAL, noise, n, "", text);
    tts_request req = sft("中文女", text);
    rec_sink d = rec_new();
    assert_int_equal(run(&req, &d), CV_OK);
    assert_true(fabsf(analyse(&c).rms_dbfs - analyse(&d).rms_dbfs) < 3.0f);
    free(c.pcm);
    free(d.pcm);
    free(noise);
}

typedef struct job {
    const char *spk, *text;
    rec_sink sink;
    cv_code code;
} job;

static void *run_job(void *arg)
{
    job *j = arg;
    tts_request req = sft(j->spk, j->text);
    j->sink = rec_new();
    j->code = run(&req, &j->sink);
    return NULL;
}

/* Two concurrent calls both finish, and each produces what it produces
 * alone. espeak-ng carries a little signal state from one synthesis to the
 * next (a few samples' difference), so lengths are compared within 1%. */
static void test_concurrent_calls(void **state)
{
    (void)state;
    job jobs[2] = {{.spk = "中文女", .text = "第一个线程在说话。它说了好几句话。"},
                   {.spk = "英文男", .text = "The second thread talks too. It says several things."}};
    job alone[2] = {jobs[0], jobs[1]};
    for (int i = 0; i < 2; i++)
        run_job(&alone[i]);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, run_job, &jobs[i]), 0);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(jobs[i].code, CV_OK);
        double ratio = (double)jobs[i].sink.len / (double)alone[i].sink.len;
        assert_true(ratio > 0.99 && ratio < 1.01);
        free(jobs[i].sink.pcm);
        free(alone[i].sink.pcm);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rate_and_speakers),
        cmocka_unit_test(test_every_speaker_synthesizes),
        cmocka_unit_test(test_segments_in_order),
        cmocka_unit_test(test_streaming_pieces),
        cmocka_unit_test(test_cancellation_stops_early),
        cmocka_unit_test(test_unknown_speaker_rejected),
        cmocka_unit_test(test_each_language_speaks),
        cmocka_unit_test(test_language_follows_segment),
        cmocka_unit_test(test_cantonese_speaker_reads_cantonese),
        cmocka_unit_test(test_japanese_kanji_read_as_kana),
        cmocka_unit_test(test_speed_changes_duration),
        cmocka_unit_test(test_all_modes),
        cmocka_unit_test(test_concurrent_calls),
        cmocka_unit_test(test_instruct_targets),
        cmocka_unit_test(test_voice_prompt_is_matched),
        cmocka_unit_test(test_mixed_backends_match_prompt_level),
        cmocka_unit_test(test_noise_prompt_keeps_default_voice),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
