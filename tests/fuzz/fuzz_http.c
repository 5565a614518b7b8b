/* Fuzz target: the HTTP door's request parsing, as the server runs it. The
 * door runs in this process on a loopback port with the tone engine and
 * real admission; each input is sent as one request and the answer read
 * back. The first byte picks the request: the OpenAI JSON body, a multipart
 * form to one of the reference routes, an urlencoded form in a GET, or (5)
 * raw bytes that are the whole request, headers included. Checked: every
 * request gets an HTTP answer, and every error answer is an OpenAI-style
 * JSON error with a message. */
#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/log.h"
#include "http/http_door.h"
#include "server/call_common.h"

static server_ctx g_srv;
static int g_port;

static void unused_run(admission_item *it, void *ctx) { (void)it, (void)ctx; }

static void setup(void)
{
    char *argv[] = {"fuzz_http", "--engine", "tone", "--host", "127.0.0.1", "--max-conc", "2",
                    "--max-queue", "8", "--max-request-bytes", "65536", NULL};
    if (server_options_parse(11, argv, &g_srv.opt) != 0)
        abort();
    /* Short texts: the tone engine makes 10 ms of audio per byte. */
    g_srv.limits = (tts_limits){200, 10.0};
    engine_options eo = {0};
    if (engine_open("tone", &eo, &g_srv.eng).code != CV_OK)
        abort();
    g_srv.sample_rate = g_srv.eng->ops->sample_rate(g_srv.eng);
    if (admission_init(&g_srv.adm, 2, 8, unused_run, &g_srv) != 0)
        abort();
    atomic_store(&g_srv.serving, 1);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(fd, (struct sockaddr *)&a, sizeof a) || getsockname(fd, (struct sockaddr *)&a, &len))
        abort();
    g_port = ntohs(a.sin_port);
    close(fd);
    g_srv.opt.http_port = g_port;
    if (http_door_start(&g_srv) != 0)
        abort();
}

/* wait_ms bounds each read: a framed request (Connection: close) is always
 * answered and closed, so there a long wait is a hang (libFuzzer's -timeout
 * reports it); raw bytes may leave a kept-alive connection open. */
static int connect_door(int wait_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)g_port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    struct timeval tv = {wait_ms / 1000, (wait_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0)
        abort();
    return fd;
}

static void send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* the server may close early (413, broken body) */
        c += w;
        n -= (size_t)w;
    }
}

static char *read_all(int fd, size_t *n)
{
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (len == cap)
            buf = realloc(buf, (cap *= 2) + 1);
        ssize_t r = recv(fd, buf + len, cap - len, 0);
        if (r < 0 && errno == EINTR) /* libFuzzer's timer signal */
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    buf[len] = '\0';
    *n = len;
    return buf;
}

/* Shows what was wrong, then stops the run (libFuzzer keeps the input). */
static void finding(const char *what, const char *resp, size_t n)
{
    fprintf(stderr, "fuzz_http: %s; the answer (%zu bytes) begins: %.300s\n", what, n, resp);
    __builtin_trap();
}

static void check_answer(const char *resp, size_t n)
{
    if (n < 12 || memcmp(resp, "HTTP/1.1 ", 9) != 0)
        finding("a framed request got no HTTP answer", resp, n);
    int status = atoi(resp + 9);
    if (status < 400)
        return;
    const char *body = strstr(resp, "\r\n\r\n");
    if (!body)
        finding("an error answer without a body", resp, n);
    body += 4;
    json_error_t err;
    json_t *doc = json_loads(body, 0, &err);
    json_t *msg = json_object_get(json_object_get(doc, "error"), "message");
    if (!json_is_string(msg) || !json_string_value(msg)[0])
        finding("an error answer that is not an OpenAI-style JSON error", resp, n);
    json_decref(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        cv_log_set_level(CV_LOG_ERROR); /* a summary line per input is noise here */
        setup();
        ready = 1;
    }
    if (size < 1 || memmem(data, size, "delay", 5))
        return 0; /* the tone engine's sleep instruction: slow, not a finding */
    static const char *const paths[] = {"/v1/audio/speech", "/inference_sft",
                                        "/inference_zero_shot", "/inference_cross_lingual",
                                        "/inference_instruct"};
    unsigned kind = data[0] % 6;
    const uint8_t *body = data + 1;
    size_t blen = size - 1;
    int fd = connect_door(kind == 5 ? 50 : 60000);
    if (kind == 5) {
        /* The whole request is fuzzed; the end of input is the end of it. */
        send_all(fd, body, blen);
        shutdown(fd, SHUT_WR);
        size_t n;
        free(read_all(fd, &n));
        close(fd);
        return 0;
    }
    char head[512];
    const char *ctype = kind == 0 ? "application/json"
                        : kind == 4 ? "application/x-www-form-urlencoded"
                                    : "multipart/form-data; boundary=XyZ";
    int h = snprintf(head, sizeof head,
                     "%s %s HTTP/1.1\r\nHost: fuzz\r\nConnection: close\r\n"
                     "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                     kind == 4 ? "GET" : "POST", paths[kind], ctype, blen);
    send_all(fd, head, (size_t)h);
    send_all(fd, body, blen);
    size_t n;
    char *resp = read_all(fd, &n);
    close(fd);
    check_answer(resp, n);
    free(resp);
    return 0;
}
