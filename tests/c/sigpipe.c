/*
 * Built and run by tests/c_programs.rs against the hostile server of
 * tests/common/hostile.rs (issue 17.2): a till keeps SIGPIPE at its default
 * disposition, so a socket write of gw's that raises it ends the till. This
 * program sets SIGPIPE to SIG_DFL explicitly, then makes CREATE_SESSION
 * calls against servers (and proxies) that reset connections: the idle
 * pooled connection before the next call, right after accept, after reading
 * the request, and the proxy's own connection around its CONNECT. It must
 * print each call's status and exit 0; killed by SIGPIPE it exits with
 * signal 13 (141 in a shell).
 *
 * argv: merchant password, then per scenario five arguments:
 *   label base_url ca_file|- proxy_url|- calls
 * A scenario with two calls waits 400 ms between them (the server resets the
 * idle connection meanwhile).
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw.h"
#include "check.h"

static void pause_ms(long ms) {
    struct timespec wait;
    wait.tv_sec = ms / 1000;
    wait.tv_nsec = (ms % 1000) * 1000000L;
    nanosleep(&wait, NULL);
}

int main(int argc, char **argv) {
    int i;

    CHECK(argc >= 3 && (argc - 3) % 5 == 0);
    /* The till's disposition, whatever this process inherited. */
    CHECK(signal(SIGPIPE, SIG_DFL) != SIG_ERR);
    for (i = 3; i < argc; i += 5) {
        const char *label = argv[i], *ca = argv[i + 2], *proxy = argv[i + 3];
        int calls = atoi(argv[i + 4]), n;
        gw_config *config = gw_config_new();
        gw_client *client = NULL;

        CHECK(config != NULL);
        CHECK(gw_config_set_base_url(config, argv[i + 1]) == GW_OK);
        CHECK(gw_config_set_merchant(config, argv[1]) == GW_OK);
        CHECK(gw_config_set_api_password(config, argv[2]) == GW_OK);
        CHECK(gw_config_set_connect_timeout_ms(config, 2000) == GW_OK);
        CHECK(gw_config_set_timeout_ms(config, 2000) == GW_OK);
        CHECK(gw_config_set_retries(config, 1) == GW_OK);
        if (strcmp(ca, "-") != 0) {
            CHECK(gw_config_set_ca_bundle(config, ca) == GW_OK);
        }
        if (strcmp(proxy, "-") != 0) {
            CHECK(gw_config_set_proxy(config, proxy) == GW_OK);
        }
        CHECK(gw_client_new(config, &client) == GW_OK);
        gw_config_free(config);
        for (n = 1; n <= calls; n++) {
            gw_response *response = NULL;
            gw_status status;
            if (n > 1) {
                pause_ms(400);
            }
            status = gw_create_session(client, &response);
            printf("%s call %d: %s\n", label, n, gw_status_name(status));
            fflush(stdout);
            gw_response_free(response);
        }
        gw_client_free(client);
    }
    printf("exit 0\n");
    return 0;
}
