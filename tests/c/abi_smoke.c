/*
 * Built and run by tests/c_programs.rs against gw-sim: the C ABI as a C program
 * sees it. Prints what it got; the Rust test checks the output.
 * argv: base_url merchant password ksn payload card_bin
 */
#include <stdio.h>
#include <string.h>

#include "gw.h"
#include "check.h"

#if GW_VERSION_NUMBER != ((GW_VERSION_MAJOR << 16) | (GW_VERSION_MINOR << 8) | GW_VERSION_PATCH)
#error "GW_VERSION_NUMBER disagrees with GW_VERSION_MAJOR/MINOR/PATCH"
#endif

int main(int argc, char **argv) {
    gw_config *config;
    gw_client *client = NULL;
    gw_response *response = NULL;
    gw_request *request = NULL;
    char version[32];

    CHECK(argc == 7);
    snprintf(version, sizeof version, "%d.%d.%d", GW_VERSION_MAJOR, GW_VERSION_MINOR, GW_VERSION_PATCH);
    CHECK(strcmp(gw_version(), version) == 0);

    config = gw_config_new();
    CHECK(config != NULL);
    CHECK(gw_config_set_base_url(config, argv[1]) == GW_OK);
    CHECK(gw_config_set_merchant(config, argv[2]) == GW_OK);
    CHECK(gw_config_set_api_password(config, argv[3]) == GW_OK);
    CHECK(gw_client_new(config, &client) == GW_OK);
    gw_config_free(config);

    CHECK(gw_create_session(client, &response) == GW_OK);
    printf("session.id=%s\n", gw_response_get(response, "session.id"));
    gw_response_free(response);

    CHECK(gw_tokenize_p2pe(client, NULL, argv[4], argv[5], NULL, argv[6], &response) == GW_OK);
    printf("token=%s\n", gw_response_get(response, "token"));
    gw_response_free(response);

    CHECK(gw_tokenize_p2pe(client, NULL, "FFFF", argv[5], NULL, NULL, &response) == GW_ERR_INVALID_FIELD);
    CHECK(response == NULL);
    printf("invalid field=%s\n", gw_last_error_field());

    CHECK(gw_request_new("CREATE_SESSION", &request) == GW_OK);
    CHECK(gw_request_set(request, "correlationId", "c-abi-smoke") == GW_OK);
    CHECK(gw_execute(client, request, &response) == GW_OK);
    printf("correlationId=%s http=%u\n", gw_response_get(response, "correlationId"),
           (unsigned)gw_response_http_status(response));
    gw_response_free(response);
    gw_request_free(request);

    gw_client_free(client);
    printf("status 3=%s\n", gw_status_str(GW_ERR_INVALID_FIELD));
    return 0;
}
