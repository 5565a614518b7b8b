#include "model/blocks/llm_decode.h"

#include <math.h>
#include <string.h>

llm_decode_options llm_decode_defaults(void)
{
    llm_decode_options o;
    memset(&o, 0, sizeof o);
    o.mode = LLM_SAMPLE_RAS;
    o.seed = 0;
    o.min_token_text_ratio = 2.0f;
    o.max_token_text_ratio = 20.0f;
    return o;
}

void llm_length_limits(const llm_decode_options *o, int n_text, int *min_len, int *max_len)
{
    *min_len = (int)((float)n_text * o->min_token_text_ratio);
    *max_len = (int)((float)n_text * o->max_token_text_ratio);
}

llm_picker llm_picker_new(const llm_decode_options *o, const llm_sampling_params *sampling,
                          int masked_id, int min_len)
{
    return (llm_picker){.o = o, .sampling = sampling, .rng = llm_rng_seed(o->seed),
                        .masked_id = masked_id, .min_len = min_len};
}

int llm_pick(llm_picker *p, int step, float *logp, int n, const int32_t *decoded, int n_decoded)
{
    const llm_decode_options *o = p->o;
    if (step < p->min_len && p->masked_id >= 0 && p->masked_id < n)
        logp[p->masked_id] = -INFINITY;
    if (o->on_logp) o->on_logp(o->user, step, logp, n);
    int top = o->mode == LLM_SAMPLE_GREEDY
                  ? llm_sample_greedy(logp, n)
                  : llm_sample_ras(logp, n, decoded, n_decoded, p->sampling, &p->rng);
    if (o->forced && step < o->n_forced && o->forced[step] >= 0) top = o->forced[step];
    return top;
}

bool llm_forced_valid(const llm_decode_options *o, int n)
{
    for (int i = 0; o->forced && i < o->n_forced; i++)
        if (o->forced[i] < -1 || o->forced[i] >= n) return false;
    return true;
}
