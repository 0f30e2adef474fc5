/*
 * pay_p2pe.c: take a card-present payment at a till. Check the gateway, PAY
 * with the card a P2PE terminal encrypted, read the approval, then refund
 * part of it; the payment is read back with gw_retrieve_transaction. Then a
 * sale whose answer is lost after the money moved, resolved by gw (step 5).
 *
 *   ./pay_p2pe KSN PAYLOAD [IV|- [CARD_BIN|-]]   the terminal's fields as arguments
 *   gw-sim terminal --pan ... | ./pay_p2pe -     its NAME=value lines on stdin (or a FILE)
 *   ./pay_p2pe                                   GW_P2PE_* from the environment
 * plus GW_BASE_URL, GW_MERCHANT, GW_API_PASSWORD and GW_API_VERSION: P2PE
 * payments need API version 84 or later (see example_config.h). AMOUNT
 * (default 12.50), REFUND_AMOUNT (default 2.50), CURRENCY (default AUD) and
 * ORDER_ID (default: one made from the time) are the sale's.
 *
 * The till keeps order.id and transaction.id: they are what resolves a
 * payment whose answer was lost (gw_last_error_in_doubt() says 1; the same
 * ids with gw_retrieve_transaction tell what happened). A receipt is printed
 * only on GW_OK, the gateway's final approval. After a decline (GW_DECLINED)
 * a new attempt needs a new transaction.id.
 *
 * 5. The lost answer: a second sale whose answer is lost after the money
 * moved (against gw-sim, its correlationId asks for the lost-then-ok fault;
 * a real gateway just echoes it). gw resends the identical request — the
 * same ids, the same ciphertext — and the gateway answers the payment it
 * recorded without charging again: GW_OK, charged once. Had gw run out of
 * budget, the status would say in doubt and the ids would resolve it later.
 *
 * The payload is card data: it is never printed, and gw never puts it in a
 * message. The answer carries the card number masked (6 first, 4 last).
 */
#include <stdio.h>
#include <time.h>

#include "example_config.h"
#include "gw.h"

/* Prints what the till learned from a failed payment call. */
static void report_payment(const char *what, gw_status status, const gw_response *response) {
    if (status == GW_DECLINED) {
        /* Final: no money moved. A retry is a new transaction.id. */
        printf("%s declined: response.gatewayCode=%s\n", what, gw_response_get(response, "response.gatewayCode"));
    } else if (gw_last_error_in_doubt()) {
        /* The request may have moved money and gw could not learn the
         * outcome: never print a receipt, never charge again with new ids. */
        printf("%s in doubt: resolve with gw_retrieve_transaction and the same ids\n", what);
    }
    example_report(what, status, response);
}

/* PAY with the card the terminal encrypted, from the till's lane; a
 * correlationId when given. The request (and its payload) is freed and
 * zeroized before returning. */
static gw_status pay(const gw_client *client, const example_card *card, const char *order_id, const char *pay_id,
                     const char *amount, const char *currency, const char *correlation_id, gw_response **response) {
    gw_request *request = NULL;
    gw_status status = gw_request_pay_p2pe("PAY", order_id, pay_id, amount, currency, card->ksn, card->payload,
                                           example_or_null(card->iv), example_or_null(card->card_bin), &request);
    if (status == GW_OK) {
        status = gw_request_set(request, "posTerminal.lane", "Kiosk_76");
    }
    if (status == GW_OK) {
        status = gw_request_set(request, "posTerminal.attended", "UNATTENDED");
    }
    if (status == GW_OK && correlation_id != NULL) {
        status = gw_request_set(request, "correlationId", correlation_id);
    }
    if (status == GW_OK) {
        status = gw_execute(client, request, response);
    }
    gw_request_free(request); /* zeroizes the payload */
    return status;
}

