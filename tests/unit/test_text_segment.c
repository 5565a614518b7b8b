/* Unit tests for the text front end's segmentation, language detection and
 * markup handling (normalization has its own tests). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "text/segment.h"
#include "text_test_util.h"

typedef struct seg_case {
    const char *in;
    text_lang def;
    size_t max;
    const char *want;
} seg_case;

static void run_cases(const seg_case *c, size_t n)
{
    char buf[4096];
    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        const char *got = render_segments(c[i].in, c[i].def, c[i].max, buf, sizeof buf);
        if (strcmp(got, c[i].want) != 0) {
            print_error("case %zu: %s\n  want: %s\n  got:  %s\n", i, c[i].in, c[i].want, got);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

#define RUN(cases) run_cases(cases, sizeof cases / sizeof cases[0])

static void test_sentence_punctuation(void **state)
{
    (void)state;
    static const seg_case cases[] = {
        {"今天天气很好。我们去公园吧！你去不去？", 0, 0,
         "zh:E:今天天气很好。 / zh:E:我们去公园吧！ / zh:E:你去不去？"},
        {"第一句话在这里；第二句话在这里…第三句话在这里", 0, 0,
         "zh:E:第一句话在这里； / zh:E:第二句话在这里… / zh:E:第三句话在这里"},
        {"This is the first one. Is this the second one? Yes it is!", 0, 0,
         "en:E:This is the first one. / en:E:Is this the second one? / en:E:Yes it is!"},
        /* closing quotes stay with their sentence */
        {"他说：“今天真好。”我们都同意他的说法。", 0, 0,
         "zh:E:他说：“今天真好。” / zh:E:我们都同意他的说法。"},
        {"Wait... what happened here? Nobody knows that story.", 0, 0,
         "en:E:Wait... what happened here? / en:E:Nobody knows that story."},
        /* a blank line ends a sentence; a single line break does not */
        {"第一章 开始\n\n他走进了房间", 0, 0, "zh:E:第一章开始 / zh:E:他走进了房间"},
        /* a short paragraph merged into the next one: no marker left over */
        {"Hi\n\nthere you are", 0, 0, "en:E:Hi there you are"},
        {"嗯\n\n他走进了房间", 0, 0, "zh:E:嗯他走进了房间"},
        {"This line is\nwrapped in two.", 0, 0, "en:E:This line is wrapped in two."},
    };
    RUN(cases);
}

static void test_abbreviations_and_numbers(void **state)
{
    (void)state;
    static const seg_case cases[] = {
        {"Mr. Smith met Dr. Brown yesterday. They talked.", 0, 0,
         "en:E:Mr. Smith met Dr. Brown yesterday. / en:E:They talked."},
        {"Bring fruit, e.g. apples and pears. Then go home now.", 0, 0,
         "en:E:Bring fruit, e.g. apples and pears. / en:E:Then go home now."},
        {"He moved to the U.S. and stayed there. It was fine.", 0, 0,
         "en:E:He moved to the U.S. and stayed there. / en:E:It was fine."},
        {"Cats, dogs, etc. are pets here. Birds too maybe.", 0, 0,
         "en:E:Cats, dogs, etc. are pets here. / en:E:Birds too maybe."},
        {"J. K. Rowling wrote it. George W. Bush read it.", 0, 0,
         "en:E:J. K. Rowling wrote it. / en:E:George W. Bush read it."},
        {"We meet at 3:45 PM. Then we eat.", 0, 0,
         "en:E:We meet at three forty-five P M. / en:E:Then we eat."},
        {"Visit example.com today. It is good.", 0, 0,
         "en:E:Visit example.com today. / en:E:It is good."},
    };
    RUN(cases);
}

