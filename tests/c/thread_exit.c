/*
 * Issue 13.2: gw called from a thread-exit destructor (a pthread key
 * destructor runs after the thread's own thread-local storage is gone) must
 * not abort the process. Each failing call gives its status; the last error
 * is readable (possibly as a static fallback) and never NULL.
 *
 * Usage: thread_exit BASE_URL_OF_A_CLOSED_PORT
 * Prints one line per call made in the destructor and "exit 0" at the end.
 */
#include <gw.h>

#include <pthread.h>
#include <stdio.h>
#include <string.h>

static pthread_key_t key;
static const char *closed_url;
static int failures;

static void check(const char *what, int ok) {
    printf("%s %s\n", ok ? "ok" : "FAIL", what);
    if (!ok) failures++;
}

static void calls(const char *where) {
    gw_config *config = gw_config_new();
    gw_client *client = NULL;
    gw_request *request = NULL;
    gw_response *response = NULL;
    char what[128];

    snprintf(what, sizeof what, "%s: gw_client_new(NULL) = NULL_ARGUMENT", where);
    check(what, gw_client_new(NULL, &client) == GW_ERR_NULL_ARGUMENT && client == NULL);
    snprintf(what, sizeof what, "%s: gw_last_error never NULL", where);
    check(what, gw_last_error() != NULL);
    snprintf(what, sizeof what, "%s: gw_request_new(PAY) = INVALID_FIELD", where);
    check(what, gw_request_new("DISBURSEMENT", &request) == GW_ERR_INVALID_FIELD && request == NULL);
    (void)gw_last_error_field();
    (void)gw_last_error_http_status();
    snprintf(what, sizeof what, "%s: status strings and version", where);
    check(what, gw_status_str(GW_ERR_TIMEOUT) != NULL && gw_status_name(GW_OK) != NULL && gw_version() != NULL);
    /* One retry: the backoff (its jitter source) runs too. */
    snprintf(what, sizeof what, "%s: a real call to a closed port = CONNECT", where);
    check(what, config != NULL && gw_config_set_base_url(config, closed_url) == GW_OK &&
                    gw_config_set_merchant(config, "TESTGWTHREADEXIT") == GW_OK &&
                    gw_config_set_api_password(config, "thread-exit-password") == GW_OK &&
                    gw_config_set_retries(config, 1) == GW_OK && gw_client_new(config, &client) == GW_OK &&
                    gw_create_session(client, &response) == GW_ERR_CONNECT && response == NULL);
    snprintf(what, sizeof what, "%s: accessors accept NULL", where);
    check(what, gw_response_result(response) == NULL && gw_response_len(response) == 0);
    printf("%s: last error: %s\n", where, gw_last_error());
    gw_response_free(response);
    gw_client_free(client);
    gw_config_free(config);
}

static void destructor(void *value) {
    calls((const char *)value);
}

static void *thread_main(void *arg) {
    if (arg != NULL) calls("thread body"); /* the thread's gw state exists before exit */
    pthread_setspecific(key, arg != NULL ? "destructor (after use)" : "destructor (first use)");
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: thread_exit CLOSED_BASE_URL\n");
        return 2;
    }
    closed_url = argv[1];
    if (pthread_key_create(&key, destructor) != 0) return 2;
    for (int used = 0; used < 2; used++) {
        pthread_t thread;
        if (pthread_create(&thread, NULL, thread_main, used ? (void *)1 : NULL) != 0) return 2;
        pthread_join(thread, NULL);
    }
    printf("exit %d\n", failures);
    return failures == 0 ? 0 : 1;
}
