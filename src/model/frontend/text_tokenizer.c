#include "model/frontend/text_tokenizer.h"

#include <stdio.h>

#include "text/cosyvoice_tokens.h"

cv_status cv_text_tokenizer_load(const char *model_dir, cv_family family, const char *override,
                                 bpe_tokenizer **out)
{
    *out = NULL;
    cv_status st;
    if (family == CV_FAMILY_V1) {
        char vocab[4096];
        st = bpe_tokenizer_find_vocab(model_dir, override, vocab, sizeof vocab);
        if (cv_is_ok(&st)) *out = bpe_tokenizer_load(vocab, &st);
        return st;
    }
    if (family != CV_FAMILY_V2 && family != CV_FAMILY_V3)
        return cv_error(CV_INVALID_ARGUMENT, "no text tokenizer for model family %d", (int)family);
    char dir[4096];
    if (override) snprintf(dir, sizeof dir, "%s", override);
    else snprintf(dir, sizeof dir, "%s/CosyVoice-BlankEN", model_dir);
    size_t n = 0;
    const char *const *added = cosyvoice_added_tokens(family == CV_FAMILY_V2 ? 2 : 3, &n);
    *out = bpe_tokenizer_load_qwen2(dir, added, n, &st);
    return st;
}
