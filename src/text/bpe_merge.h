/* Byte-pair merging of one pre-tokenized piece, as tiktoken does it: start
 * from single bytes and repeatedly merge the adjacent pair whose
 * concatenation is the token of lowest rank (the leftmost such pair on
 * ties), until no adjacent pair forms a token. */
#ifndef CV_BPE_MERGE_H
#define CV_BPE_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "text/bpe_vocab.h"

/* Merges piece[0..len) (len >= 1) and writes the resulting ranks to out,
 * which must have room for len ids. Returns the number of ids, or 0 if
 * memory ran out. A priority queue makes this O(len log len), so a very
 * long piece (a run of letters without spaces) cannot stall a request. */
size_t bpe_merge(const bpe_vocab *v, const uint8_t *piece, size_t len, int32_t *out);

#endif
