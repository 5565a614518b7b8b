/* Unit tests for the client's decisions that need no network: option
 * parsing and its errors, the retry/backoff policy, and the mapping of gRPC
 * statuses to exit codes and messages. The client's sources are not part of
 * the shared library, so they are compiled into this test directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "client/options.c"
#include "client/outcome.c"
#include "client/retry.c"

#define ARGC(a) ((int)(sizeof(a) / sizeof(a[0])))

static options_result parse(int argc, char **argv, client_options *o, char *err)
{
    return client_options_parse(argc, argv, o, err, 256);
}

static void test_defaults(void **state)
{
    (void)state;
    char *argv[] = {"cosyvoice-client"};
    client_options o;
    char err[256];
    assert_int_equal(parse(ARGC(argv), argv, &o, err), OPTIONS_OK);
    assert_string_equal(o.host, "0.0.0.0");
    assert_int_equal(o.port, 50000);
    assert_int_equal(o.mode, TTS_MODE_SFT);
    assert_string_equal(o.spk_id, "中文女");
    assert_string_equal(o.tts_wav, "demo.wav");
    assert_true(o.timeout_s == 300);
    assert_int_equal(o.retries, 3);
    assert_false(o.no_stream);
    assert_false(o.quiet);
    assert_true(o.speed == 1.0f);
    assert_null(o.request_id);
    assert_true(strlen(client_options_tts_text(&o)) > 0);
    char target[64];
    client_options_target(&o, target, sizeof target);
    assert_string_equal(target, "127.0.0.1:50000");
}

static void test_reference_client_names(void **state)
{
    (void)state;
    char *argv[] = {"c", "--host", "tts.example", "--port", "50051", "--mode", "zero_shot",
                    "--tts_text", "Hello.", "--spk_id", "英文男", "--prompt_text", "Hi there.",
                    "--prompt_wav", "p.flac", "--instruct_text", "calm", "--tts_wav", "o.wav"};
    client_options o;
    char err[256];
    assert_int_equal(parse(ARGC(argv), argv, &o, err), OPTIONS_OK);
    assert_string_equal(o.host, "tts.example");
    assert_int_equal(o.port, 50051);
    assert_int_equal(o.mode, TTS_MODE_ZERO_SHOT);
    assert_string_equal(client_options_tts_text(&o), "Hello.");
    assert_string_equal(o.spk_id, "英文男");
    assert_string_equal(o.prompt_text, "Hi there.");
    assert_string_equal(o.prompt_wav, "p.flac");
    assert_string_equal(client_options_instruct_text(&o), "calm");
    assert_string_equal(o.tts_wav, "o.wav");
    char target[64];
    client_options_target(&o, target, sizeof target);
    assert_string_equal(target, "tts.example:50051");
}

static void test_hyphenated_and_extensions(void **state)
{
    (void)state;
    char *argv[] = {"c", "--mode=cross_lingual", "--tts-text=Bonjour.", "--prompt-wav", "a.wav",
                    "--tts-wav", "x.wav", "--timeout", "2.5", "--retries", "0", "--no-stream",
                    "--speed", "1.25", "--request-id", "abc-123", "--quiet", "--host", "::1"};
    client_options o;
    char err[256];
    assert_int_equal(parse(ARGC(argv), argv, &o, err), OPTIONS_OK);
    assert_int_equal(o.mode, TTS_MODE_CROSS_LINGUAL);
    assert_string_equal(o.tts_text, "Bonjour.");
    assert_string_equal(o.prompt_wav, "a.wav");
    assert_string_equal(o.tts_wav, "x.wav");
    assert_true(o.timeout_s == 2.5);
    assert_int_equal(o.retries, 0);
    assert_true(o.no_stream);
    assert_true(o.speed == 1.25f);
    assert_string_equal(o.request_id, "abc-123");
    assert_true(o.quiet);
    char target[64];
    client_options_target(&o, target, sizeof target);
    assert_string_equal(target, "[::1]:50000");
}

static void test_help(void **state)
{
    (void)state;
    char *argv[] = {"c", "--port", "1", "--help"};
    client_options o;
    char err[256];
    assert_int_equal(parse(ARGC(argv), argv, &o, err), OPTIONS_HELP);
    char *argv2[] = {"c", "-h"};
    assert_int_equal(parse(ARGC(argv2), argv2, &o, err), OPTIONS_HELP);
    char *argv3[] = {"c", "--version"};
    assert_int_equal(parse(ARGC(argv3), argv3, &o, err), OPTIONS_VERSION);
    char *argv4[] = {"c", "-V"};
    assert_int_equal(parse(ARGC(argv4), argv4, &o, err), OPTIONS_VERSION);
}

/* Every bad command line is refused with a message naming the problem. */
static void test_errors(void **state)
{
    (void)state;
    struct {
        char *argv[6];
        int argc;
        const char *needle;
    } cases[] = {
        {{"c", "--port", "0"}, 3, "--port"},
        {{"c", "--port", "65536"}, 3, "--port"},
        {{"c", "--port", "50k"}, 3, "--port"},
        {{"c", "--mode", "karaoke"}, 3, "--mode"},
        {{"c", "--bogus"}, 2, "--bogus"},
        {{"c", "--port"}, 2, "--port"},
        {{"c", "--mode", "zero_shot", "--prompt_text", "hi"}, 5, "--prompt_wav"},
        {{"c", "--mode", "zero_shot", "--prompt_wav", "p.wav"}, 5, "--prompt_text"},
        {{"c", "--mode", "cross_lingual"}, 3, "--prompt_wav"},
        {{"c", "--timeout", "0"}, 3, "--timeout"},
        {{"c", "--timeout", "-1"}, 3, "--timeout"},
        {{"c", "--timeout", "nan"}, 3, "--timeout"},
        {{"c", "--retries", "-1"}, 3, "--retries"},
        {{"c", "--retries", "11"}, 3, "--retries"},
        {{"c", "--speed", "0"}, 3, "--speed"},
        {{"c", "--speed", "fast"}, 3, "--speed"},
        {{"c", "--speed", "0.2"}, 3, "--speed"},
        {{"c", "--speed", "4.5"}, 3, "--speed"},
        {{"c", "--request-id", "caf\xc3\xa9"}, 3, "--request-id"},
        {{"c", "--tts_text", ""}, 3, "--tts_text"},
        {{"c", "--tts_wav", ""}, 3, "--tts_wav"},
        {{"c", "Hello"}, 2, "Hello"},
        {{"c", "--spk_id", "", "--mode", "sft"}, 5, "--spk_id"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        client_options o;
        char err[256] = "";
        options_result r = parse(cases[i].argc, cases[i].argv, &o, err);
        if (r != OPTIONS_ERROR || !strstr(err, cases[i].needle))
            fail_msg("case %zu (%s %s): result %d, message '%s'", i, cases[i].argv[1],
                     cases[i].argv[2] ? cases[i].argv[2] : "", (int)r, err);
    }
}

/* Delays stay within [ceiling/2, ceiling], grow, and never pass the cap. */
static void test_tls_and_playback_options(void **state)
{
    (void)state;
    client_options o;
    char err[256];
    char *plain[] = {"c"};
    assert_int_equal(parse(ARGC(plain), plain, &o, err), OPTIONS_OK);
    assert_false(o.tls);
    assert_false(o.play);
    assert_int_equal(o.play_buffer_ms, 200);
    /* any --tls-* file implies --tls */
    char *ca[] = {"c", "--tls-ca", "ca.pem"};
    assert_int_equal(parse(ARGC(ca), ca, &o, err), OPTIONS_OK);
    assert_true(o.tls);
    assert_string_equal(o.tls_ca, "ca.pem");
    char *mtls[] = {"c", "--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-server-name", "tts"};
    assert_int_equal(parse(ARGC(mtls), mtls, &o, err), OPTIONS_OK);
    assert_true(o.tls);
    assert_string_equal(o.tls_cert, "c.pem");
    assert_string_equal(o.tls_key, "k.pem");
    assert_string_equal(o.tls_server_name, "tts");
    char *half[] = {"c", "--tls-cert", "c.pem"};
    assert_int_equal(parse(ARGC(half), half, &o, err), OPTIONS_ERROR);
    assert_non_null(strstr(err, "--tls-key"));
    char *pl[] = {"c", "--play", "--play-buffer", "0", "--no-wav"};
    assert_int_equal(parse(ARGC(pl), pl, &o, err), OPTIONS_OK);
    assert_true(o.play && o.no_wav);
    assert_int_equal(o.play_buffer_ms, 0);
    char *bad[] = {"c", "--play", "--play-buffer", "60001"};
    assert_int_equal(parse(ARGC(bad), bad, &o, err), OPTIONS_ERROR);
    assert_non_null(strstr(err, "--play-buffer"));
    char *nowav[] = {"c", "--no-wav"};
    assert_int_equal(parse(ARGC(nowav), nowav, &o, err), OPTIONS_ERROR);
    assert_non_null(strstr(err, "--play"));
}

static void test_backoff_bounded(void **state)
{
    (void)state;
    const double us[] = {0.0, 0.25, 0.5, 0.999999, 1.0, -3.0, 7.0};
    double prev_ceiling = 0;
    for (int retry = 1; retry <= 40; retry++) {
        double ceiling = RETRY_BASE_DELAY_S * pow(2, retry - 1);
        if (ceiling > RETRY_MAX_DELAY_S)
            ceiling = RETRY_MAX_DELAY_S;
        assert_true(ceiling >= prev_ceiling);
        prev_ceiling = ceiling;
        for (size_t k = 0; k < sizeof us / sizeof us[0]; k++) {
            double d = retry_delay(retry, us[k]);
            assert_true(d > 0);
            assert_true(d >= ceiling / 2);
            assert_true(d <= ceiling);
            assert_true(d <= RETRY_MAX_DELAY_S);
        }
    }
    assert_true(retry_delay(1, 0) == RETRY_BASE_DELAY_S / 2);
    assert_true(retry_delay(3, 0) == RETRY_BASE_DELAY_S * 2);
    /* jitter actually spreads the delays */
    assert_true(retry_delay(2, 0.9) > retry_delay(2, 0.1));
    for (int i = 0; i < 1000; i++) {
        double u = retry_uniform();
        assert_true(u >= 0 && u < 1);
    }
    /* worst-case total wait of the default 3 retries stays small */
    double total = 0;
    for (int r = 1; r <= 3; r++)
        total += retry_delay(r, 1.0);
    assert_true(total <= 7 * RETRY_BASE_DELAY_S);
}

static void test_retry_policy(void **state)
{
    (void)state;
    assert_true(retry_should(GRPC_STATUS_UNAVAILABLE, 0, 0, 3));
    assert_true(retry_should(GRPC_STATUS_UNAVAILABLE, 0, 2, 3));
    assert_false(retry_should(GRPC_STATUS_UNAVAILABLE, 0, 3, 3));
    assert_false(retry_should(GRPC_STATUS_UNAVAILABLE, 0, 0, 0));
    /* never once audio has started */
    assert_false(retry_should(GRPC_STATUS_UNAVAILABLE, 1, 0, 3));
    /* only UNAVAILABLE */
    assert_false(retry_should(GRPC_STATUS_OK, 0, 0, 3));
    assert_false(retry_should(GRPC_STATUS_DEADLINE_EXCEEDED, 0, 0, 3));
    assert_false(retry_should(GRPC_STATUS_INVALID_ARGUMENT, 0, 0, 3));
    assert_false(retry_should(GRPC_STATUS_RESOURCE_EXHAUSTED, 0, 0, 3));
    assert_false(retry_should(GRPC_STATUS_INTERNAL, 0, 0, 3));
}

static void test_exit_codes(void **state)
{
    (void)state;
    assert_int_equal(outcome_exit_code(GRPC_STATUS_OK, 5), EXIT_DONE);
    assert_int_equal(outcome_exit_code(GRPC_STATUS_OK, 0), EXIT_DONE);
    const int rejections[] = {GRPC_STATUS_INVALID_ARGUMENT, GRPC_STATUS_NOT_FOUND,
                              GRPC_STATUS_RESOURCE_EXHAUSTED, GRPC_STATUS_FAILED_PRECONDITION,
                              GRPC_STATUS_UNIMPLEMENTED, GRPC_STATUS_PERMISSION_DENIED,
                              GRPC_STATUS_OUT_OF_RANGE};
    for (size_t i = 0; i < sizeof rejections / sizeof rejections[0]; i++) {
        assert_int_equal(outcome_exit_code(rejections[i], 0), EXIT_REJECTED);
        assert_int_equal(outcome_exit_code(rejections[i], 2), EXIT_PARTIAL);
    }
    assert_int_equal(outcome_exit_code(GRPC_STATUS_UNAVAILABLE, 0), EXIT_TRANSPORT);
    assert_int_equal(outcome_exit_code(GRPC_STATUS_DEADLINE_EXCEEDED, 0), EXIT_TRANSPORT);
    assert_int_equal(outcome_exit_code(GRPC_STATUS_UNAVAILABLE, 1), EXIT_PARTIAL);
    assert_int_equal(outcome_exit_code(GRPC_STATUS_DEADLINE_EXCEEDED, 3), EXIT_PARTIAL);
    assert_int_equal(outcome_exit_code(GRPC_STATUS_INTERNAL, 0), EXIT_INTERNAL);
    assert_int_equal(outcome_exit_code(GRPC_STATUS_UNKNOWN, 0), EXIT_INTERNAL);
    assert_int_equal(outcome_exit_code(GRPC_STATUS_CANCELLED, 0), EXIT_INTERNAL);
    assert_int_equal(outcome_exit_code(GRPC_STATUS_INTERNAL, 4), EXIT_PARTIAL);
}

static void test_messages(void **state)
{
    (void)state;
    char buf[512];
    for (int code = 1; code <= 16; code++) {
        outcome_describe(code, "the details", "h:1", 300, buf, sizeof buf);
        assert_non_null(strstr(buf, outcome_code_name(code)));
        assert_null(strchr(buf, '\n'));
        if (code != GRPC_STATUS_DEADLINE_EXCEEDED)
            assert_non_null(strstr(buf, "the details"));
    }
    outcome_describe(GRPC_STATUS_INVALID_ARGUMENT, "unknown speaker", "h:1", 300, buf,
                     sizeof buf);
    assert_string_equal(buf, "server rejected the request (INVALID_ARGUMENT): unknown speaker");
    outcome_describe(GRPC_STATUS_UNAVAILABLE, "", "h:1", 300, buf, sizeof buf);
    assert_non_null(strstr(buf, "h:1"));
    outcome_describe(GRPC_STATUS_DEADLINE_EXCEEDED, "", "h:1", 12.5, buf, sizeof buf);
    assert_non_null(strstr(buf, "12.5"));
    assert_string_equal(outcome_code_name(99), "UNKNOWN_CODE");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_reference_client_names),
        cmocka_unit_test(test_hyphenated_and_extensions),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_tls_and_playback_options),
        cmocka_unit_test(test_backoff_bounded),
        cmocka_unit_test(test_retry_policy),
        cmocka_unit_test(test_exit_codes),
        cmocka_unit_test(test_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
