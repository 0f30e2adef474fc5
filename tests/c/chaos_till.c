/*
 * chaos_till.c: the till of the chaos run (tests/chaos.rs). A real program on
 * the C ABI: it takes card-present sales (PAY with P2PE card data), keeps
 * its own view of each sale in a file, and is killed (SIGKILL) at random
 * points by the harness, then started again on the same files.
 *
 *   chaos_till BASE_URL MERCHANT PASSWORD SALES VIEW MODE [JOURNAL]
 *
 * JOURNAL: gw's payment journal (gw_config_set_journal); at start the till
 * calls gw_journal_recover and takes each recovered outcome as its view
 * (NOT_SENT: the sale is paid again with the same ids).
 *
 * SALES: one sale a line, "ORDER_ID TRANSACTION_ID AMOUNT KSN PAYLOAD CARD_BIN"
 * (the harness plays the terminal: the same ciphertext for every attempt of a
 * sale, as a till holds the card read until the sale is final).
 * VIEW: the till's view, appended and flushed to disk line by line,
 * "ORDER_ID VIEW DETAIL"; the last line of a sale wins. VIEW is
 *   APPROVED  final approval (the receipt would print)
 *   DECLINED  final decline (DETAIL: response.gatewayCode)
 *   OPEN      the outcome is not known yet (in doubt, or not final)
 *   NOTSENT   nothing reached the gateway (a retry with the SAME ids is safe)
 * MODE: "run" takes every sale not final (a few passes); "resolve" settles
 * what is left: RETRIEVE_TRANSACTION for an OPEN sale (or one the till never
 * recorded), PAY with the same ids for one the gateway never saw.
 *
 * The rule a till follows: a sale's ids never change. An in-doubt or
 * not-final sale is asked about (RETRIEVE_TRANSACTION) or resubmitted
 * identically, never paid again under new ids.
 *
 * Stdout: one line per event, for the harness to count and to time kills:
 * "pay ORDER", "retrieve ORDER", "view ORDER VIEW", "recover STATUS STILL_RUNNING",
 * "recovered ORDER OUTCOME", "done N_FINAL N_OPEN".
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gw.h"

#define MAX_SALES 20000

typedef struct {
    char order_id[41];
    char txn_id[41];
    char amount[16];
    char ksn[25];
    char payload[1100];
    char card_bin[12];
    char view[32];
} sale;

static sale sales[MAX_SALES];
static int n_sales;
static FILE *view_file;

static sale *find_sale(const char *order_id) {
    int i;
    for (i = 0; i < n_sales; i++) {
        if (strcmp(sales[i].order_id, order_id) == 0) {
            return &sales[i];
        }
    }
    return NULL;
}

static int is_final(const sale *s) {
    return strcmp(s->view, "APPROVED") == 0 || strcmp(s->view, "DECLINED") == 0;
}

/* Records the till's view of a sale durably (a line, flushed and synced). */
static void record(sale *s, const char *view, const char *detail) {
    snprintf(s->view, sizeof s->view, "%s", view);
    fprintf(view_file, "%s %s %s\n", s->order_id, view, detail != NULL && *detail ? detail : "-");
    fflush(view_file);
    fsync(fileno(view_file));
    printf("view %s %s\n", s->order_id, view);
    fflush(stdout);
}

static int load(const char *sales_path, const char *view_path) {
    FILE *f = fopen(sales_path, "r");
    char order_id[64], view[32], detail[64];
    if (f == NULL) {
        return 0;
    }
    while (n_sales < MAX_SALES) {
        sale *s = &sales[n_sales];
        if (fscanf(f, "%40s %40s %15s %24s %1099s %11s", s->order_id, s->txn_id, s->amount, s->ksn, s->payload,
                   s->card_bin) != 6) {
            break;
        }
        snprintf(s->view, sizeof s->view, "%s", "NONE");
        n_sales++;
    }
    fclose(f);
    f = fopen(view_path, "r");
    if (f != NULL) {
        /* A line cut by a kill is at the end, and has fewer fields. */
        while (fscanf(f, "%63s %31s %63s", order_id, view, detail) == 3) {
            sale *s = find_sale(order_id);
            if (s != NULL) {
                snprintf(s->view, sizeof s->view, "%s", view);
            }
        }
        fclose(f);
    }
    return 1;
}

/* What the gateway's answer (or its absence) means for the sale. */
static void judge(sale *s, gw_status status, const gw_response *response) {
    const char *code = gw_response_get(response, "response.gatewayCode");
    if (status == GW_OK) {
        record(s, "APPROVED", code);
    } else if (status == GW_DECLINED && code != NULL && strcmp(code, "LOCK_FAILURE") == 0) {
        /* "another transaction is in progress for this order": ours. */
        record(s, "OPEN", code);
    } else if (status == GW_DECLINED) {
        record(s, "DECLINED", code);
    } else if (gw_last_error_in_doubt()) {
        record(s, "OPEN", gw_status_name(status));
    } else {
        /* Nothing reached the gateway, or it answered an error that moved
         * no money: the same ids again are safe. */
        record(s, "NOTSENT", gw_status_name(status));
    }
}

