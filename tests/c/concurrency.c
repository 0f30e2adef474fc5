/*
 * The concurrency matrix (issue 13): THREADS threads share one gw_client and
 * make CALLS mixed calls each against gw-sim:
 *   0. CREATE_SESSION through gw_execute with a correlationId of its own;
 *   1. TOKENIZE through gw_execute (P2PE card) with a correlationId and a
 *      merchant-supplied token of its own;
 *   2. gw_tokenize_p2pe (a merchant-supplied token of its own);
 *   3. a local validation failure (nothing sent): the thread's last error must
 *      name the field this thread got wrong, not another thread's.
 * gw-sim must use the Merchant-Supplied token strategy (--token-strategy merchant).
 * Every answer must succeed and echo this call's own correlationId / token
 * (no cross-talk). Resident memory is read after a warm-up round and after
 * the run; the growth must stay within RSS_BOUND_KB.
 *
 * Usage: concurrency THREADS CALLS [RSS_BOUND_KB]
 * Environment: GW_BASE_URL, GW_MERCHANT, GW_API_PASSWORD, GW_P2PE_KSN,
 * GW_P2PE_PAYLOAD, GW_P2PE_CARD_BIN, GW_P2PE_IV (optional).
 * Prints "THREADS threads x CALLS calls: F failed, X cross-talk" and the
 * memory figures; exits 0 only with no failure, no cross-talk and the bound kept.
 */
#define _POSIX_C_SOURCE 200809L
#include <gw.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define P2PE "sourceOfFunds.provided.card.p2pe."
#define MAX_THREADS 256

static gw_client *client;
static const char *ksn, *payload, *card_bin, *iv;

struct worker {
    int id;
    long calls;
    long failed;
    long crosstalk;
    char first_problem[256];
};

static void problem(struct worker *w, long *counter, const char *what, gw_status status) {
    (*counter)++;
    if (w->first_problem[0] == '\0') {
        snprintf(w->first_problem, sizeof w->first_problem, "thread %d: %s: %s (%u): %s", w->id, what,
                 gw_status_name(status) ? gw_status_name(status) : "?", status, gw_last_error());
    }
}

static int set_card(gw_request *request) {
    return gw_request_set(request, "sourceOfFunds.type", "CARD") == GW_OK &&
           gw_request_set(request, P2PE "keySerialNumber", ksn) == GW_OK &&
           gw_request_set(request, P2PE "payload", payload) == GW_OK &&
           gw_request_set(request, P2PE "cardBin", card_bin) == GW_OK &&
           (iv == NULL || gw_request_set(request, P2PE "initializationVector", iv) == GW_OK);
}

/* One call of kind `call % 4`; counts failures and cross-talk in `w`. */
static void one_call(struct worker *w, long call) {
    char mine[64], token[64];
    gw_request *request = NULL;
    gw_response *response = NULL;
    gw_status status;
    const char *echoed;

    switch (call % 4) {
    case 0:
    case 1:
        snprintf(mine, sizeof mine, "conc-t%d-c%ld", w->id, call);
        snprintf(token, sizeof token, "CONCT%dT%ld", w->id, call);
        /* TOKENIZE names its token too (gw-sim for this run is Merchant-Supplied:
         * only such a repository creates the token a request names). */
        if (gw_request_new(call % 4 == 0 ? "CREATE_SESSION" : "TOKENIZE", &request) != GW_OK ||
            gw_request_set(request, "correlationId", mine) != GW_OK ||
            (call % 4 == 1 && (!set_card(request) || gw_request_set(request, "token", token) != GW_OK))) {
            problem(w, &w->failed, "building the request", 0);
            break;
        }
        status = gw_execute(client, request, &response);
        if (status != GW_OK) {
            problem(w, &w->failed, call % 4 == 0 ? "CREATE_SESSION" : "TOKENIZE", status);
            break;
        }
        echoed = gw_response_get(response, "correlationId");
        if (echoed == NULL || strcmp(echoed, mine) != 0) problem(w, &w->crosstalk, "correlationId not its own", status);
        if (gw_response_get(response, call % 4 == 0 ? "session.id" : "token") == NULL)
            problem(w, &w->failed, "answer without session.id/token", status);
        else if (call % 4 == 1 && strcmp(gw_response_get(response, "token"), token) != 0)
            problem(w, &w->crosstalk, "token not its own", status);
        break;
    case 2:
        snprintf(mine, sizeof mine, "CONCT%dC%ld", w->id, call);
        status = gw_tokenize_p2pe(client, mine, ksn, payload, iv, card_bin, &response);
        if (status != GW_OK) {
            problem(w, &w->failed, "gw_tokenize_p2pe", status);
            break;
        }
        echoed = gw_response_get(response, "token");
        if (echoed == NULL || strcmp(echoed, mine) != 0) problem(w, &w->crosstalk, "token not its own", status);
        break;
    default: {
        /* Each thread gets a different field wrong; its last error must name it. */
        const char *field = w->id % 2 ? "correlationId" : "session.id";
        status = gw_request_new("CREATE_SESSION", &request);
        if (status == GW_OK) status = gw_request_set(request, field, "");
        if (status != GW_ERR_INVALID_FIELD) {
            problem(w, &w->failed, "an empty field was accepted", status);
            break;
        }
        echoed = gw_last_error_field();
        if (echoed == NULL || strcmp(echoed, field) != 0) problem(w, &w->crosstalk, "last error field not its own", status);
        break;
    }
    }
    gw_response_free(response);
    gw_request_free(request);
}

