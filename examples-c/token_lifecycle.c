/*
 * token_lifecycle.c: a till's whole conversation about one card's token.
 *
 *   1. check the gateway (no credentials are sent; one attempt, never a long wait),
 *   2. tokenize the card the P2PE terminal encrypted,
 *   3. retrieve what the gateway holds under the token (the card masked),
 *   4. delete the token (the customer asked to be forgotten),
 *   5. retrieve it again: the gateway no longer knows it.
 *
 *   ./token_lifecycle KSN PAYLOAD [IV|- [CARD_BIN|-]]   or a FILE / - / GW_P2PE_*, as tokenize_p2pe
 * plus GW_BASE_URL, GW_MERCHANT, GW_API_PASSWORD (see example_config.h).
 *
 * Every response may hold card data (masked): gw wipes it in gw_response_free.
 */
#include <stdio.h>
#include <string.h>

#include "example_config.h"
#include "gw.h"

int main(int argc, char **argv) {
    example_card card;
    gw_client *client;
    gw_response *response = NULL;
    char token[41] = "";
    gw_status status;

    if (!example_card_load(&card, argc, argv)) {
        return 2;
    }
    client = example_client_from_env();
    if (client == NULL) {
        return 1;
    }

    /* 1. Is the gateway up? GW_GATEWAY_SHUTDOWN: it is not accepting requests. */
    status = gw_check_gateway(client, &response);
    if (status == GW_OK) {
        printf("gateway=%s %s\n", gw_response_get(response, "status"), gw_response_get(response, "gatewayVersion"));
    } else {
        example_report("CHECK_GATEWAY", status, response);
    }
    gw_response_free(response);
    response = NULL;

    /* 2. The card becomes a token. */
    if (status == GW_OK) {
        status = example_tokenize(client, &card, &response);
        if (status == GW_OK) {
            strncpy(token, gw_response_get(response, "token"), sizeof token - 1);
            printf("token=%s\n", token);
        } else {
            example_report("TOKENIZE", status, response);
        }
        gw_response_free(response);
        response = NULL;
    }

    /* 3. What the gateway holds under it: VALID, and the card masked. */
    if (status == GW_OK) {
        status = gw_retrieve_token(client, token, &response);
        if (status == GW_OK) {
            printf("retrieved status=%s card=%s\n", gw_response_get(response, "status"),
                   gw_response_get(response, "sourceOfFunds.provided.card.number"));
        } else {
            example_report("RETRIEVE_TOKEN", status, response);
        }
        gw_response_free(response);
        response = NULL;
    }

    /* 4. Forget the card. GW_OK also when a retry finds that the attempt
     * whose answer was lost had already deleted it. */
    if (status == GW_OK) {
        status = gw_delete_token(client, token, &response);
        if (status == GW_OK) {
            printf("deleted\n");
        } else {
            example_report("DELETE_TOKEN", status, response);
        }
        gw_response_free(response);
        response = NULL;
    }

    /* 5. Gone: the gateway answers result=ERROR on the field "token". */
    if (status == GW_OK) {
        gw_status gone = gw_retrieve_token(client, token, &response);
        printf("after delete: %s error.field=%s\n", gw_status_name(gone),
               response != NULL && gw_response_get(response, "error.field") != NULL
                   ? gw_response_get(response, "error.field")
                   : "(none)");
        if (gone != GW_ERR_GATEWAY) {
            status = gone == GW_OK ? GW_ERR_GATEWAY : gone;
        }
        gw_response_free(response);
    }

    gw_client_free(client);
    return status == GW_OK ? 0 : 1;
}
