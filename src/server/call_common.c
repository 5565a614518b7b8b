#include "server/call_common.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "common/utf8.h"
#include "server/metrics.h"

void call_begin(server_ctx *s, call_stats *st)
{
    st->t_start = cv_now();
    atomic_fetch_add(&s->live_calls, 1);
}

void call_end(server_ctx *s, const call_stats *st)
{
    if (st->t_start > 0)
        atomic_fetch_sub(&s->live_calls, 1);
}

void call_request_id(server_ctx *s, const char *given, size_t n, char out[CALL_ID_MAX])
{
    bool ok = given && n > 0 && n <= 64;
    for (size_t k = 0; ok && k < n; k++)
        ok = given[k] > 0x20 && given[k] < 0x7f;
    if (ok) {
        memcpy(out, given, n);
        out[n] = '\0';
        return;
    }
    snprintf(out, CALL_ID_MAX, "req-%ld-%ld", (long)getpid(),
             atomic_fetch_add(&s->call_seq, 1) + 1);
}

cv_status call_accept(server_ctx *s, const tts_request *req)
{
    cv_status st = tts_request_validate(req, &s->limits);
    if (st.code == CV_OK)
        st = s->eng->ops->check(s->eng, req);
    if (st.code == CV_OK && atomic_load(&s->shutting_down))
        st = cv_error(CV_UNAVAILABLE, "server is shutting down; retry on another replica");
    return st;
}

cv_status call_admit(server_ctx *s, admission_item *it)
{
    if (admission_submit(&s->adm, it))
        return cv_ok();
    if (atomic_load(&s->shutting_down))
        return cv_error(CV_UNAVAILABLE, "server is shutting down");
    /* A refusal means every place is taken. The two counts are not reported
     * apart: read a moment later, with a worker between two calls, they
     * could show more waiting than --max-queue. */
    return cv_error(CV_RESOURCE_EXHAUSTED,
                    "server busy: %d calls are synthesizing or waiting for a slot, the most it "
                    "takes (--max-conc %d + --max-queue %d); retry later",
                    s->opt.max_conc + s->opt.max_queue, s->opt.max_conc, s->opt.max_queue);
}

cv_status call_synthesize(server_ctx *s, const tts_request *req, tts_sink *sink,
                          const char *request_id)
{
    cv_status st;
    if (sink->cancelled(sink))
        st = cv_error(CV_CANCELLED, "cancelled before synthesis started");
    else
        st = engine_synthesize(s->eng, req, sink);
    if (st.code == CV_OK && sink->cancelled(sink))
        st = cv_error(CV_CANCELLED, "call cancelled");
    if (st.code == CV_INTERNAL)
        LOG_ERROR("[%s] engine failure: %s", request_id, st.message);
    return st;
}

void call_stats_chunk(call_stats *st, size_t n)
{
    if (st->chunks == 0)
        st->t_first = cv_now();
    st->chunks++;
    st->samples += n;
}

void call_log(server_ctx *s, const char *request_id, const tts_request *r,
              const call_stats *c, const cv_status *final)
{
    const char *mode = tts_mode_name(r->mode);
    size_t chars = r->source      ? c->text_chars
                   : r->tts_text ? utf8_length(r->tts_text, strlen(r->tts_text))
                                 : 0;
    double now = cv_now(), audio = (double)c->samples / s->sample_rate;
    double total = now - c->t_start;
    char ttfc[32] = "-", rtf[32] = "-";
    if (c->chunks)
        snprintf(ttfc, sizeof ttfc, "%.3fs", c->t_first - c->t_start);
    if (audio > 0)
        snprintf(rtf, sizeof rtf, "%.3f", total / audio);
    cv_log(final->code == CV_OK ? CV_LOG_INFO : CV_LOG_WARN,
           "[%s] call mode=%s text_chars=%zu ttfc=%s chunks=%u audio=%.2fs time=%.3fs rtf=%s "
           "outcome=%s%s%s",
           request_id, mode ? mode : "-", chars, ttfc, c->chunks, audio, total, rtf,
           cv_code_name(final->code), final->code == CV_OK ? "" : ": ", final->message);
    metrics_observe_call(mode, final->code, c->chunks ? c->t_first - c->t_start : -1.0, audio,
                         total);
}
