/* Unit tests for text normalization: one table row per rule, Chinese and
 * English, through text_frontend_normalize(). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "text/frontend.h"

typedef struct norm_case {
    const char *in;
    const char *want;
} norm_case;

static void run_cases(const norm_case *c, size_t n, text_lang def)
{
    int failed = 0;
    text_frontend_options opt = {def, 0};
    for (size_t i = 0; i < n; i++) {
        char *got = NULL;
        cv_status st = text_frontend_normalize(c[i].in, &opt, &got);
        if (st.code != CV_OK || strcmp(got, c[i].want) != 0) {
            print_error("case %zu: %s\n  want: %s\n  got:  %s\n", i, c[i].in, c[i].want,
                        got ? got : cv_code_name(st.code));
            failed++;
        }
        free(got);
    }
    assert_int_equal(failed, 0);
}

#define RUN(cases, def) run_cases(cases, sizeof cases / sizeof cases[0], def)

static void test_zh_cardinals(void **state)
{
    (void)state;
    static const norm_case cases[] = {
        {"有0个", "有零个"},
        {"第1名", "第一名"},
        {"共10人", "共十人"},
        {"共15人", "共十五人"},
        {"共20人", "共二十人"},
        {"共22人", "共二十二人"},
        {"共105人", "共一百零五人"},
        {"共110人", "共一百一十人"},
        {"共1000人", "共一千人"},
        {"共1005人", "共一千零五人"},
        {"共1050人", "共一千零五十人"},
        {"共10000人", "共一万人"},
        {"共10500人", "共一万零五百人"},
        {"共12000人", "共一万二千人"},
        {"共100010人", "共十万零一十人"},
        {"共200人", "共两百人"},
        {"共2200人", "共两千二百人"},
        {"共20000人", "共两万人"},
        {"共20000000人", "共两千万人"},
        {"共200000000人", "共两亿人"},
        {"共1000000000人", "共十亿人"},
        {"共100000001人", "共一亿零一人"},
        {"共123456789人", "共一亿二千三百四十五万六千七百八十九人"},
        {"共1,234,567人", "共一百二十三万四千五百六十七人"},
        {"我有2个苹果", "我有两个苹果"},
        {"costs 100元", "costs一百元"},
        {"第2名", "第二名"},
        {"2月", "二月"},
        {"12个", "十二个"},
    };
    RUN(cases, LANG_UNKNOWN);
}

static void test_zh_rules(void **state)
{
    (void)state;
    static const norm_case cases[] = {
        /* decimals, negatives, percentages */
        {"价格是3.5元", "价格是三点五元"},
        {"约0.05秒", "约零点零五秒"},
        {"温度-5度", "温度负五度"},
        {"降到-3.5", "降到负三点五"},
        {"增长了15%", "增长了百分之十五"},
        {"增长了12.5%", "增长了百分之十二点五"},
        {"变化-3%", "变化负百分之三"},
        /* dates and times */
        {"2024年11月24日", "二零二四年十一月二十四日"},
        {"日期2024-11-24", "日期二零二四年十一月二十四日"},
        {"他于2024/11/24到达", "他于二零二四年十一月二十四日到达"},
        {"2024.11.24日", "二零二四年十一月二十四日"},
        {"用了3年", "用了三年"},
        {"会议3:45开始", "会议三点四十五分开始"},
        {"会议3:05开始", "会议三点零五分开始"},
        {"会议2:00开始", "会议两点开始"},
        {"时间15:30:10到", "时间十五点三十分十秒到"},
        {"会议3:45 PM开始", "会议下午三点四十五分开始"},
        {"3:00 a.m.开始", "上午三点开始"},
        /* digit strings */
        {"电话13800138000", "电话一三八零零一三八零零零"},
        {"电话010-12345678", "电话零一零一二三四五六七八"},
        {"特工007号", "特工零零七号"},
        /* currency */
        {"¥100", "一百元"},
        {"￥100", "一百元"},
        {"100元", "一百元"},
        {"花了$1,234.56", "花了一千二百三十四点五六美元"},
        {"花了€5", "花了五欧元"},
        {"花了$5亿", "花了五亿美元"},
        /* fractions, ratios, ranges */
        {"占1/2", "占二分之一"},
        {"占3/4", "占四分之三"},
        {"比分3:2", "比分三比二"},
        {"需要3-5天", "需要三到五天"},
        {"需要3~5天", "需要三到五天"},
        {"计算5-3=2", "计算五减三等于二"},
        {"3 + 4 = 7", "三加四等于七"},
        {"版本1.2.3发布", "版本一点二点三发布"},
        {"拨打+86 13800138000", "拨打加八六一三八零零一三八零零零"},
        {"调到30°", "调到三十度"},
        /* units and symbols */
        {"跑了5km", "跑了五公里"},
        {"重10kg", "重十千克"},
        {"气温25°C", "气温二十五摄氏度"},
        {"气温25℃", "气温二十五摄氏度"},
        {"面积100m²", "面积一百平方米"},
        {"速度60km/h", "速度六十公里每小时"},
        {"16GB内存", "十六GB内存"},
        {"5km跑完了", "五公里跑完了"},
        {"你&我", "你和我"},
        {"一加一：1+1=2", "一加一：一加一等于二"},
        {"发邮件到张三@公司", "发邮件到张三艾特公司"},
        {"答案是3*4", "答案是三乘四"},
        {"我们5>3", "我们五大于三"},
    };
    RUN(cases, LANG_UNKNOWN);
}

