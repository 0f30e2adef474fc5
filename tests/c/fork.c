/*
 * Built and run by tests/c_programs.rs against gw-sim over TLS (issue 17.5):
 * a till makes a call (so a pooled TLS connection exists), then forks, and
 * parent and child both use the client at once. Each call is a
 * CREATE_SESSION with a correlationId naming its process and round; gw-sim
 * echoes it, so an answer that reached the wrong process shows. The child
 * frees the client (which must not send a TLS close on the parent's
 * connection either) and reports by its exit status. No retries: a retry
 * would hide a broken exchange. SIGPIPE is ignored here so that a write on a
 * connection the other process broke shows as an error, counted, rather
 * than ending the run: sigpipe.c is the test of the default disposition.
 *
 * argv: base_url ca_file merchant password rounds
 * Prints "ROUNDS rounds: X cross-talk, E errors"; exits 0 only with 0 and 0.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gw.h"
#include "check.h"

enum outcome { OWN = 0, FAILED = 1, CROSSTALK = 2 };

/* A CREATE_SESSION with correlationId `mine`: OWN when its answer echoes it. */
static enum outcome call(const gw_client *client, const char *mine) {
    gw_request *request = NULL;
    gw_response *response = NULL;
    enum outcome outcome = FAILED;

    if (gw_request_new("CREATE_SESSION", &request) != GW_OK ||
        gw_request_set(request, "correlationId", mine) != GW_OK) {
        fprintf(stderr, "%s: building the request: %s\n", mine, gw_last_error());
    } else if (gw_execute(client, request, &response) != GW_OK) {
        fprintf(stderr, "%s: %s\n", mine, gw_last_error());
    } else {
        const char *echoed = gw_response_get(response, "correlationId");
        outcome = echoed != NULL && strcmp(echoed, mine) == 0 ? OWN : CROSSTALK;
        if (outcome == CROSSTALK) {
            fprintf(stderr, "%s: the answer was for %s\n", mine, echoed != NULL ? echoed : "(none)");
        }
    }
    gw_response_free(response);
    gw_request_free(request);
    return outcome;
}

int main(int argc, char **argv) {
    gw_config *config;
    gw_client *client = NULL;
    int rounds, round, crosstalk = 0, errors = 0;
    char mine[96];

    CHECK(argc == 6);
    CHECK(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
    rounds = atoi(argv[5]);
    config = gw_config_new();
    CHECK(config != NULL);
    CHECK(gw_config_set_base_url(config, argv[1]) == GW_OK);
    CHECK(gw_config_set_ca_bundle(config, argv[2]) == GW_OK);
    CHECK(gw_config_set_merchant(config, argv[3]) == GW_OK);
    CHECK(gw_config_set_api_password(config, argv[4]) == GW_OK);
    CHECK(gw_config_set_timeout_ms(config, 5000) == GW_OK);
    CHECK(gw_config_set_retries(config, 0) == GW_OK);
    CHECK(gw_client_new(config, &client) == GW_OK);
    gw_config_free(config);
    CHECK(call(client, "fork-warm-up") == OWN);

    for (round = 0; round < rounds; round++) {
        int status;
        enum outcome outcome;
        pid_t child = fork();
        CHECK(child >= 0);
        if (child == 0) {
            snprintf(mine, sizeof mine, "fork-child-%ld-%d", (long)getpid(), round);
            outcome = call(client, mine);
            gw_client_free(client);
            fflush(stderr);
            _exit((int)outcome);
        }
        snprintf(mine, sizeof mine, "fork-parent-%ld-%d", (long)getpid(), round);
        outcome = call(client, mine);
        crosstalk += outcome == CROSSTALK;
        errors += outcome == FAILED;
        CHECK(waitpid(child, &status, 0) == child);
        if (!WIFEXITED(status) || WEXITSTATUS(status) == FAILED) {
            errors++;
        } else if (WEXITSTATUS(status) == CROSSTALK) {
            crosstalk++;
        }
    }
    gw_client_free(client);
    printf("%d rounds: %d cross-talk, %d errors\n", rounds, crosstalk, errors);
    return crosstalk != 0 || errors != 0;
}
