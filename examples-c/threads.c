/*
 * threads.c: N threads share ONE client (one keep-alive connection pool),
 * each creating a session and tokenizing the terminal's card, ROUNDS times.
 *
 *   ./threads [THREADS [ROUNDS]]     defaults: 8 threads, 2 rounds
 * with GW_BASE_URL, GW_MERCHANT, GW_API_PASSWORD and the card in GW_P2PE_*
 * (see example_config.h).
 *
 * The rules: a gw_client may be used by any number of threads at once and
 * is freed once, after they have all finished. A gw_response belongs to the
 * thread that received it. gw_last_error() is per thread.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "example_config.h"
#include "gw.h"

#define MAX_THREADS 64

struct worker {
    pthread_t thread;
    int index;
    int rounds;
    const gw_client *client; /* shared, never modified by a call */
    const example_card *card;
    int failures;
};

static void *work(void *arg) {
    struct worker *self = arg;
    int round;
    for (round = 0; round < self->rounds; round++) {
        gw_response *session = NULL;
        gw_response *token = NULL;
        gw_status status = gw_create_session(self->client, &session);
        if (status == GW_OK) {
            status = example_tokenize(self->client, self->card, &token);
        }
        if (status == GW_OK) {
            /* One printf per line: stdio locks the stream for each call. */
            printf("thread %d round %d: session.id=%s token=%s\n", self->index, round,
                   gw_response_get(session, "session.id"), gw_response_get(token, "token"));
        } else {
            example_report(token != NULL || session == NULL ? "TOKENIZE" : "CREATE_SESSION", status,
                           token != NULL ? token : session);
            self->failures++;
        }
        gw_response_free(token);
        gw_response_free(session);
    }
    return NULL;
}

int main(int argc, char **argv) {
    struct worker workers[MAX_THREADS];
    example_card card;
    gw_client *client;
    int threads = argc > 1 ? atoi(argv[1]) : 8;
    int rounds = argc > 2 ? atoi(argv[2]) : 2;
    int started = 0;
    int failures = 0;
    int i;

    if (threads < 1 || threads > MAX_THREADS || rounds < 1) {
        fprintf(stderr, "usage: %s [THREADS (1-%d) [ROUNDS]]\n", argv[0], MAX_THREADS);
        return 2;
    }
    if (!example_card_load(&card, 1, argv)) { /* from GW_P2PE_* */
        return 2;
    }
    client = example_client_from_env();
    if (client == NULL) {
        return 1;
    }

    for (i = 0; i < threads; i++) {
        workers[i].index = i;
        workers[i].rounds = rounds;
        workers[i].client = client;
        workers[i].card = &card;
        workers[i].failures = 0;
        if (pthread_create(&workers[i].thread, NULL, work, &workers[i]) != 0) {
            fprintf(stderr, "pthread_create failed\n");
            failures++;
            break;
        }
        started++;
    }
    for (i = 0; i < started; i++) {
        pthread_join(workers[i].thread, NULL);
        failures += workers[i].failures;
    }

    gw_client_free(client); /* only once every thread is done with it */
    printf("%d threads x %d rounds: %d failed\n", started, rounds, failures);
    return failures == 0 ? 0 : 1;
}
