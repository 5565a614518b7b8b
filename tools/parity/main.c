/* cosyvoice-parity --golden DIR [--only GROUP]: runs every check group for
 * which DIR has data, prints one line per check with its max abs error and
 * exits non-zero if any check fails (error above PARITY_TOLERANCE).
 * --precision bf16 runs the same checks with bf16 weights and prints how
 * far the results move, without failing on it. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model/blocks/flow_cfm.h"
#include "nn/noise.h"
#include "nn/scratch.h"
#include "nn/weights.h"
#include "parity.h"

/* Add new groups here (and their check_<group>.c). */
static const parity_group *const GROUPS[] = {
    &parity_group_hift,
    &parity_group_flow,
    &parity_group_flow_causal,
    &parity_group_llm,
    &parity_group_llm_qwen2,
    &parity_group_bistream,
    &parity_group_stream,
    &parity_group_stream_causal,
    &parity_group_frontend,
    &parity_group_tokenizer,
};
#define N_GROUPS (sizeof GROUPS / sizeof GROUPS[0])

const char *parity_name(const parity_ctx *ctx, const char *base, char *buf)
{
    snprintf(buf, PARITY_NAME_MAX, "%s%s", ctx->prefix ? ctx->prefix : "", base);
    return buf;
}

json_t *parity_manifest(parity_ctx *ctx)
{
    if (!ctx->manifest) {
        char path[4096];
        ctx->manifest = json_load_file(parity_path(ctx, "MANIFEST.json", path, sizeof path), 0, NULL);
    }
    return ctx->manifest;
}

typedef struct golden_noise {
    nn_noise base; /* first: nn_noise* and golden_noise* convert */
    nn_noise *det;
    npy_array z;   /* [1][M][T0] */
} golden_noise;

static void gn_normal(nn_noise *self, float *out, size_t n, double salt)
{
    nn_noise *det = ((golden_noise *)self)->det;
    det->normal(det, out, n, salt);
}

static void gn_uniform(nn_noise *self, float *out, size_t n, float lo, float hi)
{
    nn_noise *det = ((golden_noise *)self)->det;
    det->uniform(det, out, n, lo, hi);
}

static void gn_fixed(const nn_noise *self, float *out, size_t first, size_t n, double salt,
                     nn_dist dist)
{
    const golden_noise *g = (const golden_noise *)self;
    if (salt != NN_NOISE_SALT_FLOW || dist != NN_DIST_NORMAL || !g->z.data) {
        g->det->fixed(g->det, out, first, n, salt, dist);
        return;
    }
    size_t T0 = (size_t)g->z.shape[2];
    for (size_t i = 0; i < n; i++) {
        size_t k = first + i, c = k / FLOW_NOISE_FRAMES, t = k % FLOW_NOISE_FRAMES;
        out[i] = t < T0 && c < (size_t)g->z.shape[1] ? g->z.data[c * T0 + t] : NAN;
    }
}

static void gn_destroy(nn_noise *self)
{
    golden_noise *g = (golden_noise *)self;
    nn_noise_free(g->det);
    npy_free(&g->z);
    free(g);
}

nn_noise *parity_noise(parity_ctx *ctx)
{
    golden_noise *g = calloc(1, sizeof *g);
    if (g) g->det = nn_noise_det_new();
    if (!g || !g->det) {
        free(g);
        parity_fail(ctx, "noise", "out of memory");
        return NULL;
    }
    g->base = (nn_noise){gn_normal, gn_uniform, gn_fixed, gn_destroy};
    char name[PARITY_NAME_MAX];
    if (ctx->family == CV_FAMILY_V3 && parity_has(ctx, parity_name(ctx, "flow_z", name)) &&
        (!parity_load(ctx, name, &g->z) || g->z.ndim != 3)) {
        gn_destroy(&g->base);
        return NULL;
    }
    return &g->base;
}

bool parity_collect(void *user, const float *pcm, int n)
{
    parity_audio *c = user;
    if (c->n + (size_t)n > c->cap) {
        size_t cap = (c->n + (size_t)n) * 2;
        float *p = realloc(c->pcm, cap * sizeof(float));
        if (!p) return false;
        c->pcm = p;
        c->cap = cap;
    }
    memcpy(c->pcm + c->n, pcm, (size_t)n * sizeof(float));
    c->n += (size_t)n;
    if (c->chunks < PARITY_MAX_CHUNKS) c->lengths[c->chunks] = n;
    c->chunks++;
    return true;
}

void parity_check_lengths(parity_ctx *ctx, const char *name, const parity_audio *got,
                          const npy_array *lens)
{
    bool same = got->chunks == (int)lens->count;
    for (int i = 0; same && i < got->chunks && i < PARITY_MAX_CHUNKS; i++)
        same = got->lengths[i] == (int)(lens->idata ? lens->idata[i] : lens->data[i]);
    printf("%-24s chunks:", name);
    for (int i = 0; i < got->chunks && i < PARITY_MAX_CHUNKS; i++) printf(" %d", got->lengths[i]);
    printf("  (golden:");
    for (size_t i = 0; i < lens->count; i++)
        printf(" %lld", (long long)(lens->idata ? lens->idata[i] : (int64_t)lens->data[i]));
    printf(")\n");
    if (!same) parity_fail(ctx, name, "chunk lengths differ from the golden ones");
    else parity_report(ctx, name, 0.0);
}

const char *parity_path(const parity_ctx *ctx, const char *file, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/%s", ctx->dir, file);
    return buf;
}

bool parity_has(const parity_ctx *ctx, const char *name)
{
    char file[256], path[4096];
    snprintf(file, sizeof file, "%s.npy", name);
    return access(parity_path(ctx, file, path, sizeof path), R_OK) == 0;
}

