/* The engine interface: everything behind the wire that turns a validated
 * request into audio. Two engines implement it (espeak: the built-in default;
 * cosyvoice: the native neural engine).
 *
 * Ownership: an engine owns only read-only shared state (voices, weights) and
 * must allow concurrent synthesize() calls from several threads; all per-call
 * state lives on the calling thread's stack or in memory it frees before
 * returning.
 *
 * Audio leaves an engine through a tts_sink, which applies backpressure
 * (write blocks while the consumer is behind) and carries cancellation
 * (write returns false, cancelled() turns true): engines check it between
 * units of work and return promptly once it is set. */
#ifndef CV_ENGINE_H
#define CV_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

typedef enum tts_mode {
    TTS_MODE_SFT = 0,
    TTS_MODE_ZERO_SHOT,
    TTS_MODE_CROSS_LINGUAL,
    TTS_MODE_INSTRUCT,
    TTS_MODE_COUNT
} tts_mode;

/* "sft", "zero_shot", "cross_lingual", "instruct"; NULL for others. */
const char *tts_mode_name(tts_mode m);
/* Parses a mode name; returns -1 if unknown. */
int tts_mode_parse(const char *name);

/* How engines without CosyVoice2/3's instruct2 (instruct conditioned on a
 * prompt recording instead of a spk_id) refuse it, as FAILED_PRECONDITION;
 * %s: the engine's name. */
#define TTS_INSTRUCT2_UNSUPPORTED                                                           \
    "instruct with a prompt recording (instruct2) needs a CosyVoice2/3 model directory "   \
    "(--engine cosyvoice); the %s engine takes instruct with spk_id"

/* Sample rate of prompt_pcm, fixed by the wire contract. */
#define TTS_PROMPT_RATE 16000

/* A decoded request: plain C, no protobuf types. Strings are NUL-terminated
 * UTF-8 (empty string when unset, never NULL). */
typedef struct tts_text_source tts_text_source;

/* Text that may still be growing: the StreamInference method hands the
 * engine the caller's text piece by piece, as it arrives. An engine that
 * reads it (engine_ops.reads_source) pulls pieces with read() whenever it
 * needs more text; other engines get whole pieces cut by the generic
 * incremental segmentation instead (engine_synthesize_source). */
struct tts_text_source {
    /* Blocks until more text exists, the input ended, or the call failed.
     * CV_OK with *n > 0: *piece is malloc'ed (free it), n bytes of whole,
     * valid UTF-8 characters, NUL-terminated. CV_OK with *n == 0 and *piece
     * NULL: the input ended. Any other status ends the call: waiting longer
     * than --text-idle-timeout for a piece (DEADLINE_EXCEEDED), text over
     * --max-text or not UTF-8 (INVALID_ARGUMENT), cancellation (CANCELLED).
     * Called from one thread at a time. */
    cv_status (*read)(tts_text_source *src, char **piece, size_t *n);
    /* Optional (may be NULL): the engine gives up on the text (its own
     * failure, on another thread than the reader): a read blocked now or
     * later returns why at once instead of waiting for the next piece. */
    void (*stop)(tts_text_source *src, cv_status why);
};

typedef struct tts_request {
    tts_mode mode;
    /* The whole text; "" when source is set (StreamInference). */
    const char *tts_text;
    tts_text_source *source;   /* NULL: tts_text is all the text */
    const char *spk_id;        /* sft, instruct */
    const char *prompt_text;   /* zero_shot */
    const char *instruct_text; /* instruct */
    const int16_t *prompt_pcm; /* zero_shot, cross_lingual, instruct2: mono, 16 kHz */
    size_t prompt_samples;
    float speed;               /* 1.0 = normal */
    bool stream;               /* false: one chunk per text segment */
    const char *request_id;    /* for log lines */
} tts_request;

typedef struct tts_sink tts_sink;
struct tts_sink {
    /* Delivers n samples of s16 mono audio at the engine's sample rate.
     * May block (backpressure). Returns false once the call is cancelled:
     * the engine must then stop and return. */
    bool (*write)(tts_sink *sink, const int16_t *pcm, size_t n);
    /* Cheap poll for cancellation, for engines between units of work. */
    bool (*cancelled)(tts_sink *sink);
};

typedef struct engine_options {
    const char *model_dir; /* engines that need model files */
    const char *speakers_file; /* --speakers: saved voices outside model_dir, or NULL */
    int n_threads;         /* compute threads per call (0 = default) */
    /* Engine-specific settings, "key=value" each (--engine-opt); an engine
     * refuses keys it does not know, engines without settings ignore them. */
    const char *const *params;
    size_t n_params;
} engine_options;

typedef struct engine engine;

typedef struct engine_ops {
    const char *name;
    const char *description;
    cv_status (*open)(const engine_options *opt, engine **out);
    void (*close)(engine *e);
    int (*sample_rate)(const engine *e);
    /* Speaker ids usable with sft and instruct, in a stable order. */
    size_t (*speaker_count)(const engine *e);
    const char *(*speaker_name)(const engine *e, size_t i);
    /* Engine-specific acceptance of a request already validated by
     * tts_request_validate (mode supported, speaker known, ...). Fast: runs
     * before the call is admitted. */
    cv_status (*check)(engine *e, const tts_request *req);
    /* Synthesizes the request into the sink. Returns CV_OK when done,
     * CV_CANCELLED if the sink reported cancellation, or an error. */
    cv_status (*synthesize)(engine *e, const tts_request *req, tts_sink *sink);
    /* Does synthesize() read req->source itself (NULL: no)? Engines that
     * answer false (or have no such op) get streamed text through
     * engine_synthesize_source: one synthesize() per complete piece. */
    bool (*reads_source)(const engine *e, const tts_request *req);
} engine_ops;

/* Every engine struct begins with this header. */
struct engine {
    const engine_ops *ops;
};

/* Registry of built-in engines. */
const engine_ops *engine_find(const char *name);
size_t engine_registry_count(void);
const engine_ops *engine_registry_at(size_t i);

/* Convenience wrappers. */
cv_status engine_open(const char *name, const engine_options *opt, engine **out);
void engine_close(engine *e);
/* Synthesizes req, whose text may come from req->source: engines that
 * read the source get it; for the others the text is cut incrementally
 * (text/text_feed.h) and every complete piece is synthesized as a request
 * of its own, in order, into the same sink. */
cv_status engine_synthesize(engine *e, const tts_request *req, tts_sink *sink);
/* Looks up spk_id among the engine's speakers. */
bool engine_has_speaker(const engine *e, const char *spk_id);
/* Writes "a, b, c" (the valid speaker ids) into buf. */
void engine_speaker_list(const engine *e, char *buf, size_t cap);

#endif