int main(int argc, char **argv) {
    example_card card;
    gw_client *client;
    gw_request *request = NULL;
    gw_response *response = NULL;
    const char *amount = example_env("AMOUNT");
    const char *refund_amount = example_env("REFUND_AMOUNT");
    const char *currency = example_env("CURRENCY");
    const char *order_env = example_env("ORDER_ID");
    char order_id[41];
    char lost_order[48];
    /* A transaction.id is unique within its order: the order.id tells sales apart. */
    const char *pay_id = "pay-1";
    const char *refund_id = "refund-1";
    gw_status status;

    if (!example_card_load(&card, argc, argv)) {
        return 2;
    }
    amount = amount != NULL ? amount : "12.50";
    refund_amount = refund_amount != NULL ? refund_amount : "2.50";
    currency = currency != NULL ? currency : "AUD";
    if (order_env != NULL) {
        snprintf(order_id, sizeof order_id, "%s", order_env);
    } else {
        snprintf(order_id, sizeof order_id, "sale-%lu-%lu", (unsigned long)time(NULL), (unsigned long)clock());
    }

    client = example_client_from_env();
    if (client == NULL) {
        return 1;
    }

    /* 1. Is the gateway up? (No credentials are sent.) */
    status = gw_check_gateway(client, &response);
    if (status == GW_OK) {
        printf("gateway=%s\n", gw_response_get(response, "status"));
    } else {
        example_report("CHECK_GATEWAY", status, response);
    }
    gw_response_free(response);
    response = NULL;

    /* 2. PAY: the card as the terminal encrypted it, the till's lane. */
    if (status == GW_OK) {
        status = pay(client, &card, order_id, pay_id, amount, currency, NULL, &response);
        if (status == GW_OK) {
            /* Final approval: the receipt may print. */
            printf("approved: %s %s %s authorizationCode=%s card=%s %s\n",
                   gw_response_get(response, "transaction.type"), gw_response_get(response, "transaction.amount"),
                   gw_response_get(response, "transaction.currency"),
                   gw_response_get(response, "transaction.authorizationCode"),
                   gw_response_get(response, "sourceOfFunds.provided.card.brand"),
                   gw_response_get(response, "sourceOfFunds.provided.card.number"));
            printf("order status=%s captured=%s\n", gw_response_get(response, "order.status"),
                   gw_response_get(response, "order.totalCapturedAmount"));
        } else {
            report_payment("PAY", status, response);
        }
        gw_response_free(response);
        response = NULL;
    }

    /* 3. REFUND part of it: the same order, a new transaction.id, no card. */
    if (status == GW_OK) {
        status = gw_request_new("REFUND", &request);
        if (status == GW_OK) {
            status = gw_request_set(request, "order.id", order_id);
        }
        if (status == GW_OK) {
            status = gw_request_set(request, "transaction.id", refund_id);
        }
        if (status == GW_OK) {
            status = gw_request_set(request, "transaction.amount", refund_amount);
        }
        if (status == GW_OK) {
            status = gw_request_set(request, "transaction.currency", currency);
        }
        if (status == GW_OK) {
            status = gw_execute(client, request, &response);
        }
        gw_request_free(request);
        request = NULL;
        if (status == GW_OK) {
            printf("refunded %s: order status=%s refunded=%s\n", gw_response_get(response, "transaction.amount"),
                   gw_response_get(response, "order.status"), gw_response_get(response, "order.totalRefundedAmount"));
        } else {
            report_payment("REFUND", status, response);
        }
        gw_response_free(response);
        response = NULL;
    }

    /* 4. What the gateway holds for the payment (what a till asks after a lost answer). */
    if (status == GW_OK) {
        status = gw_retrieve_transaction(client, order_id, pay_id, &response);
        if (status == GW_OK) {
            printf("retrieved %s: %s\n", gw_response_get(response, "transaction.type"),
                   gw_response_get(response, "response.gatewayCode"));
        } else {
            report_payment("RETRIEVE_TRANSACTION", status, response);
        }
        gw_response_free(response);
        response = NULL;
    }

    /* 5. Lose the answer of a PAY after the money moved; see gw resolve it. */
    if (status == GW_OK) {
        char correlation[96];
        snprintf(lost_order, sizeof lost_order, "%s-L", order_id);
        /* gw-sim processes the request, then cuts the answer off (a TCP reset). */
        snprintf(correlation, sizeof correlation, "gw-sim:fault=lost-then-ok=1,tag=%s", lost_order);
        status = pay(client, &card, lost_order, pay_id, amount, currency, correlation, &response);
        if (status == GW_OK) {
            /* The identical resubmission found the recorded approval. */
            printf("lost answer resolved: %s %s, order captured=%s\n", gw_response_get(response, "transaction.type"),
                   gw_response_get(response, "response.gatewayCode"),
                   gw_response_get(response, "order.totalCapturedAmount"));
        } else {
            report_payment("PAY (lost answer)", status, response);
        }
        gw_response_free(response);
        response = NULL;
    }
    if (status == GW_OK) {
        /* What the gateway holds: one payment, charged once. */
        status = gw_retrieve_transaction(client, lost_order, pay_id, &response);
        if (status == GW_OK) {
            printf("retrieved lost-answer sale: %s %s captured=%s\n", gw_response_get(response, "transaction.type"),
                   gw_response_get(response, "response.gatewayCode"),
                   gw_response_get(response, "order.totalCapturedAmount"));
        } else {
            report_payment("RETRIEVE_TRANSACTION", status, response);
        }
        gw_response_free(response);
        response = NULL;
    }

    gw_client_free(client);
    return status == GW_OK ? 0 : 1;
}
