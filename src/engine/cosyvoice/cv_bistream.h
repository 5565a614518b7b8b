/* Text streamed in, for CosyVoice2 / CosyVoice3 (StreamInference): the
 * reference's Qwen2LM.inference_bistream (model/blocks/qwen2_lm_bistream.h)
 * run by the cosyvoice engine. One LM decoding covers the whole streamed
 * text: text ids go in as the text arrives (5 text ids between 15 speech
 * tokens, fill token when the text runs short, the rest after the end), and
 * each speech token goes out at once to the call's token-to-audio loop, so
 * audio is made while the text is still being written.
 *
 * Text -> ids (cv_text_ids): the reference hands the generator's pieces to
 * the tokenizer as they are, without text normalization (its text_normalize
 * returns a generator untouched). Here the text is cut into small complete
 * pieces by the incremental segmentation (text/text_feed.h, with a short
 * clause length: CV_BISTREAM_CLAUSE_CJK), each piece runs through the same
 * front end and tokenizer as Inference text (cv_text.h), and the ids join
 * the LM's input in order. So numbers, dates and markup are spoken as in
 * Inference, at the cost of a few words of delay: a piece is complete only
 * once the text after it has started (see docs/streaming_text.md). Pieces
 * after the first get a leading blank unless they or the text before them
 * are Chinese/Japanese/Korean, as the front end joins sentences. The ids
 * of a piece go to the LM one at a time, as the reference's front end
 * hands over a generator's ids (its schedule starts at most one run of
 * speech per piece, so a group of ids would hold text back).
 *
 * The id source is an interface so tests can drive the decoding with the
 * golden data's text ids (tests/unit/test_neural_engine_bistream.c). */
#ifndef CV_ENGINE_COSYVOICE_BISTREAM_H
#define CV_ENGINE_COSYVOICE_BISTREAM_H

#include <stdbool.h>

#include "engine/cosyvoice/cv_family_v2v3.h"
#include "engine/engine.h"
#include "engine/text_pieces.h"

/* Comma cuts after 4 CJK characters (8 other characters), blank cuts
 * after twice that: a piece is a few words. */
#define CV_BISTREAM_CLAUSE_CJK 4

typedef struct cv_id_source cv_id_source;
struct cv_id_source {
    /* The next text ids: CV_OK with *n > 0 (*ids malloc'ed, free it), CV_OK
     * with *n == 0 at the end of the text; any other status ends the call.
     * May block until text arrives. */
    cv_status (*next)(cv_id_source *s, int32_t **ids, int *n);
};

/* Ids of the text of a tts_text_source, piece by piece (see above). */
typedef struct cv_text_ids {
    cv_id_source base;
    const bpe_tokenizer *tok;
    text_pieces tp;
    int pieces;      /* pieces that gave ids */
    bool last_cjk;   /* the text so far ends in a CJK character */
} cv_text_ids;

void cv_text_ids_init(cv_text_ids *t, const bpe_tokenizer *tok, tts_text_source *src);
void cv_text_ids_free(cv_text_ids *t);

/* Decodes speech tokens for the text of src (until its end) with the
 * family's bistream LM. o->on_token gets every token the flow is to get
 * (v3: after the silent-token filter); *n_tokens (may be NULL) counts them.
 * v3 needs <|endofprompt|> in the prompt text: when the prompt lacks it the
 * reference examples' system prompt goes in front, as for Inference. Text
 * that yields no ids at all is INVALID_ARGUMENT (nothing to speak). v1 has
 * no such decoding: UNIMPLEMENTED. */
cv_status cv_bistream_generate(const cv_model *m, const cv_lm_prompt *p, cv_id_source *src,
                               const llm_decode_options *o, int *n_tokens);

#endif