static void test_long_sentence_split_at_commas(void **state)
{
    (void)state;
    static const seg_case cases[] = {
        {"这是一个比较长的句子，它有好几个部分，每个部分都用逗号隔开，我们希望它在逗号处被切开。", 0,
         12,
         "zh::这是一个比较长的句子， / zh::它有好几个部分， / zh::每个部分都用逗号隔开， / "
         "zh:E:我们希望它在逗号处被切开。"},
        /* within the limit: not split */
        {"这是一个句子，它不长。", 0, 12, "zh:E:这是一个句子，它不长。"},
        {"When the weather is nice, we like to walk in the park, and after that, we usually "
         "have lunch together in a small cafe near the river.", 0, 0,
         "en::When the weather is nice, we like to walk in the park, / "
         "en::and after that, / en:E:we usually have lunch together in a small cafe near the river."},
        /* no comma at all: Latin text is cut at a blank past twice the limit */
        /* nor blank: CJK is cut anywhere at four times the limit */
        {"一二三四五六七八九十一二三四五六七八九十一二三四五", 0, 5,
         "zh::一二三四五六七八九十一二三四五六七八九十 / zh:E:一二三四五"},
        {"aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk", 0, 10,
         "en::aaaa bbbb cccc dddd eeee ffff gggg hhhh / en:E:iiii jjjj kkkk"},
    };
    RUN(cases);
}

/* The segmenter on its own (before normalization rewrites numbers): cut
 * points in a raw stream, rendered as the pieces joined by " / ". */
static const char *raw_pieces(const char *text, size_t max, char *buf, size_t cap)
{
    tstream s = {0};
    seg_units u = {0};
    assert_true(ts_push_str(&s, text, 0));
    assert_true(segment_stream(&s, max, &u));
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < u.count; i++) {
        char *t = ts_to_utf8(&s, u.items[i].lo, u.items[i].hi);
        k += (size_t)snprintf(buf + k, cap - k, "%s%s%s", i ? " / " : "", t,
                              u.items[i].sentence_end ? "$" : "");
        free(t);
    }
    seg_units_free(&u);
    ts_free(&s);
    return buf;
}

static void test_numbers_not_split(void **state)
{
    (void)state;
    char buf[1024];
    /* pieces keep their blanks here; the front end trims them */
    assert_string_equal(raw_pieces("It is 3.5 meters long. Fine.", 0, buf, sizeof buf),
                        "It is 3.5 meters long.$ /  Fine.$");
    assert_string_equal(raw_pieces("We paid 3.50 dollars. Ok.", 0, buf, sizeof buf),
                        "We paid 3.50 dollars. Ok.$");
    /* "1,234" and "3:45" are not commas to cut at */
    assert_string_equal(
        raw_pieces("aaaa bbbb cccc dddd 1,234 eeee 3:45 ffff, gggg hhhh", 10, buf, sizeof buf),
        "aaaa bbbb cccc dddd 1,234 eeee 3:45 ffff, /  gggg hhhh$");
    assert_string_equal(raw_pieces("价格是3.5元。好的好的。", 0, buf, sizeof buf),
                        "价格是3.5元。$ / 好的好的。$");
}

static void test_short_fragments_merged(void **state)
{
    (void)state;
    static const seg_case cases[] = {
        {"嗯。好的呀。我们走吧。", 0, 0, "zh:E:嗯。好的呀。 / zh:E:我们走吧。"},
        {"我们走吧。好。", 0, 0, "zh:E:我们走吧。好。"},
        {"OK. Let us go there now.", 0, 0, "en:E:OK. Let us go there now."},
        {"我们明天去北京，好吗？", 0, 5, "zh:E:我们明天去北京，好吗？"},
        /* stray punctuation is not a segment */
        {"你好吗？！。", 0, 0, "zh:E:你好吗？！。"},
    };
    RUN(cases);
}

