/* Unit tests for the instruction parser: which cues a text holds (table),
 * the direction of each effect, and applying an effect to a voice. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "engine/espeak/instruct.h"

#define C(x) (1u << (x))

static const struct {
    const char *text;
    unsigned want;   /* cues that must be found */
    unsigned reject; /* cues that must not be */
} g_cases[] = {
    {"speak slowly", C(CUE_SLOW), C(CUE_FAST)},
    {"请慢一点说", C(CUE_SLOW), C(CUE_FAST)},
    {"Please talk fast.", C(CUE_FAST), C(CUE_SLOW)},
    {"说快一点", C(CUE_FAST), C(CUE_SLOW)},
    {"用快乐的语气说", C(CUE_HAPPY), C(CUE_FAST)},
    {"开心地说", C(CUE_HAPPY), 0},
    {"很高兴见到你", C(CUE_HAPPY), C(CUE_HIGH)},
    {"a high pitch voice", C(CUE_HIGH), C(CUE_LOW)},
    {"用高一点的声音", C(CUE_HIGH), C(CUE_LOW)},
    {"a deep voice", C(CUE_LOW), C(CUE_HIGH)},
    {"用低沉的声音", C(CUE_LOW), C(CUE_SOFT)},
    {"低声说话", C(CUE_SOFT), C(CUE_LOW)},
    {"LOUD please", C(CUE_LOUD), C(CUE_SOFT)},
    {"大声说", C(CUE_LOUD), 0},
    {"speak softly", C(CUE_SOFT), C(CUE_LOUD)},
    {"小声说", C(CUE_SOFT), 0},
    {"轻声细语", C(CUE_SOFT), 0},
    {"whisper it", C(CUE_WHISPER), 0},
    {"A female speaker", C(CUE_FEMALE), C(CUE_MALE)},
    {"a woman", C(CUE_FEMALE), C(CUE_MALE)},
    {"a male voice", C(CUE_MALE), C(CUE_FEMALE)},
    {"用男声", C(CUE_MALE), C(CUE_FEMALE)},
    {"女声", C(CUE_FEMALE), C(CUE_MALE)},
    {"many people", 0, C(CUE_MALE)},
    {"so unhappy", C(CUE_SAD), C(CUE_HAPPY)},
    {"悲伤地", C(CUE_SAD), 0},
    {"难过", C(CUE_SAD), 0},
    {"angry!", C(CUE_ANGRY), 0},
    {"生气", C(CUE_ANGRY), 0},
    {"愤怒", C(CUE_ANGRY), 0},
    {"calm", C(CUE_CALM), 0},
    {"平静", C(CUE_CALM), 0},
    {"excited", C(CUE_EXCITED), 0},
    {"兴奋", C(CUE_EXCITED), 0},
    {"激动", C(CUE_EXCITED), 0},
    {"serious tone", C(CUE_SERIOUS), 0},
    {"严肃", C(CUE_SERIOUS), 0},
    {"A female speaker with normal pitch, slow speaking rate, and sad emotion.",
     C(CUE_FEMALE) | C(CUE_SLOW) | C(CUE_SAD) | C(CUE_NEUTRAL),
     C(CUE_HIGH) | C(CUE_LOW) | C(CUE_MALE) | C(CUE_FAST)},
    {"A male speaker with low pitch, high speaking rate.",
     C(CUE_MALE) | C(CUE_LOW) | C(CUE_FAST), C(CUE_HIGH) | C(CUE_SLOW) | C(CUE_FEMALE)},
};

static void test_cue_table(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof g_cases / sizeof g_cases[0]; i++) {
        instruct_effect e;
        instruct_parse(g_cases[i].text, &e);
        if ((e.cues & g_cases[i].want) != g_cases[i].want || (e.cues & g_cases[i].reject))
            fail_msg("'%s': cues %#x, want %#x, reject %#x", g_cases[i].text, e.cues,
                     g_cases[i].want, g_cases[i].reject);
    }
}

static void test_unknown_is_neutral(void **state)
{
    (void)state;
    const char *texts[] = {"", "Theo 'Crimson', a fiery rebel leader.", "随便说说", "???"};
    for (size_t i = 0; i < 4; i++) {
        instruct_effect e;
        instruct_parse(texts[i], &e);
        assert_int_equal(e.cues, 0);
        assert_true(e.rate == 1.0f && e.pitch == 1.0f && e.range == 1.0f);
        assert_true(e.gain_db == 0.0f && e.gender == -1 && !e.whisper);
    }
}

static void test_effect_directions(void **state)
{
    (void)state;
    instruct_effect e;
    instruct_parse("slowly", &e);
    assert_true(e.rate <= 0.8f);
    instruct_parse("fast", &e);
    assert_true(e.rate >= 1.25f);
    instruct_parse("high pitch", &e);
    assert_true(e.pitch >= 1.15f);
    instruct_parse("低沉", &e);
    assert_true(e.pitch <= 0.87f);
    instruct_parse("轻声", &e);
    assert_true(e.gain_db <= -6.0f);
    instruct_parse("whisper", &e);
    assert_true(e.gain_db <= -6.0f && e.whisper);
    instruct_parse("loud", &e);
    assert_true(e.gain_db >= 3.0f);
    instruct_parse("sad", &e);
    assert_true(e.pitch < 1.0f && e.rate < 1.0f && e.range < 1.0f);
    instruct_parse("excited", &e);
    assert_true(e.pitch > 1.0f && e.rate > 1.0f && e.range > 1.0f);
    instruct_parse("male female", &e); /* contradictory: gender kept */
    assert_int_equal(e.gender, -1);
}

static void test_apply(void **state)
{
    (void)state;
    prosody p = {.gender = GENDER_FEMALE, .f0_hz = 200, .range = 1, .rate = 1};
    snprintf(p.variant, sizeof p.variant, "f3");
    instruct_effect e;
    instruct_parse("a man speaking slowly", &e);
    instruct_apply(&e, &p);
    assert_int_equal(p.gender, GENDER_MALE);
    assert_true(p.f0_hz < 150.0f);
    assert_string_equal(p.variant, "m3");
    assert_true(p.rate < 0.8f);
    prosody q = {.gender = GENDER_MALE, .f0_hz = 110, .range = 1, .rate = 1};
    snprintf(q.variant, sizeof q.variant, "m1");
    instruct_parse("male, high pitch", &e);
    instruct_apply(&e, &q);
    assert_string_equal(q.variant, "m1"); /* same gender: voice kept */
    assert_true(q.f0_hz > 130.0f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cue_table),
        cmocka_unit_test(test_unknown_is_neutral),
        cmocka_unit_test(test_effect_directions),
        cmocka_unit_test(test_apply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
