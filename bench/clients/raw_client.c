/*
 * raw_client.c: the floor. The same TOKENIZE request, its bytes built once
 * before the timed calls, written on one keep-alive TCP connection (plain
 * HTTP only) with one send per call, the answer read until Content-Length
 * is complete. No encoding, no escaping, no parsing beyond the framing: what
 * any HTTP client must at least spend in the kernel and on the wire.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "bench.h"

typedef struct {
    int fd;
    char request[4096];
    size_t request_len;
    char answer[16384];
} raw_state;

static int client_open(const bench_args *args) {
    if (strncmp(args->url, "http://", 7) != 0) {
        fprintf(stderr, "raw_client: plain http:// only\n");
        return 1;
    }
    return 0;
}

static void *client_thread_open(const bench_args *args) {
    raw_state *s = calloc(1, sizeof *s);
    char host[256], port[16] = "80";
    const char *authority = args->url + 7;
    const char *colon = strchr(authority, ':');
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
    int one = 1;
    if (s == NULL) return NULL;
    snprintf(host, sizeof host, "%.*s", colon ? (int)(colon - authority) : (int)strcspn(authority, "/"), authority);
    if (colon) snprintf(port, sizeof port, "%.*s", (int)strcspn(colon + 1, "/"), colon + 1);
    if (getaddrinfo(host, port, &hints, &ai) != 0) return NULL;
    s->fd = socket(ai->ai_family, SOCK_STREAM, 0);
    if (s->fd < 0 || connect(s->fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        perror("raw_client: connect");
        return NULL;
    }
    freeaddrinfo(ai);
    setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    char body[4096];
    int body_len = snprintf(body, sizeof body,
                            "apiOperation=TOKENIZE&merchant=%s&apiUsername=merchant.%s&apiPassword=%s"
                            "&sourceOfFunds.type=CARD&sourceOfFunds.provided.card.p2pe.keySerialNumber=%s"
                            "&sourceOfFunds.provided.card.p2pe.payload=%s&sourceOfFunds.provided.card.p2pe.cardBin=%s",
                            args->merchant, args->merchant, args->password, args->ksn, args->payload, args->card_bin);
    s->request_len = (size_t)snprintf(s->request, sizeof s->request,
                                      "POST %s HTTP/1.1\r\nHost: %s:%s\r\nUser-Agent: raw/1.0\r\nAccept: */*\r\n"
                                      "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\n\r\n%s",
                                      args->path, host, port, body_len, body);
    return s;
}

static int client_call(void *state) {
    raw_state *s = state;
    size_t got = 0, need = 0;
    if (send(s->fd, s->request, s->request_len, 0) != (ssize_t)s->request_len) return 1;
    for (;;) {
        ssize_t n = recv(s->fd, s->answer + got, sizeof s->answer - 1 - got, 0);
        if (n <= 0) return 1;
        got += (size_t)n;
        s->answer[got] = '\0';
        if (need == 0) {
            char *end = strstr(s->answer, "\r\n\r\n");
            char *length = strstr(s->answer, "Content-Length: ");
            if (end == NULL || length == NULL) continue;
            need = (size_t)(end + 4 - s->answer) + (size_t)atol(length + 16);
        }
        if (got >= need) break;
    }
    return strncmp(s->answer, "HTTP/1.1 200", 12) == 0 ? 0 : 1;
}

static void client_thread_close(void *state) {
    raw_state *s = state;
    close(s->fd);
    free(s);
}

static void client_close(void) {}

int main(int argc, char **argv) {
    return bench_main(argc, argv);
}
