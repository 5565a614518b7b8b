/* Checks a tokenizer against golden cases computed by the reference
 * implementation: a JSON file {"cases": [{"text": "...", "ids": [...],
 * "decoded": "..."}, ...]} with optional sizes and special tokens, in the
 * forms the golden directories use:
 *   "vocab_size_with_specials" | "len_tokenizer"     all ids
 *   "n_mergeable" | "n_regular" | "n_bpe"            the BPE tokens
 *   "special_tokens": {text: id} | "added_tokens": [{"id", "content"}]
 * ("decoded": the reference's decode with special tokens skipped).
 * Used by the unit tests and the parity tool. */
#ifndef CV_BPE_PARITY_H
#define CV_BPE_PARITY_H

#include <stddef.h>

#include "common/status.h"
#include "text/bpe_tokenizer.h"

/* Encodes every case and compares ids (and the decoded text where given);
 * each mismatch is logged. A file that cannot be read or parsed, sizes that
 * differ from t's or a special token with another id is an error status;
 * mismatching cases only count in *n_failed. */
cv_status bpe_check_cases(const bpe_tokenizer *t, const char *json_path, size_t *n_cases,
                          size_t *n_failed);

#endif