static void pay(const gw_client *client, sale *s) {
    gw_request *request = NULL;
    gw_response *response = NULL;
    gw_status status;
    printf("pay %s\n", s->order_id);
    fflush(stdout);
    status = gw_request_pay_p2pe("PAY", s->order_id, s->txn_id, s->amount, "USD", s->ksn, s->payload, NULL,
                                 s->card_bin, &request);
    if (status == GW_OK) {
        status = gw_execute(client, request, &response);
    }
    gw_request_free(request);
    judge(s, status, response);
    gw_response_free(response);
}

/* RETRIEVE_TRANSACTION with the sale's ids; returns 1 when the gateway has
 * never seen the transaction (the sale may then be paid with the same ids). */
static int retrieve(const gw_client *client, sale *s) {
    gw_response *response = NULL;
    gw_status status;
    const char *field;
    int unknown = 0;
    printf("retrieve %s\n", s->order_id);
    fflush(stdout);
    status = gw_retrieve_transaction(client, s->order_id, s->txn_id, &response);
    field = gw_response_get(response, "error.field");
    if (field == NULL) {
        field = gw_last_error_field();
    }
    if (status == GW_ERR_GATEWAY && field != NULL &&
        (strcmp(field, "order.id") == 0 || strcmp(field, "transaction.id") == 0)) {
        /* The gateway has no such transaction: nothing was charged. */
        unknown = 1;
        record(s, "NOTSENT", "unknown-to-gateway");
    } else if (status == GW_OK || status == GW_DECLINED || status == GW_PENDING || status == GW_UNKNOWN_RESULT) {
        judge(s, status, response);
    } else {
        /* The question did not get its answer: the sale stays as it was. */
        record(s, "OPEN", gw_status_name(status));
    }
    gw_response_free(response);
    return unknown;
}

/* gw_journal_recover's callback: the journal's word on a sale the till may
 * have been paying when it died. */
static void recovered(void *userdata, uint32_t outcome, const char *operation, const char *order_id,
                      const char *transaction_id, const char *amount, const char *currency, uint64_t recorded_at_ms,
                      const gw_response *response) {
    sale *s = find_sale(order_id);
    const char *code = gw_response_get(response, "response.gatewayCode");
    (void)userdata, (void)operation, (void)amount, (void)currency, (void)recorded_at_ms;
    if (s == NULL || strcmp(s->txn_id, transaction_id) != 0) {
        return;
    }
    printf("recovered %s %u\n", order_id, (unsigned)outcome);
    fflush(stdout);
    switch (outcome) {
    case GW_RECOVERED_APPROVED:
        record(s, "APPROVED", code);
        break;
    case GW_RECOVERED_DECLINED:
        record(s, "DECLINED", code);
        break;
    case GW_RECOVERED_NOT_SENT:
        /* Never reached the gateway: pay again with the SAME ids. */
        record(s, "NOTSENT", "recovered");
        break;
    default:
        record(s, "OPEN", "recovered-not-final");
        break;
    }
}

int main(int argc, char **argv) {
    gw_config *config;
    gw_client *client = NULL;
    int pass, i, open = 0, final = 0, resolve;
    if (argc < 7) {
        fprintf(stderr, "usage: chaos_till BASE_URL MERCHANT PASSWORD SALES VIEW run|resolve [JOURNAL]\n");
        return 2;
    }
    resolve = strcmp(argv[6], "resolve") == 0;
    if (!load(argv[4], argv[5])) {
        fprintf(stderr, "cannot read %s\n", argv[4]);
        return 2;
    }
    view_file = fopen(argv[5], "a");
    config = gw_config_new();
    if (view_file == NULL || config == NULL || gw_config_set_base_url(config, argv[1]) != GW_OK ||
        gw_config_set_merchant(config, argv[2]) != GW_OK || gw_config_set_api_password(config, argv[3]) != GW_OK ||
        gw_config_set_api_version(config, 100) != GW_OK ||
        gw_config_set_timeout_ms(config, (uint32_t)atoi(getenv("CHAOS_TIMEOUT_MS") ? getenv("CHAOS_TIMEOUT_MS") : "800")) != GW_OK ||
        gw_config_set_connect_timeout_ms(config, 500) != GW_OK || gw_config_set_retries(config, 2) != GW_OK ||
        gw_config_set_backoff_ms(config, 50, 400) != GW_OK ||
        (argc > 7 && gw_config_set_journal(config, argv[7]) != GW_OK) || gw_client_new(config, &client) != GW_OK) {
        fprintf(stderr, "setup failed: %s\n", gw_last_error());
        return 1;
    }
    gw_config_free(config);

    /* After a crash: what happened to the payments the last run left open. */
    if (argc > 7) {
        uint32_t still_running = 0;
        gw_status status = gw_journal_recover(client, recovered, NULL, &still_running);
        printf("recover %s %u\n", gw_status_name(status), (unsigned)still_running);
        fflush(stdout);
    }

    for (pass = 0; pass < 3; pass++) {
        for (i = 0; i < n_sales; i++) {
            sale *s = &sales[i];
            if (is_final(s)) {
                continue;
            }
            if (strcmp(s->view, "NOTSENT") == 0 || (strcmp(s->view, "NONE") == 0 && !resolve)) {
                pay(client, s);
            } else if (retrieve(client, s)) {
                pay(client, s);
            }
        }
    }
    for (i = 0; i < n_sales; i++) {
        if (is_final(&sales[i])) {
            final++;
        } else {
            open++;
        }
    }
    printf("done %d %d\n", final, open);
    fflush(stdout);
    gw_client_free(client);
    fclose(view_file);
    return 0;
}
