/*
 * gw_client.c: TOKENIZE calls through gw's C API, N keep-alive calls from
 * one or more threads sharing one client (see bench.h for what is measured).
 * Each call is what a till does: gw_tokenize_p2pe (validate, encode, POST,
 * decode, map), read the token, free the response.
 *
 * With --op pay, each call is a card-present sale instead (API version 100):
 * gw_request_pay_p2pe with a new order.id and transaction.id (the process id
 * and a counter: every call is a new payment, never a resubmission the
 * gateway would answer from its ledger), gw_execute, read the approval.
 */
#include <stdatomic.h>

#include "gw.h"
#include "bench.h"

static gw_client *client;
static int pay;
static atomic_long sales;

static int client_open(const bench_args *args) {
    gw_config *config = gw_config_new();
    char base[512];
    if (config == NULL) return 1;
    snprintf(base, sizeof base, "%s", args->url);
    pay = strcmp(args->op, "pay") == 0;
    if ((pay && gw_config_set_api_version(config, 100) != GW_OK) || gw_config_set_base_url(config, base) != GW_OK || gw_config_set_merchant(config, args->merchant) != GW_OK ||
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

/* One P2PE PAY of a new sale: GW_OK is the gateway's approval. */
static gw_status pay_call(const bench_args *args, gw_response **response) {
    char order_id[41];
    gw_request *request = NULL;
    gw_status status;
    snprintf(order_id, sizeof order_id, "bench-%ld-%ld", (long)getpid(), atomic_fetch_add(&sales, 1));
    status = gw_request_pay_p2pe("PAY", order_id, "1", "12.50", "AUD", args->ksn, args->payload, NULL,
                                 args->card_bin, &request);
    if (status == GW_OK) status = gw_execute(client, request, response);
    gw_request_free(request);
    return status;
}

static int client_call(void *state) {
    const bench_args *args = state;
    gw_response *response = NULL;
    gw_status status = pay ? pay_call(args, &response)
                           : gw_tokenize_p2pe(client, NULL, args->ksn, args->payload, NULL, args->card_bin, &response);
    int ok = status == GW_OK && gw_response_get(response, pay ? "transaction.authorizationCode" : "token") != NULL;
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
