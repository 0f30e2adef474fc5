/*
 * errors.c: how a POS handles each class of gw status. Each scenario below
 * provokes one class on purpose and hands the outcome to handle(), the part
 * to copy: it decides what the till does (fix the input, retry, ask the
 * customer for another card, call support) from the status alone.
 *
 *   ./errors    with GW_BASE_URL, GW_MERCHANT, GW_API_PASSWORD and the card
 *               in GW_P2PE_* (see example_config.h); optional GW_CLOSED_URL,
 *               a loopback URL nothing listens on (default http://127.0.0.1:1).
 *
 * The timeout, protocol, pending and unknown-result scenarios use gw-sim's
 * fault injection (a correlationId of "gw-sim:fault=..."): against a real
 * gateway they succeed and are reported as unexpected. Exit status 0 when every scenario gave the
 * status it was meant to.
 */
#include <stdio.h>
#include <string.h>

#include "example_config.h"
#include "gw.h"

/* The decision a till makes from a gw status. */
static const char *handle(gw_status status, const gw_response *response) {
    switch (status) {
    case GW_OK:
        return "success: result=SUCCESS";
    case GW_ERR_INVALID_FIELD:
    case GW_ERR_NULL_ARGUMENT:
    case GW_ERR_INVALID_UTF8:
        return "fix the input (gw_last_error_field names it); nothing was sent";
    case GW_ERR_CONFIG:
        return "fix the configuration; no client, nothing sent";
    case GW_ERR_CONNECT:
        return "gateway unreachable, the request was NOT sent: safe to retry later";
    case GW_ERR_TIMEOUT:
    case GW_ERR_IO:
        return "the request MAY have been processed: look it up before retrying";
    case GW_ERR_TLS:
        return "TLS failed: check the CA bundle, the clock, a TLS-inspecting proxy";
    case GW_ERR_PROTOCOL:
        return "not a gateway answer (proxy page, garbage): the outcome is unknown";
    case GW_ERR_AUTHENTICATION:
        return "merchant or API password rejected: fix the credentials, do not retry";
    case GW_ERR_GATEWAY:
        /* The gateway explains in error.*: read them from the response. */
        return response != NULL && gw_response_get(response, "error.field") != NULL
                   ? "the gateway rejected a field (error.field): fix the request"
                   : "the gateway refused the request (error.cause): see error.explanation";
    case GW_DECLINED:
        return "declined (result=FAILURE): ask for another card";
    case GW_PENDING:
        return "pending: poll the order before doing anything else";
    case GW_UNKNOWN_RESULT:
        return "unknown result: reconcile before retrying";
    default:
        return "a bug in gw: log gw_last_error() and report it";
    }
}

static int unexpected;

/* Prints what happened and the decision; counts a status other than `expected`. */
static void check(const char *scenario, gw_status expected, gw_status status, gw_response *response) {
    const char *field = gw_last_error_field();
    printf("%-15s %s -> %s\n", scenario, example_status_name(status), handle(status, response));
    if (status != GW_OK) {
        printf("%-15s   message: %s\n", "", gw_last_error());
        if (field != NULL) {
            printf("%-15s   field: %s\n", "", field);
        }
        if (response == NULL && gw_last_error_http_status() != 0) {
            /* An answer came, but not in NVP (GW_ERR_PROTOCOL): no response, only its HTTP status. */
            printf("%-15s   HTTP %u, not an NVP answer\n", "", (unsigned)gw_last_error_http_status());
        }
        example_print_answer(stdout, "                  ", response);
    }
    if (status != expected) {
        printf("%-15s   UNEXPECTED: wanted %s\n", "", example_status_name(expected));
        unexpected++;
    }
    gw_response_free(response);
}

/* A client from the environment with some settings replaced (NULL/0 = keep). */
static gw_client *client_with(const char *base_url, const char *password, uint32_t timeout_ms) {
    gw_config *config = gw_config_new();
    gw_client *client = NULL;
    gw_status status = config != NULL ? example_config_from_env(config) : GW_ERR_INTERNAL;
    if (status == GW_OK && base_url != NULL) {
        status = gw_config_set_base_url(config, base_url);
    }
    if (status == GW_OK && password != NULL) {
        status = gw_config_set_api_password(config, password);
    }
    if (status == GW_OK && timeout_ms != 0) {
        status = gw_config_set_timeout_ms(config, timeout_ms);
    }
    if (status == GW_OK) {
        status = gw_config_set_retries(config, 0); /* show the first failure, not a retried one */
    }
    if (status == GW_OK) {
        status = gw_client_new(config, &client);
    }
    if (status != GW_OK) {
        example_report("configuration", status, NULL);
    }
    gw_config_free(config);
    return client;
}

