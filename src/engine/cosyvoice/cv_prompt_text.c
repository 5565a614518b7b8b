/* The prompt text's ids per family; see cv_prompt_text.h. */
#include "engine/cosyvoice/cv_prompt_text.h"

#include <stdlib.h>

#include "engine/cosyvoice/cv_text.h"
#include "model/family.h"
#include "model/frontend/text_tokenizer.h"
#include "text/bpe_tokenizer.h"

struct cv_prompt_text {
    bpe_tokenizer *tok; /* the family's text tokenizer */
};

cv_prompt_text *cv_prompt_text_open(const char *model_dir, cv_status *st)
{
    char yaml[4096], vocab[4096];
    cv_family family;
    *st = cv_family_detect(model_dir, &family, yaml, sizeof yaml);
    if (!cv_is_ok(st)) return NULL;
    cv_prompt_text *p = calloc(1, sizeof *p);
    if (!p) {
        *st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    if (family == CV_FAMILY_V1) {
        *st = bpe_tokenizer_find_vocab(model_dir, NULL, vocab, sizeof vocab);
        if (cv_is_ok(st)) p->tok = bpe_tokenizer_load(vocab, st);
    } else { /* Qwen2 BPE + the family's special tokens */
        *st = cv_text_tokenizer_load(model_dir, family, NULL, &p->tok);
    }
    if (!cv_is_ok(st)) {
        cv_prompt_text_free(p);
        return NULL;
    }
    return p;
}

cv_status cv_prompt_text_encode(const cv_prompt_text *p, const char *text, int32_t **ids, int *n)
{
    return cv_prompt_text_tokens(p->tok, text, ids, n);
}

void cv_prompt_text_free(cv_prompt_text *p)
{
    if (!p) return;
    bpe_tokenizer_free(p->tok);
    free(p);
}
