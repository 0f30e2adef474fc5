/*
 * create_session.c: CREATE_SESSION, then print every field of the answer.
 *
 *   GW_BASE_URL=... GW_MERCHANT=... GW_API_PASSWORD=... ./create_session
 *
 * A session is what a payment page or a later TOKENIZE refers to; gw gives
 * it back as a response whose fields are read by name or by index.
 */
#include <inttypes.h>
#include <stdio.h>

#include "example_config.h"
#include "gw.h"

int main(void) {
    gw_client *client = example_client_from_env();
    gw_response *session = NULL;
    gw_status status;
    size_t i;

    if (client == NULL) {
        return 1;
    }
    status = gw_create_session(client, &session);
    if (status != GW_OK) {
        example_report("CREATE_SESSION", status, session);
        gw_response_free(session);
        gw_client_free(client);
        return 1;
    }

    /* The two fields a POS keeps: */
    printf("session.id=%s\n", gw_response_get(session, "session.id"));
    printf("session.version=%s\n", gw_response_get(session, "session.version"));
    printf("HTTP %u in %" PRIu64 " ms, %zu fields:\n", (unsigned)gw_response_http_status(session),
           gw_response_duration_ms(session), gw_response_len(session));

    /* Every field, in the gateway's order. */
    for (i = 0; i < gw_response_len(session); i++) {
        const char *name = NULL;
        const char *value = NULL;
        if (gw_response_field(session, i, &name, &value) == GW_OK) {
            printf("  %s=%s\n", name, value);
        }
    }

    gw_response_free(session);
    gw_client_free(client);
    return 0;
}
