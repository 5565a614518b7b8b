#include "text/nfc.h"

#include <stdint.h>
#include <stdlib.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>

cv_status utf8_nfc(const char *s, size_t len, char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = len;
    size_t i = 0;
    while (i < len && (unsigned char)s[i] < 0x80) i++;
    if (i == len) return cv_ok();
    if (len > INT32_MAX / 4) return cv_error(CV_INVALID_ARGUMENT, "text too long to normalize");

    UErrorCode err = U_ZERO_ERROR;
    const UNormalizer2 *nfc = unorm2_getNFCInstance(&err);
    if (U_FAILURE(err)) return cv_error(CV_INTERNAL, "ICU NFC: %s", u_errorName(err));
    int32_t n16 = 0;
    u_strFromUTF8(NULL, 0, &n16, s, (int32_t)len, &err);
    if (err != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(err))
        return cv_error(CV_INVALID_ARGUMENT, "text is not valid UTF-8");
    err = U_ZERO_ERROR;
    UChar *src = malloc(((size_t)n16 + 1) * sizeof *src);
    if (!src) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory normalizing text");
    u_strFromUTF8(src, n16 + 1, NULL, s, (int32_t)len, &err);
    if (U_SUCCESS(err) && unorm2_isNormalized(nfc, src, n16, &err) && U_SUCCESS(err)) {
        free(src);
        return cv_ok();
    }
    /* NFC can grow a string at most threefold (Unicode's stated bound). */
    err = U_ZERO_ERROR;
    int32_t cap16 = 3 * n16 + 1;
    UChar *dst = malloc((size_t)cap16 * sizeof *dst);
    int32_t m16 = dst ? unorm2_normalize(nfc, src, n16, dst, cap16, &err) : 0;
    free(src);
    if (!dst) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory normalizing text");
    if (U_FAILURE(err)) {
        free(dst);
        return cv_error(CV_INTERNAL, "ICU NFC: %s", u_errorName(err));
    }
    int32_t n8 = 0;
    u_strToUTF8(NULL, 0, &n8, dst, m16, &err);
    err = U_ZERO_ERROR;
    char *res = malloc((size_t)n8 + 1);
    if (res) u_strToUTF8(res, n8 + 1, NULL, dst, m16, &err);
    free(dst);
    if (!res) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory normalizing text");
    if (U_FAILURE(err)) {
        free(res);
        return cv_error(CV_INTERNAL, "ICU NFC: %s", u_errorName(err));
    }
    *out = res;
    *out_len = (size_t)n8;
    return cv_ok();
}
