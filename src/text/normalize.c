#include "text/normalize.h"

bool text_normalize(const tstream *in, const markup_attrs *attrs, text_lang default_lang,
                    tstream *out)
{
    (void)attrs;
    (void)default_lang;
    for (size_t i = 0; i < in->n; i++)
        if (!ts_push(out, in->cp[i], in->attr[i])) return false;
    return true;
}
