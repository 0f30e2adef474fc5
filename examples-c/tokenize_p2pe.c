/*
 * tokenize_p2pe.c: turn a card encrypted by a P2PE terminal (TDES DUKPT, or
 * AES DUKPT with GW_API_VERSION 84 or later; see docs/p2pe.md)
 * into a gateway token, which the POS stores instead of the card.
 *
 *   ./tokenize_p2pe KSN PAYLOAD [IV|- [CARD_BIN|-]]   the terminal's fields as arguments
 *   gw-sim terminal --pan ... | ./tokenize_p2pe -     its NAME=value lines on stdin (or a FILE)
 *   ./tokenize_p2pe                                   GW_P2PE_* from the environment
 * plus GW_BASE_URL, GW_MERCHANT, GW_API_PASSWORD (see example_config.h).
 * An optional TOKEN environment variable updates that token instead of
 * letting the gateway generate one; CORRELATION_ID (default "till-1/sale-1")
 * is the till's own reference, echoed by the gateway, to match answers to
 * requests and reconcile.
 *
 * The card goes into a validated TOKENIZE request (gw_request_tokenize_p2pe),
 * which the till extends with any other field (here correlationId) and sends
 * with gw_execute. When only the card is needed, gw_tokenize_p2pe does all
 * three in one call.
 *
 * The payload is card data: it is never printed, and gw never puts it in a
 * message. The answer carries the card number masked (6 first, 4 last).
 */
#include <stdio.h>

#include "example_config.h"
#include "gw.h"

int main(int argc, char **argv) {
    example_card card;
    gw_client *client;
    gw_request *request = NULL;
    gw_response *response = NULL;
    const char *correlation_id = example_env("CORRELATION_ID");
    gw_status status;

    if (!example_card_load(&card, argc, argv)) {
        return 2;
    }
    client = example_client_from_env();
    if (client == NULL) {
        return 1;
    }

    /* Each call runs only if the one before succeeded; the first failure is reported. */
    status = gw_request_tokenize_p2pe(example_env("TOKEN"), card.ksn, card.payload, example_or_null(card.iv),
                                      example_or_null(card.card_bin), &request);
    if (status == GW_OK) {
        status = gw_request_set(request, "correlationId", correlation_id != NULL ? correlation_id : "till-1/sale-1");
    }
    if (status == GW_OK) {
        status = gw_execute(client, request, &response);
    }
    if (status == GW_OK) {
        printf("token=%s\n", gw_response_get(response, "token"));
        printf("correlationId=%s\n", gw_response_get(response, "correlationId"));
        printf("status=%s\n", gw_response_get(response, "status"));
        printf("card=%s %s\n", gw_response_get(response, "sourceOfFunds.provided.card.brand"),
               gw_response_get(response, "sourceOfFunds.provided.card.number"));
    } else {
        /* GW_ERR_INVALID_FIELD names the field (nothing was sent);
         * the gateway's own errors come with the response: see errors.c. */
        example_report("TOKENIZE", status, response);
    }

    gw_response_free(response);
    gw_request_free(request); /* zeroizes the payload */
    gw_client_free(client);
    return status == GW_OK ? 0 : 1;
}