/* A request of `operation` with `count` name/value pairs, executed by `client`. */
static gw_status execute(const gw_client *client, const char *operation, const char *const *fields, size_t count,
                         gw_response **out) {
    gw_request *request = NULL;
    gw_status status = gw_request_new(operation, &request);
    size_t i;
    *out = NULL;
    for (i = 0; status == GW_OK && i < count; i++) {
        status = gw_request_set(request, fields[2 * i], fields[2 * i + 1]);
    }
    if (status == GW_OK) {
        status = gw_execute(client, request, out);
    }
    gw_request_free(request);
    return status;
}

int main(int argc, char **argv) {
    example_card card;
    gw_client *client;
    gw_client *other;
    gw_config *config;
    gw_response *response = NULL;
    gw_status status;
    const char *closed_url = example_env("GW_CLOSED_URL");

    if (!example_card_load(&card, argc, argv)) {
        return 2;
    }
    client = client_with(NULL, NULL, 0);
    if (client == NULL) {
        return 1;
    }

    /* 1. Local validation: a KSN is 20 hex digits. Nothing goes on the wire. */
    status = gw_tokenize_p2pe(client, NULL, "not-a-ksn", card.payload, NULL, NULL, &response);
    check("invalid field", GW_ERR_INVALID_FIELD, status, response);

    /* 2. Configuration: plain http only to a loopback host. */
    config = gw_config_new();
    status = gw_config_set_base_url(config, "http://gateway.example.com");
    check("config", GW_ERR_CONFIG, status, NULL);
    gw_config_free(config);

    /* 3. Connect: nothing listens there; the request was not sent. */
    other = client_with(closed_url != NULL ? closed_url : "http://127.0.0.1:1", NULL, 0);
    if (other != NULL) {
        status = gw_create_session(other, &response);
        check("connect", GW_ERR_CONNECT, status, response);
        gw_client_free(other);
    }

    /* 4. Timeout: the gateway (gw-sim, told to) answers after 3 s; we wait 500 ms. */
    other = client_with(NULL, NULL, 500);
    if (other != NULL) {
        static const char *const slow[] = {"correlationId", "gw-sim:fault=delay,ms=3000"};
        status = execute(other, "CREATE_SESSION", slow, 1, &response);
        check("timeout", GW_ERR_TIMEOUT, status, response);
        gw_client_free(other);
    }

    /* 5. Authentication: a wrong API password (HTTP 401; the response is handed out). */
    other = client_with(NULL, "not-the-api-password", 0);
    if (other != NULL) {
        status = gw_create_session(other, &response);
        check("authentication", GW_ERR_AUTHENTICATION, status, response);
        gw_client_free(other);
    }

    /* 6. Gateway error: a card BIN that is not the card's; the gateway names the field. */
    status = gw_tokenize_p2pe(client, NULL, card.ksn, card.payload, example_or_null(card.iv), "000000", &response);
    check("gateway error", GW_ERR_GATEWAY, status, response);

    /* 7. Decline: the terminal flagged the encryption as invalid (result=FAILURE). */
    {
        const char *const fields[] = {
            "sourceOfFunds.type", "CARD",
            "sourceOfFunds.provided.card.p2pe.keySerialNumber", card.ksn,
            "sourceOfFunds.provided.card.p2pe.payload", card.payload,
            "sourceOfFunds.provided.card.p2pe.encryptionState", "INVALID",
            "sourceOfFunds.provided.card.p2pe.initializationVector", card.iv,
        };
        status = execute(client, "TOKENIZE", fields, card.iv[0] != '\0' ? 5 : 4, &response);
        check("declined", GW_DECLINED, status, response);
    }

    /* 8. Protocol: an answer that is not an NVP answer (gw-sim sends an HTML
     *    error page with HTTP 500, as a proxy might): no response, but
     *    gw_last_error_http_status() gives the HTTP status. */
    {
        static const char *const html[] = {"correlationId", "gw-sim:fault=http500-html"};
        status = execute(client, "CREATE_SESSION", html, 1, &response);
        check("protocol", GW_ERR_PROTOCOL, status, response);
    }

    /* 9. Pending: the gateway answers result=PENDING (gw-sim, told to). */
    {
        static const char *const pending[] = {"correlationId", "gw-sim:fault=result-pending"};
        status = execute(client, "CREATE_SESSION", pending, 1, &response);
        check("pending", GW_PENDING, status, response);
    }

    /* 10. Unknown result: the gateway answers result=UNKNOWN (gw-sim, told to). */
    {
        static const char *const unknown[] = {"correlationId", "gw-sim:fault=result-unknown"};
        status = execute(client, "CREATE_SESSION", unknown, 1, &response);
        check("unknown result", GW_UNKNOWN_RESULT, status, response);
    }

    gw_client_free(client);
    printf("%d unexpected\n", unexpected);
    return unexpected == 0 ? 0 : 1;
}
