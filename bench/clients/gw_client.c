/*
 * gw_client.c: TOKENIZE calls through gw's C API, N keep-alive calls from
 * one or more threads sharing one client (see bench.h for what is measured).
 * Each call is what a till does: gw_tokenize_p2pe (validate, encode, POST,
 * decode, map), read the token, free the response.
 */
#include "gw.h"
#include "bench.h"

static gw_client *client;

static int client_open(const bench_args *args) {
    gw_config *config = gw_config_new();
    char base[512];
    if (config == NULL) return 1;
    snprintf(base, sizeof base, "%s", args->url);
    if (gw_config_set_base_url(config, base) != GW_OK || gw_config_set_merchant(config, args->merchant) != GW_OK ||
        gw_config_set_api_password(config, args->password) != GW_OK ||
        (args->ca != NULL && gw_config_set_ca_bundle(config, args->ca) != GW_OK) ||
        gw_client_new(config, &client) != GW_OK) {
        fprintf(stderr, "gw_client: configuration refused: %s\n", gw_last_error());
        gw_config_free(config);
        return 1;
    }
    gw_config_free(config);
    return 0;
}

static void *client_thread_open(const bench_args *args) {
    return (void *)args;
}

static int client_call(void *state) {
    const bench_args *args = state;
    gw_response *response = NULL;
    gw_status status = gw_tokenize_p2pe(client, NULL, args->ksn, args->payload, NULL, args->card_bin, &response);
    int ok = status == GW_OK && gw_response_get(response, "token") != NULL;
    if (!ok) fprintf(stderr, "gw_client: %s: %s\n", gw_status_name(status), gw_last_error());
    gw_response_free(response);
    return ok ? 0 : 1;
}

static void client_thread_close(void *state) {
    (void)state;
}

static void client_close(void) {
    gw_client_free(client);
}

int main(int argc, char **argv) {
    return bench_main(argc, argv);
}
