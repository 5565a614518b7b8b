#include "text/normalize_tables.h"

#include <string.h>

#include "common/utf8.h"
#include "text/script.h"

static const unit_word UNITS[] = {
    {"km/h", "公里每小时", "kilometer per hour", "kilometers per hour"},
    {"m/s", "米每秒", "meter per second", "meters per second"},
    {"km²", "平方公里", "square kilometer", "square kilometers"},
    {"m²", "平方米", "square meter", "square meters"},
    {"㎡", "平方米", "square meter", "square meters"},
    {"cm²", "平方厘米", "square centimeter", "square centimeters"},
    {"m³", "立方米", "cubic meter", "cubic meters"},
    {"km", "公里", "kilometer", "kilometers"},
    {"cm", "厘米", "centimeter", "centimeters"},
    {"mm", "毫米", "millimeter", "millimeters"},
    {"nm", "纳米", "nanometer", "nanometers"},
    {"μm", "微米", "micrometer", "micrometers"},
    {"m", "米", "meter", "meters"},
    {"kg", "千克", "kilogram", "kilograms"},
    {"mg", "毫克", "milligram", "milligrams"},
    {"g", "克", "gram", "grams"},
    {"mL", "毫升", "milliliter", "milliliters"},
    {"ml", "毫升", "milliliter", "milliliters"},
    {"L", "升", "liter", "liters"},
    {"°C", "摄氏度", "degree Celsius", "degrees Celsius"},
    {"℃", "摄氏度", "degree Celsius", "degrees Celsius"},
    {"°F", "华氏度", "degree Fahrenheit", "degrees Fahrenheit"},
    {"℉", "华氏度", "degree Fahrenheit", "degrees Fahrenheit"},
    {"°", "度", "degree", "degrees"},
    {"kWh", "千瓦时", "kilowatt hour", "kilowatt hours"},
    {"kW", "千瓦", "kilowatt", "kilowatts"},
    {"W", "瓦", "watt", "watts"},
    {"GHz", "吉赫兹", "gigahertz", "gigahertz"},
    {"MHz", "兆赫兹", "megahertz", "megahertz"},
    {"kHz", "千赫兹", "kilohertz", "kilohertz"},
    {"Hz", "赫兹", "hertz", "hertz"},
    {"KB", NULL, "kilobyte", "kilobytes"},
    {"MB", NULL, "megabyte", "megabytes"},
    {"GB", NULL, "gigabyte", "gigabytes"},
    {"TB", NULL, "terabyte", "terabytes"},
    {"mph", "英里每小时", "mile per hour", "miles per hour"},
    {"ms", "毫秒", "millisecond", "milliseconds"},
    {"min", "分钟", "minute", "minutes"},
    {"h", "小时", "hour", "hours"},
    {"ft", "英尺", "foot", "feet"},
    {"lbs", "磅", "pound", "pounds"},
    {"lb", "磅", "pound", "pounds"},
    {"oz", "盎司", "ounce", "ounces"},
};

/* Length in code points of UTF-8 sym if cp[i..] starts with it, else 0. */
static size_t starts_with(const uint32_t *cp, size_t n, size_t i, const char *sym)
{
    size_t len = strlen(sym), k = 0;
    for (size_t b = 0; b < len; k++) {
        uint32_t c;
        b += (size_t)utf8_decode(sym + b, len - b, &c);
        if (i + k >= n || cp[i + k] != c) return 0;
    }
    return k;
}

const unit_word *unit_match(const uint32_t *cp, size_t n, size_t i, size_t *len)
{
    const unit_word *best = NULL;
    size_t best_len = 0;
    for (size_t u = 0; u < sizeof UNITS / sizeof UNITS[0]; u++) {
        size_t k = starts_with(cp, n, i, UNITS[u].sym);
        if (k <= best_len) continue;
        if (i + k < n && (script_of(cp[i + k]) == SC_LATIN || is_ascii_digit(cp[i + k])))
            continue; /* "5 mins", "3 km2": not this unit */
        best = &UNITS[u];
        best_len = k;
    }
    *len = best_len;
    return best;
}

static const symbol_word SYMBOLS[] = {
    {'&', "和", "and", false},
    {'@', "艾特", "at", false},
    {'+', "加", "plus", false},
    {'=', "等于", "equals", false},
    {0x00D7, "乘", "times", false},          /* × */
    {0x00F7, "除以", "divided by", false},   /* ÷ */
    {0x2248, "约等于", "approximately equals", false},
    {0x2260, "不等于", "is not equal to", false},
    {0x2264, "小于等于", "is less than or equal to", false},
    {0x2265, "大于等于", "is greater than or equal to", false},
    {0x2103, "摄氏度", "degrees Celsius", false}, /* ℃ */
    {'%', "百分号", "percent", false},              /* after a number: percent rule */
    {0x2030, "千分号", "per mille", false},          /* ‰ */
    {0x00B0, "度", "degrees", false},              /* ° */
    {'*', "乘", "times", true},
    {'<', "小于", "is less than", true},
    {'>', "大于", "is greater than", true},
};

const symbol_word *symbol_lookup(uint32_t cp)
{
    for (size_t k = 0; k < sizeof SYMBOLS / sizeof SYMBOLS[0]; k++)
        if (SYMBOLS[k].cp == cp) return &SYMBOLS[k];
    return NULL;
}

static const currency_word CURRENCIES[] = {
    {'$', "美元", "dollar", "dollars", "cent", "cents"},
    {0x20AC, "欧元", "euro", "euros", "cent", "cents"},   /* € */
    {0x00A3, "英镑", "pound", "pounds", "penny", "pence"}, /* £ */
    {0x00A5, "元", "yuan", "yuan", NULL, NULL},           /* ¥ (￥ folded) */
};

const currency_word *currency_lookup(uint32_t cp)
{
    for (size_t k = 0; k < sizeof CURRENCIES / sizeof CURRENCIES[0]; k++)
        if (CURRENCIES[k].sign == cp) return &CURRENCIES[k];
    return NULL;
}

bool zh_measure_word(const uint32_t *cp, size_t n, size_t i)
{
    /* not 月 (2月 is February) nor 号/楼/层 (ordinal uses) */
    static const char *const words[] = {
        "个", "只", "本", "位", "次", "件", "条", "张", "天", "年", "种", "名", "辆", "家",
        "双", "块", "斤", "点", "岁", "台", "部", "份", "杯", "瓶", "碗", "把", "根", "片",
        "周", "星期", "小时", "分钟", "公里", "千米", "米", "吨", "倍", "遍", "场", "顿", "套",
        "首", "句", "篇", "节", "间", "棵", "匹", "头", "座", "封", "枚", "栋", "所", "声",
        "下", "口", "盒", "袋", "颗", "粒", "组", "人", "样", "对", "份", "千克", "公斤"};
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
        if (starts_with(cp, n, i, words[k])) return true;
    return false;
}
