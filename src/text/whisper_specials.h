/* The special tokens Whisper's multilingual tokenizer (and so CosyVoice-300M)
 * appends after the mergeable vocabulary, in id order: <|endoftext|>,
 * <|startoftranscript|>, one <|xx|> per language (the first 100 Whisper
 * language codes), the task and control tokens, then 1501 timestamps
 * <|0.00|> .. <|30.00|> in steps of 0.02 s. */
#ifndef CV_WHISPER_SPECIALS_H
#define CV_WHISPER_SPECIALS_H

#include <stddef.h>

#define WHISPER_N_LANGUAGES 100
#define WHISPER_N_TIMESTAMPS 1501
#define WHISPER_N_SPECIALS (2 + WHISPER_N_LANGUAGES + 6 + WHISPER_N_TIMESTAMPS)

/* Writes the text of special token number i (0-based, id = n_mergeable + i)
 * into buf (at least 32 bytes) and returns its length, or 0 if i is out of
 * range. */
size_t whisper_special_name(size_t i, char *buf, size_t cap);

#endif
