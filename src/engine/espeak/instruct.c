#include "engine/espeak/instruct.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct keyword {
    const char *word;
    instruct_cue cue;
} keyword;

/* Longer keywords are matched first and consume their text, so "快乐" is
 * happy (not "快" fast), "female" is not "male", "unhappy" is sad, "低声"
 * is soft rather than low, and "low speaking rate" is about rate. */
static const keyword g_keywords[] = {
    /* rate */
    {"slowly", CUE_SLOW}, {"slow", CUE_SLOW}, {"slower", CUE_SLOW},
    {"low speaking rate", CUE_SLOW}, {"low speed", CUE_SLOW}, {"leisurely", CUE_SLOW},
    {"慢", CUE_SLOW}, {"缓慢", CUE_SLOW}, {"语速低", CUE_SLOW}, {"降低语速", CUE_SLOW},
    {"放慢", CUE_SLOW},
    {"fast", CUE_FAST}, {"faster", CUE_FAST}, {"quickly", CUE_FAST}, {"quick", CUE_FAST},
    {"rapid", CUE_FAST}, {"rapidly", CUE_FAST}, {"hurried", CUE_FAST},
    {"high speaking rate", CUE_FAST}, {"high speed", CUE_FAST},
    {"快", CUE_FAST}, {"急促", CUE_FAST}, {"语速高", CUE_FAST}, {"提高语速", CUE_FAST},
    {"加快", CUE_FAST},
    {"normal speaking rate", CUE_NEUTRAL}, {"normal speed", CUE_NEUTRAL},
    {"正常语速", CUE_NEUTRAL}, {"语速正常", CUE_NEUTRAL},
    /* pitch */
    {"high pitch", CUE_HIGH}, {"high-pitched", CUE_HIGH}, {"high pitched", CUE_HIGH},
    {"higher pitch", CUE_HIGH}, {"high", CUE_HIGH}, {"higher", CUE_HIGH}, {"squeaky", CUE_HIGH},
    {"提高音调", CUE_HIGH}, {"高音", CUE_HIGH}, {"高亢", CUE_HIGH}, {"尖", CUE_HIGH}, {"高", CUE_HIGH},
    {"low pitch", CUE_LOW}, {"low-pitched", CUE_LOW}, {"low pitched", CUE_LOW},
    {"lower pitch", CUE_LOW}, {"low", CUE_LOW}, {"lower", CUE_LOW}, {"deep", CUE_LOW},
    {"deeper", CUE_LOW}, {"bass", CUE_LOW},
    {"降低音调", CUE_LOW}, {"低沉", CUE_LOW}, {"低音", CUE_LOW}, {"深沉", CUE_LOW}, {"浑厚", CUE_LOW}, {"低", CUE_LOW},
    {"normal pitch", CUE_NEUTRAL}, {"medium pitch", CUE_NEUTRAL}, {"正常音调", CUE_NEUTRAL},
    /* loudness */
    {"loud", CUE_LOUD}, {"loudly", CUE_LOUD}, {"louder", CUE_LOUD}, {"shout", CUE_LOUD},
    {"shouting", CUE_LOUD}, {"high volume", CUE_LOUD}, {"loud voice", CUE_LOUD},
    {"大声", CUE_LOUD}, {"响亮", CUE_LOUD}, {"喊", CUE_LOUD}, {"音量大", CUE_LOUD},
    {"提高音量", CUE_LOUD},
    {"soft", CUE_SOFT}, {"softly", CUE_SOFT}, {"quiet", CUE_SOFT}, {"quietly", CUE_SOFT},
    {"low volume", CUE_SOFT}, {"gentle", CUE_SOFT}, {"gently", CUE_SOFT},
    {"小声", CUE_SOFT}, {"轻声", CUE_SOFT}, {"低声", CUE_SOFT}, {"轻柔", CUE_SOFT},
    {"温柔", CUE_SOFT}, {"音量小", CUE_SOFT}, {"降低音量", CUE_SOFT},
    {"whisper", CUE_WHISPER}, {"whispering", CUE_WHISPER}, {"whispered", CUE_WHISPER},
    {"耳语", CUE_WHISPER}, {"悄悄", CUE_WHISPER}, {"气声", CUE_WHISPER},
    /* gender */
    {"male", CUE_MALE}, {"man", CUE_MALE}, {"boy", CUE_MALE}, {"masculine", CUE_MALE},
    {"男", CUE_MALE},
    {"female", CUE_FEMALE}, {"woman", CUE_FEMALE}, {"girl", CUE_FEMALE},
    {"feminine", CUE_FEMALE}, {"女", CUE_FEMALE},
    /* emotion */
    {"happy", CUE_HAPPY}, {"happily", CUE_HAPPY}, {"cheerful", CUE_HAPPY},
    {"cheerfully", CUE_HAPPY}, {"joyful", CUE_HAPPY}, {"joy", CUE_HAPPY},
    {"开心", CUE_HAPPY}, {"高兴", CUE_HAPPY}, {"快乐", CUE_HAPPY}, {"愉快", CUE_HAPPY},
    {"欢快", CUE_HAPPY}, {"喜悦", CUE_HAPPY},
    {"sad", CUE_SAD}, {"sadly", CUE_SAD}, {"sorrowful", CUE_SAD}, {"unhappy", CUE_SAD},
    {"melancholy", CUE_SAD}, {"悲伤", CUE_SAD}, {"难过", CUE_SAD}, {"伤心", CUE_SAD},
    {"忧伤", CUE_SAD}, {"悲痛", CUE_SAD},
    {"angry", CUE_ANGRY}, {"angrily", CUE_ANGRY}, {"furious", CUE_ANGRY}, {"mad", CUE_ANGRY},
    {"生气", CUE_ANGRY}, {"愤怒", CUE_ANGRY}, {"恼火", CUE_ANGRY}, {"气愤", CUE_ANGRY},
    {"calm", CUE_CALM}, {"calmly", CUE_CALM}, {"peaceful", CUE_CALM}, {"relaxed", CUE_CALM},
    {"平静", CUE_CALM}, {"冷静", CUE_CALM}, {"平和", CUE_CALM}, {"淡定", CUE_CALM},
    {"excited", CUE_EXCITED}, {"excitedly", CUE_EXCITED}, {"enthusiastic", CUE_EXCITED},
    {"thrilled", CUE_EXCITED}, {"兴奋", CUE_EXCITED}, {"激动", CUE_EXCITED},
    {"serious", CUE_SERIOUS}, {"seriously", CUE_SERIOUS}, {"solemn", CUE_SERIOUS},
    {"stern", CUE_SERIOUS}, {"严肃", CUE_SERIOUS}, {"庄重", CUE_SERIOUS}, {"认真", CUE_SERIOUS},
};
#define N_KEYWORDS (sizeof g_keywords / sizeof g_keywords[0])

