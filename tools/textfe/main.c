/* cosyvoice-textfe: prints the segments the text front end makes of its
 * argument (or of standard input), one per line with language and flags. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text/frontend.h"

static text_lang parse_lang(const char *s)
{
    for (int l = LANG_ZH; l < LANG_COUNT; l++)
        if (strcmp(s, text_lang_name((text_lang)l)) == 0) return (text_lang)l;
    return LANG_UNKNOWN;
}

static char *read_stdin(void)
{
    size_t cap = 4096, n = 0, k;
    char *buf = malloc(cap);
    while (buf && (k = fread(buf + n, 1, cap - n - 1, stdin)) > 0) {
        n += k;
        if (n + 1 == cap) {
            char *p = realloc(buf, cap *= 2);
            if (!p) { free(buf); return NULL; }
            buf = p;
        }
    }
    if (buf) buf[n] = '\0';
    return buf;
}

int main(int argc, char **argv)
{
    text_frontend_options opt = {LANG_UNKNOWN, 0};
    const char *text = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc) {
            opt.default_lang = parse_lang(argv[++i]);
        } else if (strcmp(argv[i], "--max") == 0 && i + 1 < argc) {
            opt.max_segment_chars = (size_t)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            printf("usage: cosyvoice-textfe [--lang zh|en|ja|ko|yue] [--max N] [TEXT]\n"
                   "Prints the front end's segments of TEXT (or stdin): language,\n"
                   "flags (end, emph, laugh, event=...) and |text|.\n");
            return 0;
        } else {
            text = argv[i];
        }
    }
    char *owned = NULL;
    if (!text) text = owned = read_stdin();
    if (!text) return 1;
    text_segments segs;
    cv_status st = text_frontend_run(text, &opt, &segs);
    free(owned);
    if (!cv_is_ok(&st)) {
        fprintf(stderr, "error: %s: %s\n", cv_code_name(st.code), st.message);
        return 2;
    }
    text_segments_print(stdout, &segs);
    text_segments_free(&segs);
    return 0;
}