static void test_language_runs(void **state)
{
    (void)state;
    static const seg_case cases[] = {
        {"我们用 Python 写代码", 0, 0, "zh::我们用 / en::Python / zh:E:写代码"},
        {"我们用Python写代码。", 0, 0, "zh::我们用 / en::Python / zh:E:写代码。"},
        {"Hello world. 你好世界。", 0, 0, "en:E:Hello world. / zh:E:你好世界。"},
        {"今日は東京に行きます。", 0, 0, "ja:E:今日は東京に行きます。"},
        {"東京大学、行きますか？", 0, 0, "ja:E:東京大学、行きますか？"},
        {"안녕하세요 여러분. 반갑습니다.", 0, 0, "ko:E:안녕하세요 여러분. / ko:E:반갑습니다."},
        {"我爱你。", LANG_YUE, 0, "yue:E:我爱你。"},
        {"我们用 Python 写代码", LANG_YUE, 0, "yue::我们用 / en::Python / yue:E:写代码"},
        /* brackets and quotes go with the run they enclose */
        {"他喜欢《Harry Potter》这本书", 0, 0, "zh::他喜欢 / en::《Harry Potter》 / zh:E:这本书"},
        /* digits go with a neighbouring run (Japanese digits are not rewritten) */
        {"3時にPythonを使います。", 0, 0, "ja::3時に / en::Python / ja:E:を使います。"},
    };
    RUN(cases);
}

static void test_markup(void **state)
{
    (void)state;
    static const seg_case cases[] = {
        {"<|en|>你好世界。<|zh|>Hello world.", 0, 0, "en:E:你好世界。 / zh:E:Hello world."},
        {"<|yue|>我哋去饮茶。", 0, 0, "yue:E:我哋去饮茶。"},
        {"<|jp|>東京です。", 0, 0, "ja:E:東京です。"},
        {"Hello<|endofprompt|>world and all.", 0, 0, "en:E:Hello world and all."},
        {"希望你以后能够做的比我还好呦。<|endofprompt|>收到好友从远方寄来的生日礼物。", 0, 0,
         "zh:E:希望你以后能够做的比我还好呦。 / zh:E:收到好友从远方寄来的生日礼物。"},
        {"[laughter]你好啊朋友。[breath]我们走吧，出发。", 0, 0,
         "zh:El:你好啊朋友。 / zh:Eb:我们走吧，出发。"},
        {"好的[cough]我们继续讲。", 0, 0, "zh::好的 / zh:Eo:我们继续讲。"},
        {"说完了。[breath]", 0, 0, "zh:E:说完了。 / zh:Eb:"},
        {"[breath][laughter]好的开始吧", 0, 0, "zh:b: / zh:El:好的开始吧"},
        {"This is <strong>very</strong> important.", 0, 0,
         "en::This is / en:S:very / en:E:important."},
        {"<strong>是</strong>的", 0, 0, "zh:S:是 / zh:E:的"},
        {"在他讲述那个荒诞故事的过程中，他突然<laughter>停下来</laughter>，因为他自己也被逗笑了。", 0, 0,
         "zh::在他讲述那个荒诞故事的过程中，他突然 / zh:L:停下来 / zh:E:因为他自己也被逗笑了。"},
        /* a segment does not start with a comma or colon */
        {"<strong>注意</strong>：请在三点前完成。", 0, 0, "zh:S:注意 / zh:E:请在三点前完成。"},
        /* not markup: left as text */
        {"a < b and [x1] and <|bad tag|>.", 0, 0, "en:E:a < b and [x one] and <|bad tag|>."},
    };
    RUN(cases);
}

