/* cosyvoice-parity: compares the C implementation against a golden
 * directory produced by the reference PyTorch code (see
 * tests/data/golden/README.md). Checks are grouped (hift, flow, llm, ...);
 * each group lives in its own check_<group>.c and is listed in main.c. A
 * group serves the model families in its mask; two groups of one name may
 * serve different families (e.g. hift for v1 and for v2). */
#ifndef CV_PARITY_H
#define CV_PARITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model/family.h"
#include "model/io/npy.h"
#include "model/io/yaml_config.h"

#define PARITY_TOLERANCE 1e-3

typedef struct json_t json_t;

typedef struct parity_ctx {
    const char *dir;        /* golden directory (a model directory plus *.npy) */
    cv_family family;       /* told by its yaml file's name */
    const yaml_config *yaml; /* its cosyvoice*.yaml */
    const char *prefix;     /* of its arrays: "" (v1), "v2_", "v3_" */
    json_t *manifest;       /* MANIFEST.json, loaded on first use (parity_manifest) */
    int checks, failures, skipped;
    /* --precision bf16: the products with weights run in bf16, so results
     * move away from the (float32) golden data by design; the errors are
     * printed for information and only checks that could not run fail */
    bool info_only;
} parity_ctx;

#define PARITY_NAME_MAX 128

typedef struct parity_group {
    const char *name;
    unsigned families; /* cv_family mask: the directories it checks */
    /* Runs the group's checks, reporting each through parity_report/
     * parity_skip/parity_fail. */
    void (*run)(parity_ctx *ctx);
} parity_group;

/* The family's name of a golden array: ctx->prefix + base ("v2_hift_mel"
 * for "hift_mel" in a CosyVoice2 directory), in buf[PARITY_NAME_MAX]. */
const char *parity_name(const parity_ctx *ctx, const char *base, char *buf);
/* The directory's MANIFEST.json (jansson; owned by ctx), NULL when it has
 * none or it does not parse. */
json_t *parity_manifest(parity_ctx *ctx);

/* The golden data's noise: det_noise everywhere, except that the flow's
 * fixed buffer comes from prefix + "flow_z" [1, M, T0] when the directory
 * has it (CosyVoice3's golden data keeps the reference's torch.randn
 * buffer: element c * FLOW_NOISE_FRAMES + t is flow_z[c][t], NaN past T0
 * so a longer call shows). NULL on failure (reported). */
typedef struct nn_noise nn_noise;
nn_noise *parity_noise(parity_ctx *ctx);

/* "<dir>/<file>" into buf. */
const char *parity_path(const parity_ctx *ctx, const char *file, char *buf, size_t cap);
/* Whether <dir>/<name>.npy exists. */
bool parity_has(const parity_ctx *ctx, const char *name);
/* Loads <dir>/<name>.npy; on failure reports the check as failed and
 * returns false. */
bool parity_load(parity_ctx *ctx, const char *name, npy_array *out);

/* Tokens of an int (or float) npy array as int32, malloc'ed (never NULL
 * unless out of memory, also for an empty array). */
int32_t *parity_tokens(const npy_array *a);
/* Max |ours - ref| over the entries finite in the reference (log-prob
 * rows); inf when the -inf pattern differs or a NaN shows up. */
double parity_logp_error(const float *ours, const float *ref, size_t n);

/* Log-prob rows kept as an LM decodes: pass parity_keep_row as on_logp
 * with the rows as user; a row of another width or past cap is dropped. */
typedef struct parity_rows {
    float *data; /* [cap][cols] */
    int rows, cols, cap;
} parity_rows;
void parity_keep_row(void *user, int step, const float *logp, int n);

/* Largest |a[i] - b[i]| (inf if a NaN is involved). */
double parity_max_abs(const float *a, const float *b, size_t n);
/* One result line: "<name>  max_abs_err=<err>  ok|FAIL". */
void parity_report(parity_ctx *ctx, const char *name, double max_err);
/* Same against a tolerance other than PARITY_TOLERANCE (printed). */
void parity_report_tol(parity_ctx *ctx, const char *name, double max_err, double tol);
/* The same for another measure than the max abs error ("rms_err"). */
void parity_report_metric(parity_ctx *ctx, const char *name, const char *metric, double value,
                          double tol);
/* A check that could not run for lack of data (not a failure). */
void parity_skip(parity_ctx *ctx, const char *name, const char *why);
/* A check that could not run because something went wrong (a failure). */
void parity_fail(parity_ctx *ctx, const char *name, const char *why);

/* Audio chunks as a token-to-audio loop emits them. */
#define PARITY_MAX_CHUNKS 256
typedef struct parity_audio {
    float *pcm;
    size_t n, cap;
    int lengths[PARITY_MAX_CHUNKS];
    int chunks;
} parity_audio;
/* A t2w_emit_fn appending to a parity_audio (user). */
bool parity_collect(void *user, const float *pcm, int n);
/* Prints the chunk lengths with the golden ones and reports whether they
 * are identical (check `name`). */
void parity_check_lengths(parity_ctx *ctx, const char *name, const parity_audio *got,
                          const npy_array *golden);

/* One call of a flow's vector field on the golden est_* inputs (batch of
 * two, mask all ones), compared with prefix + out_base (check_flow.c). */
typedef struct flow_vector_field flow_vector_field;
void parity_check_estimator(parity_ctx *ctx, const flow_vector_field *vf, int M,
                            bool streaming, const char *out_base);

extern const parity_group parity_group_hift;
extern const parity_group parity_group_flow;
extern const parity_group parity_group_flow_causal;
extern const parity_group parity_group_llm;
extern const parity_group parity_group_llm_qwen2;
extern const parity_group parity_group_bistream;
extern const parity_group parity_group_stream;
extern const parity_group parity_group_stream_causal;
extern const parity_group parity_group_frontend;
extern const parity_group parity_group_tokenizer;

#endif