/* What each cue does: rate, F0 and range factors, gain in dB. Rate and
 * level steps are large enough to be clearly audible (slow/fast change the
 * duration by ~30%, soft is -10 dB). */
static const struct {
    float rate, pitch, range, gain_db;
} g_cue_effect[CUE_COUNT] = {
    [CUE_SLOW] = {0.70f, 1.00f, 1.00f, 0.0f},
    [CUE_FAST] = {1.45f, 1.00f, 1.00f, 0.0f},
    [CUE_HIGH] = {1.00f, 1.25f, 1.00f, 0.0f},
    [CUE_LOW] = {1.00f, 0.78f, 0.90f, 0.0f},
    [CUE_LOUD] = {1.00f, 1.04f, 1.10f, 6.0f},
    [CUE_SOFT] = {0.95f, 1.00f, 0.85f, -10.0f},
    [CUE_WHISPER] = {0.92f, 1.00f, 0.80f, -14.0f},
    [CUE_MALE] = {1.00f, 1.00f, 1.00f, 0.0f},
    [CUE_FEMALE] = {1.00f, 1.00f, 1.00f, 0.0f},
    [CUE_HAPPY] = {1.08f, 1.12f, 1.40f, 2.0f},
    [CUE_SAD] = {0.82f, 0.90f, 0.60f, -3.0f},
    [CUE_ANGRY] = {1.12f, 1.06f, 1.35f, 5.0f},
    [CUE_CALM] = {0.92f, 0.98f, 0.70f, -1.0f},
    [CUE_EXCITED] = {1.18f, 1.16f, 1.50f, 3.0f},
    [CUE_SERIOUS] = {0.92f, 0.94f, 0.70f, 0.0f},
    [CUE_NEUTRAL] = {1.00f, 1.00f, 1.00f, 0.0f},
};

static int by_length_desc(const void *a, const void *b)
{
    size_t la = strlen(g_keywords[*(const int *)a].word);
    size_t lb = strlen(g_keywords[*(const int *)b].word);
    return (la < lb) - (la > lb);
}

static bool is_word_char(unsigned char c) { return isalnum(c) || c == '-' || c == '\''; }

void instruct_parse(const char *text, instruct_effect *out)
{
    *out = (instruct_effect){.rate = 1.0f, .pitch = 1.0f, .range = 1.0f, .gender = -1};
    char *s = strdup(text ? text : "");
    if (!s)
        return;
    for (char *c = s; *c; c++)
        *c = (char)tolower((unsigned char)*c);
    int order[N_KEYWORDS];
    for (size_t i = 0; i < N_KEYWORDS; i++)
        order[i] = (int)i;
    qsort(order, N_KEYWORDS, sizeof order[0], by_length_desc);
    for (size_t k = 0; k < N_KEYWORDS; k++) {
        const keyword *kw = &g_keywords[order[k]];
        size_t len = strlen(kw->word);
        bool ascii = (unsigned char)kw->word[0] < 0x80;
        for (char *p = strstr(s, kw->word); p; p = strstr(p + 1, kw->word)) {
            /* English words must stand alone ("man" is not in "many"). */
            if (ascii && ((p > s && is_word_char((unsigned char)p[-1])) ||
                          is_word_char((unsigned char)p[len])))
                continue;
            out->cues |= 1u << kw->cue;
            memset(p, '\x01', len); /* consumed */
        }
    }
    free(s);
    for (int c = 0; c < CUE_COUNT; c++) {
        if (!(out->cues & (1u << c)))
            continue;
        out->rate *= g_cue_effect[c].rate;
        out->pitch *= g_cue_effect[c].pitch;
        out->range *= g_cue_effect[c].range;
        out->gain_db += g_cue_effect[c].gain_db;
    }
    /* Contradictory gender words: keep the speaker's own. */
    bool male = out->cues & (1u << CUE_MALE), female = out->cues & (1u << CUE_FEMALE);
    if (male != female)
        out->gender = male ? GENDER_MALE : GENDER_FEMALE;
    out->whisper = out->cues & (1u << CUE_WHISPER);
}

void instruct_apply(const instruct_effect *e, prosody *p)
{
    if (e->gender >= 0 && (voice_gender)e->gender != p->gender) {
        p->gender = (voice_gender)e->gender;
        p->f0_hz = p->gender == GENDER_MALE ? 118.0f : 220.0f;
        snprintf(p->variant, sizeof p->variant, "%s", p->gender == GENDER_MALE ? "m3" : "f3");
    }
    p->rate *= e->rate;
    p->f0_hz *= e->pitch;
    p->range *= e->range;
    p->gain_db += e->gain_db;
    if (e->whisper)
        p->breathiness = 1.0f;
}
