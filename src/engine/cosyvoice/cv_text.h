/* Text side of the cosyvoice engine, following the reference front end
 * (CosyVoiceFrontEnd.text_normalize / split_paragraph) on top of the
 * shared text front end:
 *
 *  - text holding "<|" and "|>" (the caller wrote special tokens such as
 *    <|en|>) is taken verbatim as one segment, as the reference does;
 *  - otherwise text_frontend_run normalizes and cuts it into sentences;
 *    markup the models were trained on is written back as text
 *    ([laughter], [breath], <strong>..</strong>, <laughter>..</laughter>);
 *    segments of punctuation only are dropped; then sentences are merged
 *    into segments: a segment is closed before a sentence that would take
 *    it past 80 units once it already has more than 60, and a last segment
 *    under 20 units joins the previous one. Units are characters for
 *    Chinese text and text tokens otherwise, as in the reference;
 *  - each segment is tokenized with the model's BPE tokenizer. */
#ifndef CV_ENGINE_COSYVOICE_TEXT_H
#define CV_ENGINE_COSYVOICE_TEXT_H

#include <stdint.h>

#include "common/status.h"
#include "text/bpe_tokenizer.h"

#define CV_SEG_MAX_UNITS 80
#define CV_SEG_MIN_UNITS 60
#define CV_SEG_MERGE_UNITS 20

typedef struct cv_text_segment {
    char *text;
    int32_t *ids;
    int n_ids;
} cv_text_segment;

typedef struct cv_text_segments {
    cv_text_segment *items;
    int count;
} cv_text_segments;

cv_status cv_text_segments_make(const bpe_tokenizer *tok, const char *text,
                                cv_text_segments *out);
void cv_text_segments_free(cv_text_segments *s);

/* The instruction as the LM's prompt text: it must end in an
 * end-of-instruction marker. Text already ending in "<|endofprompt|>" (the
 * reference's examples) is taken verbatim, one ending in "<endofprompt>"
 * (older releases) is normalized before the marker; otherwise the text is
 * normalized and "<|endofprompt|>" appended. The marker is not a Whisper
 * special token, so it is tokenized as plain text, as the reference's
 * tokenizer does. *ids malloc'ed. */
cv_status cv_instruct_tokens(const bpe_tokenizer *tok, const char *instruct, int32_t **ids,
                             int *n);

/* zero_shot's prompt text for the LM: normalized without segmentation
 * (verbatim when it holds "<|"/"|>" special tokens), then tokenized. */
cv_status cv_prompt_text_tokens(const bpe_tokenizer *tok, const char *text, int32_t **ids,
                                int *n);

#endif