static void test_en_rules(void **state)
{
    (void)state;
    static const norm_case cases[] = {
        {"It is 3.5 meters.", "It is three point five meters."},
        {"I have 0 cats", "I have zero cats"},
        {"I have 1 cat", "I have one cat"},
        {"about 15 of them", "about fifteen of them"},
        {"about 105 of them", "about one hundred five of them"},
        {"about 1,234,567 of them", "about one million two hundred thirty-four thousand five "
                                    "hundred sixty-seven of them"},
        {"about 1000000 of them", "about one million of them"},
        {"It was -5 outside", "It was minus five outside"},
        {"It costs $1,234.56 now", "It costs one thousand two hundred thirty-four dollars and "
                                   "fifty-six cents now"},
        {"It costs $1 now", "It costs one dollar now"},
        {"It costs $0.50 now", "It costs fifty cents now"},
        {"It costs $5.01 now", "It costs five dollars and one cent now"},
        {"It costs ¥100 now", "It costs one hundred yuan now"},
        {"It costs £2.50 now", "It costs two pounds and fifty pence now"},
        {"It costs $5 million", "It costs five million dollars"},
        {"It is 15% more", "It is fifteen percent more"},
        {"It is -2.5% less", "It is minus two point five percent less"},
        {"Meet at 3:45 PM", "Meet at three forty-five P M"},
        {"Meet at 3:05 am", "Meet at three oh five A M"},
        {"Meet at 3:00 p.m. today", "Meet at three P M today"},
        {"Meet at 3:00 today", "Meet at three o'clock today"},
        {"Meet at 15:30", "Meet at fifteen thirty"},
        {"the 1st one", "the first one"},
        {"the 2nd one", "the second one"},
        {"the 3rd one", "the third one"},
        {"the 4th one", "the fourth one"},
        {"the 12th one", "the twelfth one"},
        {"the 21st one", "the twenty-first one"},
        {"the 100th one", "the one hundredth one"},
        {"Call 13800138000 now", "Call one three eight zero zero one three eight zero zero zero now"},
        {"Call 555-123-4567 now", "Call five five five one two three four five six seven now"},
        {"Date 2024-11-24 ok", "Date November twenty-fourth, twenty twenty-four ok"},
        {"Due 11/24/2024 ok", "Due November twenty-fourth, twenty twenty-four ok"},
        {"Born on November 24, 1999", "Born on November twenty-fourth, nineteen ninety-nine"},
        {"In 2024 we won", "In twenty twenty-four we won"},
        {"in 2005 we won", "in two thousand five we won"},
        {"We have 2024 apples", "We have two thousand twenty-four apples"},
        {"Add 1/2 cup", "Add one half cup"},
        {"Add 3/4 cup", "Add three quarters cup"},
        {"Add 2/3 cup", "Add two thirds cup"},
        {"Pages 10-20 only", "Pages ten to twenty only"},
        {"so 5-3=2 ok", "so five minus three equals two ok"},
        {"version 1.12.3 is out", "version one point twelve point three is out"},
        {"the 1990s and 80s", "the nineteen nineties and eighties"},
        {"Call +86 138 0013 8000", "Call plus eight six one three eight zero zero one three "
                                   "eight zero zero zero"},
        {"the % sign", "the percent sign"},
        {"It is 5 km away", "It is five kilometers away"},
        {"It is 1 km away", "It is one kilometer away"},
        {"It is 25°C here", "It is twenty-five degrees Celsius here"},
        {"It weighs 3kg", "It weighs three kilograms"},
        {"It has 16 GB", "It has sixteen gigabytes"},
        {"Tom & Jerry", "Tom and Jerry"},
        {"me@home", "me at home"},
        {"C++ code", "C plus plus code"},
        {"so 1+1=2 ok", "so one plus one equals two ok"},
        {"so 5 > 3 ok", "so five is greater than three ok"},
        {"A4 paper", "A four paper"},
    };
    RUN(cases, LANG_UNKNOWN);
}

