/* cosyvoice-server: entry point. Parses options, loads the engine, serves. */
#include <grpc/grpc.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/timeutil.h"
#include "server/fd_budget.h"
#include "server/metrics.h"
#include "server/server.h"
#include "server/tls.h"

void server_install_signals(void);

int main(int argc, char **argv)
{
    static server_ctx s;
    int r = server_options_parse(argc, argv, &s.opt);
    if (r != 0)
        return r > 0 ? 0 : 2;
    if (s.opt.verbose)
        cv_log_set_level(CV_LOG_DEBUG);
    if (!s.opt.list_speakers)
        fd_limit_raise();
    s.limits = (tts_limits){s.opt.max_text, s.opt.max_prompt_seconds};
    if (server_tls_load(&s.opt) != 0) /* before the (slow) engine load */
        return 1;

    engine_options eo = {.model_dir = s.opt.model_dir, .speakers_file = s.opt.speakers_file,
                         .n_threads = s.opt.threads,
                         .params = s.opt.engine_params,
                         .n_params = (size_t)s.opt.n_engine_params};
    double t0 = cv_now();
    cv_status st = engine_open(s.opt.engine, &eo, &s.eng);
    if (st.code != CV_OK) {
        fprintf(stderr, "cosyvoice-server: cannot load engine '%s': %s\n", s.opt.engine,
                st.message);
        server_tls_free();
        return 1;
    }
    s.sample_rate = s.eng->ops->sample_rate(s.eng);
    if (s.opt.list_speakers) {
        size_t n = s.eng->ops->speaker_count(s.eng);
        for (size_t i = 0; i < n; i++)
            printf("%s\n", s.eng->ops->speaker_name(s.eng, i));
        engine_close(s.eng);
        server_tls_free();
        return 0;
    }
    double load_s = cv_now() - t0;
    LOG_INFO("engine %s loaded in %.2fs", s.opt.engine, load_s);
    metrics_set_engine(s.opt.engine, s.sample_rate, load_s);
    if (s.opt.metrics_port &&
        metrics_start(s.opt.host, s.opt.metrics_port, s.opt.header_timeout) != 0) {
        engine_close(s.eng);
        server_tls_free();
        return 1;
    }

    server_install_signals();
    grpc_init();
    int code = server_run(&s);
    metrics_stop();
    grpc_shutdown();
    engine_close(s.eng);
    server_tls_free();
    return code;
}
