/*
 * bench.h: the measuring loop shared by the C benchmark clients (gw, libcurl,
 * raw socket), so that every client is timed, counted and reported the same
 * way. A client defines the four hooks below and includes this file once.
 *
 * Each run: parse the options, open the client, WARMUP untimed calls per
 * thread, then CALLS timed calls split over THREADS threads. Printed on
 * stdout, one JSON object: calls/s, median and p99 latency (each call timed
 * with CLOCK_MONOTONIC), client CPU per call ((user+sys)/N from getrusage
 * around the timed calls only), peak RSS, and the RSS after the warm-up,
 * a tenth of the way through the first thread's calls and at the end (to see whether
 * memory grows with the number of calls).
 */
#ifndef GW_BENCH_H
#define GW_BENCH_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* What every client is given: where to send, what to send. */
typedef struct {
    const char *url;      /* base URL, e.g. http://127.0.0.1:18080 */
    const char *path;     /* /api/nvp/version/50 */
    const char *ca;       /* CA bundle for https, or NULL */
    const char *merchant; /* merchant ID */
    const char *password; /* API password */
    const char *ksn;      /* DUKPT KSN, 20 hex digits */
    const char *payload;  /* encrypted card, hex */
    const char *card_bin; /* 1-6 digits */
    const char *op;       /* tokenize (every client), or pay (gw_client: a P2PE PAY, API version 100) */
    long calls;           /* timed calls, over all threads */
    long warmup;          /* untimed calls per thread before */
    int threads;
} bench_args;

/* Hooks a client defines. open/close run once per process, thread_open once
 * per thread; call returns 0 when the answer was result=SUCCESS with a token. */
static int client_open(const bench_args *args);
static void *client_thread_open(const bench_args *args);
/* Not inlined: callgrind collects inside it (--toggle-collect=client_call). */
static int client_call(void *thread_state) __attribute__((noinline));
static void client_thread_close(void *thread_state);
static void client_close(void);

static double now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static long rss_kb(void) {
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL) return -1;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = -1;
    fclose(f);
    return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

static double cpu_s(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
           ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

typedef struct {
    const bench_args *args;
    long calls;
    double *latency_ns;
    long failures;
    pthread_barrier_t *ready; /* warm-up done */
    pthread_barrier_t *go;    /* the main thread has read the clocks */
    long rss_tenth;            /* RSS a tenth of the way (thread 0 only) */
} bench_worker;

static void *bench_worker_run(void *arg) {
    bench_worker *w = arg;
    void *state = client_thread_open(w->args);
    if (state == NULL) {
        w->failures = -1;
    }
    for (long i = 0; state != NULL && i < w->args->warmup; i++) {
        if (client_call(state) != 0) w->failures++;
    }
    pthread_barrier_wait(w->ready);
    pthread_barrier_wait(w->go);
    for (long i = 0; state != NULL && i < w->calls; i++) {
        double t0 = now_ns();
        if (client_call(state) != 0) w->failures++;
        w->latency_ns[i] = now_ns() - t0;
        if (i == w->calls / 10 && w->rss_tenth == 0) w->rss_tenth = rss_kb();
    }
    if (state != NULL) client_thread_close(state);
    return NULL;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static const char *opt(int argc, char **argv, const char *name, const char *fallback) {
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], name) == 0) return argv[i + 1];
    }
    return fallback;
}

static int bench_main(int argc, char **argv) {
    bench_args args = {
        .url = opt(argc, argv, "--url", NULL),
        .path = opt(argc, argv, "--path", "/api/nvp/version/50"),
        .ca = opt(argc, argv, "--ca", NULL),
        .merchant = opt(argc, argv, "--merchant", "BENCH01"),
        .password = opt(argc, argv, "--password", "bench-password"),
        .ksn = opt(argc, argv, "--ksn", "FFFF9876543210E00001"),
        .payload = opt(argc, argv, "--payload", "2DA68FDCFD61C04C57CFB20318DCDBB1"),
        .card_bin = opt(argc, argv, "--bin", "476173"),
        .op = opt(argc, argv, "--op", "tokenize"),
        .calls = atol(opt(argc, argv, "--calls", "1000")),
        .warmup = atol(opt(argc, argv, "--warmup", "50")),
        .threads = atoi(opt(argc, argv, "--threads", "1")),
    };
    if (args.url == NULL || args.calls < 1 || args.threads < 1 || args.warmup < 0) {
        fprintf(stderr, "usage: %s --url URL [--ca FILE] [--calls N] [--warmup N] [--threads N]\n"
                        "          [--payload HEX] [--ksn HEX] [--bin DIGITS] [--merchant ID] [--password PW] [--op tokenize|pay]\n",
                argv[0]);
        return 2;
    }
    if (client_open(&args) != 0) return 1;

    int n = args.threads;
    bench_worker *workers = calloc((size_t)n, sizeof *workers);
    pthread_t *tids = calloc((size_t)n, sizeof *tids);
    double *latency = calloc((size_t)args.calls, sizeof *latency);
    pthread_barrier_t ready, go;
    if (workers == NULL || tids == NULL || latency == NULL) return 1;
    /* Touch every page now, so that the RSS figures measure the client, not
     * this array being faulted in call by call (8 bytes a call). */
    for (long i = 0; i < args.calls; i++) latency[i] = -1.0;
    pthread_barrier_init(&ready, NULL, (unsigned)n + 1);
    pthread_barrier_init(&go, NULL, (unsigned)n + 1);
    long given = 0;
    for (int t = 0; t < n; t++) {
        long share = args.calls / n + (t < args.calls % n ? 1 : 0);
        /* rss_tenth = -1: only thread 0 samples it */
        workers[t] = (bench_worker){&args, share, latency + given, 0, &ready, &go, t == 0 ? 0 : -1};
        given += share;
        pthread_create(&tids[t], NULL, bench_worker_run, &workers[t]);
    }
    pthread_barrier_wait(&ready);
    long rss_warm = rss_kb();
    double cpu0 = cpu_s();
    double t0 = now_ns();
    pthread_barrier_wait(&go);
    long failures = 0;
    for (int t = 0; t < n; t++) {
        pthread_join(tids[t], NULL);
        failures += workers[t].failures;
    }
    double wall = (now_ns() - t0) / 1e9;
    double cpu = cpu_s() - cpu0;
    long rss_end = rss_kb();
    client_close();

    qsort(latency, (size_t)args.calls, sizeof *latency, cmp_double);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long p99 = (long)((double)args.calls * 0.99);
    if (p99 >= args.calls) p99 = args.calls - 1;
    printf("{\"calls\": %ld, \"threads\": %d, \"failures\": %ld, \"wall_s\": %.6f, \"calls_per_s\": %.1f, "
           "\"p50_us\": %.2f, \"p99_us\": %.2f, \"cpu_us_per_call\": %.3f, \"maxrss_kb\": %ld, "
           "\"rss_kb_after_warmup\": %ld, \"rss_kb_tenth\": %ld, \"rss_kb_end\": %ld}\n",
           args.calls, n, failures, wall, (double)args.calls / wall, latency[args.calls / 2] / 1e3,
           latency[p99] / 1e3, cpu * 1e6 / (double)args.calls, ru.ru_maxrss, rss_warm, workers[0].rss_tenth, rss_end);
    free(latency);
    free(tids);
    free(workers);
    return failures == 0 ? 0 : 1;
}

#endif