static void *run(void *arg) {
    struct worker *w = arg;
    for (long call = 0; call < w->calls; call++) one_call(w, call);
    return NULL;
}

/* Runs `threads` workers of `calls` calls each; returns failures + cross-talk. */
static long round_of(struct worker *workers, int threads, long calls, long *crosstalk) {
    pthread_t ids[MAX_THREADS];
    long failed = 0;
    for (int t = 0; t < threads; t++) {
        workers[t].id = t;
        workers[t].calls = calls;
        if (pthread_create(&ids[t], NULL, run, &workers[t]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            exit(2);
        }
    }
    for (int t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        failed += workers[t].failed;
        *crosstalk += workers[t].crosstalk;
        if (workers[t].first_problem[0]) fprintf(stderr, "%s\n", workers[t].first_problem);
    }
    return failed;
}

/* Resident set size in KiB, from /proc/self/statm. */
static long rss_kb(void) {
    long pages = 0, resident = 0;
    FILE *statm = fopen("/proc/self/statm", "r");
    if (statm == NULL) return -1;
    if (fscanf(statm, "%ld %ld", &pages, &resident) != 2) resident = -1;
    fclose(statm);
    return resident * 4;
}

static const char *env(const char *name, int required) {
    const char *value = getenv(name);
    if (required && (value == NULL || *value == '\0')) {
        fprintf(stderr, "concurrency: %s is not set\n", name);
        exit(2);
    }
    return value;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: concurrency THREADS CALLS [RSS_BOUND_KB]\n");
        return 2;
    }
    int threads = atoi(argv[1]);
    long calls = atol(argv[2]);
    long bound_kb = argc > 3 ? atol(argv[3]) : 8192;
    if (threads < 1 || threads > MAX_THREADS || calls < 4) {
        fprintf(stderr, "concurrency: 1..%d threads, at least 4 calls\n", MAX_THREADS);
        return 2;
    }
    ksn = env("GW_P2PE_KSN", 1);
    payload = env("GW_P2PE_PAYLOAD", 1);
    card_bin = env("GW_P2PE_CARD_BIN", 1);
    iv = env("GW_P2PE_IV", 0);
    if (iv != NULL && *iv == '\0') iv = NULL;

    gw_config *config = gw_config_new();
    if (config == NULL || gw_config_set_base_url(config, env("GW_BASE_URL", 1)) != GW_OK ||
        gw_config_set_merchant(config, env("GW_MERCHANT", 1)) != GW_OK ||
        gw_config_set_api_password(config, env("GW_API_PASSWORD", 1)) != GW_OK ||
        gw_client_new(config, &client) != GW_OK) {
        fprintf(stderr, "concurrency: client: %s\n", gw_last_error());
        return 2;
    }
    gw_config_free(config);

    static struct worker workers[MAX_THREADS];
    long crosstalk = 0;
    /* Warm-up: every thread, every kind of call, so the pool, the allocator's
       arenas and the thread-locals exist before memory is measured. */
    long failed = round_of(workers, threads, 8, &crosstalk);
    long warm_kb = rss_kb();
    memset(workers, 0, sizeof workers);
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    failed += round_of(workers, threads, calls, &crosstalk);
    clock_gettime(CLOCK_MONOTONIC, &end);
    long end_kb = rss_kb();
    double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    gw_client_free(client);

    long total = (long)threads * calls;
    printf("%d threads x %ld calls: %ld failed, %ld cross-talk\n", threads, calls, failed, crosstalk);
    printf("%ld calls in %.2f s (%.0f calls/s)\n", total, seconds, seconds > 0 ? (double)total / seconds : 0.0);
    printf("rss after warm-up %ld KiB, after the run %ld KiB, growth %ld KiB (bound %ld KiB)\n", warm_kb, end_kb,
           end_kb - warm_kb, bound_kb);
    if (end_kb - warm_kb > bound_kb) {
        printf("FAIL: resident memory grew past the bound\n");
        return 1;
    }
    return failed == 0 && crosstalk == 0 ? 0 : 1;
}