bool parity_load(parity_ctx *ctx, const char *name, npy_array *out)
{
    char file[256], path[4096];
    snprintf(file, sizeof file, "%s.npy", name);
    cv_status st = npy_load(parity_path(ctx, file, path, sizeof path), out);
    if (!cv_is_ok(&st)) {
        parity_fail(ctx, name, st.message);
        return false;
    }
    return true;
}

double parity_max_abs(const float *a, const float *b, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (isnan(d)) return INFINITY;
        if (d > m) m = d;
    }
    return m;
}

int32_t *parity_tokens(const npy_array *a)
{
    int32_t *v = malloc((a->count ? a->count : 1) * sizeof(int32_t));
    if (!v) return NULL;
    for (size_t i = 0; i < a->count; i++) v[i] = (int32_t)(a->idata ? a->idata[i] : a->data[i]);
    return v;
}

void parity_keep_row(void *user, int step, const float *logp, int n)
{
    parity_rows *r = user;
    if (step >= r->cap || n != r->cols) return;
    memcpy(r->data + (size_t)step * n, logp, (size_t)n * sizeof(float));
    if (step + 1 > r->rows) r->rows = step + 1;
}

double parity_logp_error(const float *ours, const float *ref, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        bool ref_inf = isinf(ref[i]) && ref[i] < 0, our_inf = isinf(ours[i]) && ours[i] < 0;
        if (ref_inf != our_inf || isnan(ours[i])) return INFINITY;
        if (ref_inf) continue;
        double d = fabs((double)ours[i] - ref[i]);
        if (d > m) m = d;
    }
    return m;
}

void parity_report(parity_ctx *ctx, const char *name, double max_err)
{
    parity_report_tol(ctx, name, max_err, PARITY_TOLERANCE);
}

void parity_report_tol(parity_ctx *ctx, const char *name, double max_err, double tol)
{
    parity_report_metric(ctx, name, "max_abs_err", max_err, tol);
}

void parity_report_metric(parity_ctx *ctx, const char *name, const char *metric, double value,
                          double tol)
{
    ctx->checks++;
    if (ctx->info_only) {
        printf("%-24s %s=%.3e  (bf16; float32 tolerance %.0e, info only)\n", name, metric, value,
               tol);
        return;
    }
    bool ok = value <= tol;
    if (tol == PARITY_TOLERANCE)
        printf("%-24s %s=%.3e  %s\n", name, metric, value, ok ? "ok" : "FAIL");
    else
        printf("%-24s %s=%.3e  %s (tolerance %.0e)\n", name, metric, value, ok ? "ok" : "FAIL",
               tol);
    if (!ok) ctx->failures++;
}

void parity_skip(parity_ctx *ctx, const char *name, const char *why)
{
    printf("%-24s skipped (%s)\n", name, why);
    ctx->skipped++;
}

void parity_fail(parity_ctx *ctx, const char *name, const char *why)
{
    printf("%-24s FAIL: %s\n", name, why);
    ctx->checks++;
    ctx->failures++;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: cosyvoice-parity --golden DIR [--only GROUP] [--precision fp32|bf16]\n"
               "  (bf16: how far bf16 weights move the results, printed, info only)\ngroups:");
    for (size_t i = 0; i < N_GROUPS; i++) fprintf(f, " %s", GROUPS[i]->name);
    fprintf(f, "\n");
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *only = NULL;
    bool bf16 = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--golden") && i + 1 < argc) dir = argv[++i];
        else if (!strcmp(argv[i], "--precision") && i + 1 < argc &&
                 (!strcmp(argv[i + 1], "bf16") || !strcmp(argv[i + 1], "fp32")))
            bf16 = !strcmp(argv[++i], "bf16");
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (!dir) {
        usage(stderr);
        return 2;
    }
    bool known = only == NULL;
    for (size_t i = 0; i < N_GROUPS; i++)
        if (only && !strcmp(only, GROUPS[i]->name)) known = true;
    if (!known) {
        /* a group another part of the project has not registered yet */
        printf("no checks registered for group '%s'\n", only);
        return 2;
    }

    if (bf16 && !nn_set_precision(NN_BF16)) {
        printf("precision bf16: this CPU has no bf16 dot products; nothing to report\n");
        return 0;
    }
    parity_ctx ctx = {.dir = dir, .info_only = bf16};
    char path[4096];
    yaml_config *yaml = NULL;
    cv_status st = cv_family_detect(dir, &ctx.family, path, sizeof path);
    if (cv_is_ok(&st)) st = yaml_config_load(path, &yaml);
    if (!cv_is_ok(&st)) {
        fprintf(stderr, "cosyvoice-parity: %s\n", st.message);
        return 2;
    }
    ctx.yaml = yaml;
    ctx.prefix = ctx.family == CV_FAMILY_V2 ? "v2_" : ctx.family == CV_FAMILY_V3 ? "v3_" : "";
    printf("%s (%s)\n", dir, cv_family_name(ctx.family));
    bool ran = false;
    for (size_t i = 0; i < N_GROUPS; i++) {
        if (only && strcmp(only, GROUPS[i]->name)) continue;
        if (!(GROUPS[i]->families & ctx.family)) continue;
        GROUPS[i]->run(&ctx);
        ran = true;
    }
    if (only && !ran) {
        printf("no '%s' checks registered for %s directories\n", only,
               cv_family_name(ctx.family));
        yaml_config_free(yaml);
        json_decref(ctx.manifest);
        return 2;
    }
    yaml_config_free(yaml);
    json_decref(ctx.manifest);
    nn_scratch_release();

    printf("%d checks, %d failed, %d skipped\n", ctx.checks, ctx.failures, ctx.skipped);
    if (ctx.checks == 0) return 1; /* nothing compared is not a pass */
    return ctx.failures ? 1 : 0;
}
