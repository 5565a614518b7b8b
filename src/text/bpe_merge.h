/* Byte-pair merging of one pre-tokenized piece, starting from single bytes,
 * by the vocabulary's rule (bpe_vocab.h):
 *  - tiktoken's (no merge list): repeatedly merge the adjacent pair whose
 *    joined bytes are the token of lowest rank (the leftmost such pair on
 *    ties), until no adjacent pair forms a token;
 *  - a merge list (Hugging Face's BPE, as transformers' Qwen2Tokenizer.bpe):
 *    repeatedly take the listed pair of lowest rank among the adjacent
 *    pairs and merge all its occurrences, left to right without overlap,
 *    until no adjacent pair is listed. */
#ifndef CV_BPE_MERGE_H
#define CV_BPE_MERGE_H

#include <stddef.h>
#include <stdint.h>

#include "text/bpe_vocab.h"

/* Merges piece[0..len) (len >= 1) and writes the resulting ids to out,
 * which must have room for len ids. Returns the number of ids, or 0 if
 * memory ran out. A priority queue makes this O(len log len), so a very
 * long piece (a run of letters without spaces) cannot stall a request. */
size_t bpe_merge(const bpe_vocab *v, const uint8_t *piece, size_t len, int32_t *out);

#endif
