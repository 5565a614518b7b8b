/* The prompt text's ids per family; see cv_prompt_text.h. */
#include "engine/cosyvoice/cv_prompt_text.h"

#include <stdlib.h>

#include "engine/cosyvoice/cv_text.h"
#include "model/family.h"
#include "text/bpe_tokenizer.h"

struct cv_prompt_text {
    bpe_tokenizer *whisper; /* v1 */
};

cv_prompt_text *cv_prompt_text_open(const char *model_dir, cv_status *st)
{
    char yaml[4096], vocab[4096];
    cv_family family;
    *st = cv_family_detect(model_dir, &family, yaml, sizeof yaml);
    if (!cv_is_ok(st)) return NULL;
    if (family != CV_FAMILY_V1) {
        *st = cv_error(CV_UNIMPLEMENTED,
                       "%s: tokenizing %s prompt text (Qwen2 BPE) is not built yet; give the "
                       "prompt text's ids instead",
                       model_dir, cv_family_name(family));
        return NULL;
    }
    cv_prompt_text *p = calloc(1, sizeof *p);
    if (!p) {
        *st = cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
        return NULL;
    }
    *st = bpe_tokenizer_find_vocab(model_dir, NULL, vocab, sizeof vocab);
    if (cv_is_ok(st)) p->whisper = bpe_tokenizer_load(vocab, st);
    if (!cv_is_ok(st)) {
        cv_prompt_text_free(p);
        return NULL;
    }
    return p;
}

cv_status cv_prompt_text_encode(const cv_prompt_text *p, const char *text, int32_t **ids, int *n)
{
    return cv_prompt_text_tokens(p->whisper, text, ids, n);
}

void cv_prompt_text_free(cv_prompt_text *p)
{
    if (!p) return;
    bpe_tokenizer_free(p->whisper);
    free(p);
}