static void test_empty_and_invalid(void **state)
{
    (void)state;
    const char *empty[] = {"", "   \n\t", "<|zh|><|endofprompt|>", "<strong></strong>", "。。。"};
    for (size_t i = 0; i < sizeof empty / sizeof empty[0]; i++) {
        text_segments segs;
        cv_status st = text_frontend_run(empty[i], NULL, &segs);
        assert_int_equal(st.code, CV_OK);
        assert_int_equal(segs.count, 0);
        text_segments_free(&segs);
    }
    const char *bad[] = {"\xff", "ab\xc3", "\xed\xa0\x80", "\xc0\xaf", "ok<|zh|>\xf4\x90\x80\x80"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        text_segments segs;
        cv_status st = text_frontend_run(bad[i], NULL, &segs);
        assert_int_equal(st.code, CV_INVALID_ARGUMENT);
        assert_int_equal(segs.count, 0);
        assert_null(segs.items);
    }
    text_segments segs;
    assert_int_equal(text_frontend_run(NULL, NULL, &segs).code, CV_INVALID_ARGUMENT);
}

/* Whatever the input, segments are never empty without an event, and each
 * has a valid language. */
static void test_segment_invariants(void **state)
{
    (void)state;
    const char *inputs[] = {
        "我们用 Python 写代码。", "[laughter]", "<strong>Hi</strong>!", "…！？", "a. b. c. d.",
        "今日は、Hello、안녕、你好。", "<laughter>[breath]</laughter>x",
    };
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        text_segments segs;
        assert_int_equal(text_frontend_run(inputs[i], NULL, &segs).code, CV_OK);
        for (size_t k = 0; k < segs.count; k++) {
            assert_non_null(segs.items[k].text);
            assert_true(segs.items[k].text[0] != '\0' || segs.items[k].event != TEXT_EVENT_NONE);
            assert_true(segs.items[k].lang > LANG_UNKNOWN && segs.items[k].lang < LANG_COUNT);
        }
        text_segments_free(&segs);
    }
}

/* One unbroken word of any length reaches no back end whole: it is cut
 * into pieces of SEGMENT_MAX_WORD (64), also when the segment limit is
 * huge (the neural engine's 1 << 20), and ordinary words are untouched. */
static void test_overlong_words_cut(void **state)
{
    (void)state;
    char word[10001], want[2048];
    memset(word, 'a', 10000);
    word[10000] = '\0';
    const size_t limits[] = {0, 1u << 20};
    for (size_t l = 0; l < 2; l++) {
        text_frontend_options opt = {LANG_UNKNOWN, limits[l]};
        text_segments segs;
        assert_int_equal(text_frontend_run(word, &opt, &segs).code, CV_OK);
        size_t total = 0;
        for (size_t i = 0; i < segs.count; i++) {
            size_t n = strlen(segs.items[i].text);
            assert_true(n <= SEGMENT_MAX_WORD);
            total += n;
        }
        assert_int_equal(total, 10000);
        assert_int_equal(segs.count, (10000 + SEGMENT_MAX_WORD - 1) / SEGMENT_MAX_WORD);
        text_segments_free(&segs);
    }
    /* 65 letters: cut after 64; the last letter joins a neighbour (short
     * pieces are merged, across the cut) */
    memset(word, 'b', 65);
    strcpy(word + 65, " end.");
    char buf[512];
    snprintf(want, sizeof want, "en::%.64s / en:E:b end.", word);
    assert_string_equal(render_segments(word, 0, 0, buf, sizeof buf), want);
    /* the longest English words stay whole */
    static const seg_case cases[] = {
        {"Pneumonoultramicroscopicsilicovolcanoconiosis is a word.", 0, 0,
         "en:E:Pneumonoultramicroscopicsilicovolcanoconiosis is a word."},
    };
    RUN(cases);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sentence_punctuation),
        cmocka_unit_test(test_abbreviations_and_numbers),
        cmocka_unit_test(test_long_sentence_split_at_commas),
        cmocka_unit_test(test_numbers_not_split),
        cmocka_unit_test(test_short_fragments_merged),
        cmocka_unit_test(test_language_runs),
        cmocka_unit_test(test_markup),
        cmocka_unit_test(test_empty_and_invalid),
        cmocka_unit_test(test_segment_invariants),
        cmocka_unit_test(test_overlong_words_cut),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
