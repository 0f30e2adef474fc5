/*
 * quickstart.c: create a payment session, then tokenize a card that a P2PE
 * terminal encrypted, and print the session id and the token.
 *
 * Configuration comes from the environment, so the same binary runs against
 * gw-sim or a real gateway:
 *   GW_BASE_URL      e.g. https://ap-gateway.mastercard.com (or gw-sim's URL)
 *   GW_MERCHANT      merchant ID
 *   GW_API_PASSWORD  API password
 *   GW_CA_BUNDLE     optional: PEM file of CAs to trust instead of the default roots
 * The card, as the terminal hands it over (`gw-sim terminal` prints these):
 *   GW_P2PE_KSN, GW_P2PE_PAYLOAD, GW_P2PE_IV (optional), GW_P2PE_CARD_BIN (optional)
 */
#include <stdio.h>
#include <stdlib.h>

#include "gw.h"

static const char *env(const char *name, int required) {
    const char *value = getenv(name);
    if (required && (value == NULL || *value == '\0')) {
        fprintf(stderr, "quickstart: set %s\n", name);
        exit(2);
    }
    return (value != NULL && *value != '\0') ? value : NULL;
}

/* Prints why a call failed: the status, the message, the field, and the
 * gateway's error fields when it answered. */
static void report(const char *what, gw_status status, const gw_response *response) {
    const char *field = gw_last_error_field();
    fprintf(stderr, "%s failed: %s (%u): %s\n", what, gw_status_str(status), (unsigned)status, gw_last_error());
    if (field != NULL) {
        fprintf(stderr, "  field: %s\n", field);
    }
    if (response != NULL) {
        const char *cause = gw_response_get(response, "error.cause");
        fprintf(stderr, "  HTTP %u, result=%s, error.cause=%s\n", (unsigned)gw_response_http_status(response),
                gw_response_result(response), cause != NULL ? cause : "-");
    }
}

int main(void) {
    gw_config *config = gw_config_new();
    gw_client *client = NULL;
    gw_response *session = NULL;
    gw_response *token = NULL;
    gw_status status;
    const char *ca_bundle = env("GW_CA_BUNDLE", 0);
    int exit_code = 1;

    if (config == NULL) {
        return 1;
    }
    if ((status = gw_config_set_base_url(config, env("GW_BASE_URL", 1))) != GW_OK ||
        (status = gw_config_set_merchant(config, env("GW_MERCHANT", 1))) != GW_OK ||
        (status = gw_config_set_api_password(config, env("GW_API_PASSWORD", 1))) != GW_OK ||
        (ca_bundle != NULL && (status = gw_config_set_ca_bundle(config, ca_bundle)) != GW_OK) ||
        (status = gw_client_new(config, &client)) != GW_OK) {
        report("configuration", status, NULL);
        goto done;
    }

    status = gw_create_session(client, &session);
    if (status != GW_OK) {
        report("CREATE_SESSION", status, session);
        goto done;
    }
    printf("session.id=%s\n", gw_response_get(session, "session.id"));

    status = gw_tokenize_p2pe(client, NULL, env("GW_P2PE_KSN", 1), env("GW_P2PE_PAYLOAD", 1), env("GW_P2PE_IV", 0),
                              env("GW_P2PE_CARD_BIN", 0), &token);
    if (status != GW_OK) {
        report("TOKENIZE", status, token);
        goto done;
    }
    printf("token=%s\n", gw_response_get(token, "token"));
    printf("card=%s %s\n", gw_response_get(token, "sourceOfFunds.provided.card.brand"),
           gw_response_get(token, "sourceOfFunds.provided.card.number"));
    exit_code = 0;

done:
    gw_response_free(token);
    gw_response_free(session);
    gw_client_free(client);
    gw_config_free(config);
    return exit_code;
}
