/* Checks the tokenizer against golden cases computed by the reference
 * implementation: a JSON file {"vocab_size_with_specials": N,
 * "n_mergeable": M, "cases": [{"text": "...", "ids": [...]}, ...]}.
 * Used by the unit tests and the parity tool. */
#ifndef CV_BPE_PARITY_H
#define CV_BPE_PARITY_H

#include <stddef.h>

#include "common/status.h"
#include "text/bpe_tokenizer.h"

#define BPE_GOLDEN_FILENAME "tokenizer-multilingual.json"

/* Encodes every case and compares ids; each mismatch is logged. A file that
 * cannot be read or parsed, or whose vocabulary sizes differ from t's,
 * is an error status; mismatching cases only count in *n_failed. */
cv_status bpe_check_cases(const bpe_tokenizer *t, const char *json_path, size_t *n_cases,
                          size_t *n_failed);

/* The parity tool's tokenizer check: loads the vocabulary (vocab_path, or
 * found from golden_dir as a model directory), runs golden_dir's
 * tokenizer-multilingual.json and prints a one-line summary to stdout.
 * Returns 0 when every case matches, 1 otherwise. */
int bpe_parity_check_dir(const char *golden_dir, const char *vocab_path);

#endif