static void test_context_and_width(void **state)
{
    (void)state;
    static const norm_case cases[] = {
        /* the language of a number comes from its neighbours */
        {"我们用Python 3写代码", "我们用Python three写代码"},
        {"iPhone 15发布了", "iPhone fifteen发布了"},
        {"今天有3.5度, it is 3.5 degrees", "今天有三点五度, it is three point five degrees"},
        /* full-width forms: letters, digits, symbols to ASCII; Chinese
         * punctuation kept; blanks collapsed */
        {"ＡＢＣ１２３", "ABC one hundred twenty-three"},
        {"价格：１２３元！", "价格：一百二十三元！"},
        {"Hello　　world\n\t again", "Hello world again"},
        {"你好 ，世界", "你好，世界"},
        /* Japanese and Korean digits are left to their engines */
        {"3時です", "3時です"},
        {"3개 있어요", "3개 있어요"},
        /* markup never read out */
        {"<|en|>3<|endofprompt|>", "three"},
        {"[laughter]12[breath]", "十二"},
    };
    RUN(cases, LANG_UNKNOWN);
}

static void test_default_language(void **state)
{
    (void)state;
    static const norm_case zh[] = {{"123", "一百二十三"}, {"3.5%", "百分之三点五"}};
    static const norm_case en[] = {{"123", "one hundred twenty-three"},
                                   {"3.5%", "three point five percent"}};
    static const norm_case yue[] = {{"123", "一百二十三"}};
    RUN(zh, LANG_ZH);
    RUN(en, LANG_EN);
    RUN(yue, LANG_YUE);
    static const norm_case guess[] = {{"123", "一百二十三"}};
    RUN(guess, LANG_UNKNOWN); /* nothing to tell: Chinese */
}

static void test_invalid(void **state)
{
    (void)state;
    char *out = (char *)1;
    assert_int_equal(text_frontend_normalize("a\xff", NULL, &out).code, CV_INVALID_ARGUMENT);
    assert_null(out);
    assert_int_equal(text_frontend_normalize("<|zh|>", NULL, &out).code, CV_OK);
    assert_string_equal(out, "");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zh_cardinals),     cmocka_unit_test(test_zh_rules),
        cmocka_unit_test(test_en_rules),         cmocka_unit_test(test_context_and_width),
        cmocka_unit_test(test_default_language), cmocka_unit_test(test_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
