/*
 * quickstart.c: create a payment session, then tokenize a card that a P2PE
 * terminal encrypted, and print the session id and the token.
 *
 * Configuration comes from the environment, so the same binary runs against
 * gw-sim or a real gateway (all the variables: example_config.h):
 *   GW_BASE_URL      e.g. https://ap-gateway.mastercard.com (or gw-sim's URL)
 *   GW_MERCHANT      merchant ID
 *   GW_API_PASSWORD  API password
 *   GW_CA_BUNDLE     optional: PEM file of CAs to trust instead of the default roots
 * The card, as the terminal hands it over (`gw-sim terminal` prints these):
 *   GW_P2PE_KSN, GW_P2PE_PAYLOAD, GW_P2PE_IV (optional), GW_P2PE_CARD_BIN (optional)
 * or as arguments: quickstart KSN PAYLOAD [IV|- [CARD_BIN|-]], or quickstart FILE|-.
 */
#include <stdio.h>

#include "example_config.h"
#include "gw.h"

int main(int argc, char **argv) {
    example_card card;
    gw_client *client = NULL;
    gw_response *session = NULL;
    gw_response *token = NULL;
    gw_status status;
    int exit_code = 1;

    if (!example_card_load(&card, argc, argv)) {
        return 2;
    }
    client = example_client_from_env();
    if (client == NULL) {
        return 1;
    }

    status = gw_create_session(client, &session);
    if (status != GW_OK) {
        example_report("CREATE_SESSION", status, session);
        goto done;
    }
    printf("session.id=%s\n", gw_response_get(session, "session.id"));

    status = example_tokenize(client, &card, &token);
    if (status != GW_OK) {
        example_report("TOKENIZE", status, token);
        goto done;
    }
    printf("token=%s\n", gw_response_get(token, "token"));
    printf("card=%s %s\n", gw_response_get(token, "sourceOfFunds.provided.card.brand"),
           gw_response_get(token, "sourceOfFunds.provided.card.number"));
    exit_code = 0;

done:
    gw_response_free(token); /* NULL is fine; responses come also with errors */
    gw_response_free(session);
    gw_client_free(client);
    return exit_code;
}
