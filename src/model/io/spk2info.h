/* spk2info.pt, the speaker table of a CosyVoice model directory, read and
 * written in the two layouts the reference uses, so a file either side
 * writes works on the other:
 *
 *  - SFT speakers (CosyVoice-300M-SFT / -Instruct ship them):
 *      {name: {'embedding': float32 [1, 192]}}
 *  - saved voices (CosyVoice.add_zero_shot_spk + save_spkinfo, every
 *    family): what frontend_zero_shot computed for a prompt, minus the text
 *    to speak -
 *      {name: {'prompt_text': int32 [1, Pt], 'prompt_text_len': int32 [1],
 *              'llm_prompt_speech_token': int32 [1, L],
 *              'llm_prompt_speech_token_len': int32 [1],
 *              'flow_prompt_speech_token', 'flow_prompt_speech_token_len':
 *                                      the same two tensors again,
 *              'prompt_speech_feat': float32 [1, F, 80],
 *              'prompt_speech_feat_len': int32 [1],
 *              'llm_embedding': float32 [1, 192],
 *              'flow_embedding': the same tensor again}}
 *    (for CosyVoice2/3, F = 2 L after the front end's trimming).
 *
 * Loading checks every known tensor's type, shape and that each *_len
 * matches its tensor, and rejects an entry that is neither kind, naming the
 * file, the speaker and the key. Tensors of other keys are kept (as
 * `extra`) so rewriting a file loses none; non-tensor values are not (the
 * reference's files hold none). A table may be assembled from several files
 * (the model directory's and a user's), so every voice records its file. */
#ifndef CV_SPK2INFO_H
#define CV_SPK2INFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "model/io/pt_load.h"

#define SPK2INFO_FILENAME "spk2info.pt"

typedef struct spk_voice {
    char *name;
    const char *source;          /* the file it was loaded from (owned by the table) */
    /* SFT: the x-vector frontend_sft reads; NULL if the entry has none */
    float *embedding;
    int embedding_dim;
    /* a saved voice: present when has_prompt */
    bool has_prompt;
    int32_t *prompt_text;        /* the LM's prompt text ids (may be empty) */
    int n_prompt_text;
    int32_t *llm_tokens, *flow_tokens; /* prompt speech tokens for the LM / the flow */
    int n_llm_tokens, n_flow_tokens;
    float *prompt_feat;          /* [feat_frames][feat_dim] */
    int feat_frames, feat_dim;
    float *llm_embedding, *flow_embedding; /* [prompt_embedding_dim]; llm_ may be NULL */
    int prompt_embedding_dim;
    /* every other tensor of the entry, named by its key below the speaker */
    pt_tensor *extra;
    size_t n_extra;
} spk_voice;

typedef struct spk_table {
    spk_voice *items;            /* in file order */
    size_t count;
    char **sources;              /* the files loaded, for spk_voice.source */
    size_t n_sources;
} spk_table;

/* Appends the voices of one file. NOT_FOUND if it does not exist;
 * INVALID_ARGUMENT for a malformed file or a name already in the table
 * (naming both files: a voice must not silently shadow another). */
cv_status spk_table_load(spk_table *t, const char *path);
/* Same from a loaded .pt (d is only read; `path` names it in messages). */
cv_status spk_table_add_dict(spk_table *t, const pt_dict *d, const char *path);
/* The files in order (the model directory's spk2info.pt, then a user's
 * --speakers file...); a missing file is skipped when `optional[i]`. On
 * error the table is emptied. */
cv_status spk_table_load_files(spk_table *t, const char *const *paths, const bool *optional,
                               size_t n);
/* Writes every voice in the layout it has (SFT, saved voice, or both, then
 * its extra tensors), replacing path atomically. */
cv_status spk_table_save(const spk_table *t, const char *path);
void spk_table_free(spk_table *t);

const spk_voice *spk_table_find(const spk_table *t, const char *name);
/* Moves *v into the table (v is zeroed). A voice of the same name is
 * replaced when `replace`, else ALREADY_EXISTS. */
cv_status spk_table_put(spk_table *t, spk_voice *v, bool replace);
/* Removes the named voice; false if there is none. */
bool spk_table_remove(spk_table *t, const char *name);

/* A saved voice from a prompt's front-end results (all copied): what
 * add_zero_shot_spk stores, the same tokens and embedding for the LM and the
 * flow. feat is [frames][dim]. */
cv_status spk_voice_make(const char *name, const int32_t *text_ids, int n_text,
                         const int32_t *tokens, int n_tokens, const float *feat, int frames,
                         int dim, const float *embedding, int embedding_dim, spk_voice *out);
void spk_voice_free(spk_voice *v);

#endif
