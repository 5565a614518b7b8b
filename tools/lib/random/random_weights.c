#include "random/random_weights.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

rw_rng rw_rng_seed(uint64_t seed)
{
    rw_rng r;
    r.x[0] = 0x330e; /* srand48's fixed low word */
    r.x[1] = (unsigned short)(seed & 0xffff);
    r.x[2] = (unsigned short)((seed >> 16) & 0xffff);
    r.x[0] ^= (unsigned short)((seed >> 32) & 0xffff);
    return r;
}

cv_status rw_add(pt_dict *d, const char *prefix, const char *name, int ndim,
                 const int64_t *shape, float center, float amp, rw_rng *rng)
{
    if (ndim < 1 || ndim > PT_MAX_DIMS) return cv_error(CV_INVALID_ARGUMENT, "bad rank");
    size_t n = 1;
    for (int i = 0; i < ndim; i++) n *= (size_t)shape[i];
    pt_tensor *items = realloc(d->items, (d->count + 1) * sizeof *items);
    if (!items) return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    d->items = items;
    pt_tensor *t = &items[d->count];
    memset(t, 0, sizeof *t);
    size_t len = strlen(prefix) + strlen(name) + 1;
    t->name = malloc(len);
    t->data = malloc(n * sizeof(float));
    if (!t->name || !t->data) {
        free(t->name), free(t->data);
        return cv_error(CV_RESOURCE_EXHAUSTED, "out of memory");
    }
    snprintf(t->name, len, "%s%s", prefix, name);
    t->ndim = ndim;
    for (int i = 0; i < ndim; i++) t->shape[i] = shape[i];
    for (size_t i = 0; i < n; i++)
        t->data[i] = center + amp * (float)(2.0 * erand48(rng->x) - 1.0);
    d->count++;
    return cv_ok();
}

cv_status rw_add_linear(pt_dict *d, const char *prefix, const char *name, int in, int out,
                        bool bias, rw_rng *rng)
{
    char n[200];
    float amp = 1.0f / sqrtf((float)in);
    snprintf(n, sizeof n, "%s.weight", name);
    cv_status s = rw_add(d, prefix, n, 2, (int64_t[]){out, in}, 0.0f, amp, rng);
    if (!cv_is_ok(&s) || !bias) return s;
    snprintf(n, sizeof n, "%s.bias", name);
    return rw_add(d, prefix, n, 1, (int64_t[]){out}, 0.0f, amp, rng);
}

cv_status rw_add_norm(pt_dict *d, const char *prefix, const char *name, int dim, rw_rng *rng)
{
    char n[200];
    snprintf(n, sizeof n, "%s.weight", name);
    cv_status s = rw_add(d, prefix, n, 1, (int64_t[]){dim}, 1.0f, 0.1f, rng);
    if (!cv_is_ok(&s)) return s;
    snprintf(n, sizeof n, "%s.bias", name);
    return rw_add(d, prefix, n, 1, (int64_t[]){dim}, 0.0f, 0.1f, rng);
}

cv_status rw_add_rel_encoder(pt_dict *d, const char *prefix, const rel_encoder_config *c,
                             rw_rng *rng)
{
    int dm = c->output_size, H = c->attention_heads, dk = dm / H;
    bool conf = c->kind == REL_ENC_CONFORMER;
    char p[160];
    cv_status s;
#define TRY(x)                       \
    do {                             \
        s = (x);                     \
        if (!cv_is_ok(&s)) return s; \
    } while (0)
    TRY(rw_add_linear(d, prefix, "embed.out.0", c->input_size, dm, true, rng));
    TRY(rw_add_norm(d, prefix, "embed.out.1", dm, rng));
    TRY(rw_add_norm(d, prefix, "after_norm", dm, rng));
    for (int i = 0; i < c->num_blocks; i++) {
        snprintf(p, sizeof p, "%sencoders.%d.", prefix, i);
        float a = 1.0f / sqrtf((float)dk);
        TRY(rw_add(d, p, "self_attn.pos_bias_u", 2, (int64_t[]){H, dk}, 0.0f, a, rng));
        TRY(rw_add(d, p, "self_attn.pos_bias_v", 2, (int64_t[]){H, dk}, 0.0f, a, rng));
        TRY(rw_add_linear(d, p, "self_attn.linear_q", dm, dm, true, rng));
        TRY(rw_add_linear(d, p, "self_attn.linear_k", dm, dm, true, rng));
        TRY(rw_add_linear(d, p, "self_attn.linear_v", dm, dm, true, rng));
        TRY(rw_add_linear(d, p, "self_attn.linear_out", dm, dm, true, rng));
        TRY(rw_add_linear(d, p, "self_attn.linear_pos", dm, dm, false, rng));
        TRY(rw_add_linear(d, p, "feed_forward.w_1", dm, c->linear_units, true, rng));
        TRY(rw_add_linear(d, p, "feed_forward.w_2", c->linear_units, dm, true, rng));
        TRY(rw_add_norm(d, p, conf ? "norm_mha" : "norm1", dm, rng));
        TRY(rw_add_norm(d, p, conf ? "norm_ff" : "norm2", dm, rng));
    }
#undef TRY
    return cv_ok();
}
