/*
 * curl_client.c: the same TOKENIZE POST written by hand with libcurl, as a
 * POS programmer would: one easy handle reused for every call (so one
 * keep-alive connection and libcurl's TLS session cache), each value escaped
 * with curl_easy_escape on every call, the answer collected by a write
 * callback and its `result` and `token` read and unescaped.
 */
#include <curl/curl.h>

#include "bench.h"

#define P2PE "sourceOfFunds.provided.card.p2pe."

typedef struct {
    const bench_args *args;
    CURL *easy;
    char url[512];
    char answer[16384];
    size_t answer_len;
    struct curl_slist *headers;
} curl_state;

static int client_open(const bench_args *args) {
    (void)args;
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : 1;
}

static size_t collect(char *data, size_t size, size_t count, void *userdata) {
    curl_state *s = userdata;
    size_t n = size * count;
    if (s->answer_len + n >= sizeof s->answer) return 0; /* too large: fail the transfer */
    memcpy(s->answer + s->answer_len, data, n);
    s->answer_len += n;
    s->answer[s->answer_len] = '\0';
    return n;
}

static void *client_thread_open(const bench_args *args) {
    curl_state *s = calloc(1, sizeof *s);
    if (s == NULL || (s->easy = curl_easy_init()) == NULL) return NULL;
    s->args = args;
    snprintf(s->url, sizeof s->url, "%s%s", args->url, args->path);
    /* No "Expect: 100-continue" round trip for the larger payloads. */
    s->headers = curl_slist_append(NULL, "Expect:");
    curl_easy_setopt(s->easy, CURLOPT_URL, s->url);
    curl_easy_setopt(s->easy, CURLOPT_HTTPHEADER, s->headers);
    curl_easy_setopt(s->easy, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(s->easy, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(s->easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(s->easy, CURLOPT_CONNECTTIMEOUT_MS, 15000L);
    curl_easy_setopt(s->easy, CURLOPT_TIMEOUT_MS, 60000L);
    curl_easy_setopt(s->easy, CURLOPT_USERAGENT, "pos/1.0");
    if (args->ca != NULL) curl_easy_setopt(s->easy, CURLOPT_CAINFO, args->ca);
    return s;
}

/* Appends "&name=escaped(value)" (no '&' before the first pair). */
static int add(CURL *easy, char *body, size_t cap, const char *name, const char *value) {
    char *escaped = curl_easy_escape(easy, value, 0);
    size_t used = strlen(body);
    int n;
    if (escaped == NULL) return 1;
    n = snprintf(body + used, cap - used, "%s%s=%s", used ? "&" : "", name, escaped);
    curl_free(escaped);
    return n < 0 || (size_t)n >= cap - used;
}

/* The unescaped value of `name` in the answer, into out; 0 when found. */
static int answer_field(CURL *easy, const char *answer, const char *name, char *out, size_t cap) {
    size_t len = strlen(name);
    for (const char *p = answer; p != NULL && *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : NULL) {
        if (strncmp(p, name, len) == 0 && p[len] == '=') {
            const char *value = p + len + 1;
            const char *end = strchr(value, '&');
            int outlen = 0;
            char *plain = curl_easy_unescape(easy, value, end ? (int)(end - value) : 0, &outlen);
            if (plain == NULL) return 1;
            snprintf(out, cap, "%s", plain);
            curl_free(plain);
            return 0;
        }
    }
    return 1;
}

static int client_call(void *state) {
    curl_state *s = state;
    const bench_args *a = s->args;
    char body[4096] = "";
    char username[128], result[32], token[64];
    long http = 0;
    snprintf(username, sizeof username, "merchant.%s", a->merchant);
    if (add(s->easy, body, sizeof body, "apiOperation", "TOKENIZE") ||
        add(s->easy, body, sizeof body, "merchant", a->merchant) ||
        add(s->easy, body, sizeof body, "apiUsername", username) ||
        add(s->easy, body, sizeof body, "apiPassword", a->password) ||
        add(s->easy, body, sizeof body, "sourceOfFunds.type", "CARD") ||
        add(s->easy, body, sizeof body, P2PE "keySerialNumber", a->ksn) ||
        add(s->easy, body, sizeof body, P2PE "payload", a->payload) ||
        add(s->easy, body, sizeof body, P2PE "cardBin", a->card_bin)) {
        return 1;
    }
    s->answer_len = 0;
    s->answer[0] = '\0';
    curl_easy_setopt(s->easy, CURLOPT_POSTFIELDS, body);
    CURLcode rc = curl_easy_perform(s->easy);
    curl_easy_getinfo(s->easy, CURLINFO_RESPONSE_CODE, &http);
    if (rc != CURLE_OK) {
        fprintf(stderr, "curl_client: %s\n", curl_easy_strerror(rc));
        return 1;
    }
    if (answer_field(s->easy, s->answer, "result", result, sizeof result) || strcmp(result, "SUCCESS") != 0 ||
        answer_field(s->easy, s->answer, "token", token, sizeof token) || http != 200) {
        fprintf(stderr, "curl_client: HTTP %ld, unexpected answer\n", http);
        return 1;
    }
    return 0;
}

static void client_thread_close(void *state) {
    curl_state *s = state;
    curl_easy_cleanup(s->easy);
    curl_slist_free_all(s->headers);
    free(s);
}

static void client_close(void) {
    curl_global_cleanup();
}

int main(int argc, char **argv) {
    return bench_main(argc, argv);
}
