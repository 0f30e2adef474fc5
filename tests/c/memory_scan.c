/*
 * Built and run by tests/c_abi.rs against gw-sim: after a TOKENIZE with a
 * clear card number and security code and after a P2PE TOKENIZE, with the
 * requests and responses freed and the client still alive, this program
 * scans its own writable memory (the heap and every anonymous read-write
 * mapping of /proc/self/maps) for the API password, the card number, the
 * security code and the P2PE payload, and prints how many copies it found.
 *
 * The secrets arrive reversed in argv, are turned around into heap buffers
 * only for the calls and wiped after them, and the scan compares against
 * the reversed text, so the program itself keeps no forward copy.
 *
 * A RETRIEVE_TOKEN of the card (issue 19): its answer's masked card number
 * is in memory once while the response lives, and nowhere once it is freed.
 *
 * Payments (issue 26): a PAY with the clear card and a P2PE PAY leave no
 * copy of the card number, security code or payload; a RETRIEVE_TRANSACTION
 * answer's masked card is in memory once while it lives, nowhere after.
 *
 * Then (issue 17.8), a CREATE_SESSION against a server whose answer carries
 * `session.aes256Key`: the key may be in memory once while the response is
 * alive (its own copy), and nowhere once it is freed, nor once the client is.
 *
 * argv: base_url merchant ca_file|- password_rev pan_rev cvc_rev ksn payload_rev card_bin
 *       [session_base_url session_ca_file|- aes256key_rev]
 */
#define _DEFAULT_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"
#include "check.h"

/* A heap copy of `reversed`, turned around. */
static char *unreverse(const char *reversed) {
    size_t n = strlen(reversed), i;
    char *text = malloc(n + 1);
    if (text == NULL) {
        abort();
    }
    for (i = 0; i < n; i++) {
        text[i] = reversed[n - 1 - i];
    }
    text[n] = '\0';
    return text;
}

static void wipe(char *text) {
    volatile char *p = text;
    while (*p) {
        *p++ = 0;
    }
    free(text);
}

/* Copies of the text whose reverse is `reversed` in [start, end). */
static unsigned count_in(const unsigned char *start, const unsigned char *end, const char *reversed) {
    size_t n = strlen(reversed), j;
    const unsigned char *p;
    unsigned found = 0;
    if ((size_t)(end - start) < n) {
        return 0;
    }
    for (p = start; p + n <= end; p++) {
        if (*p != (unsigned char)reversed[n - 1]) {
            continue;
        }
        for (j = 1; j < n && p[j] == (unsigned char)reversed[n - 1 - j]; j++) {
        }
        if (j == n) {
            found++;
        }
    }
    return found;
}

/* Copies in the heap and the anonymous read-write mappings. */
static unsigned count_copies(const char *reversed) {
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[512];
    unsigned found = 0;
    if (maps == NULL) {
        abort();
    }
    while (fgets(line, sizeof line, maps) != NULL) {
        unsigned long start, end;
        char perms[8], path[256] = "";
        if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &start, &end, perms, path) < 3) {
            continue;
        }
        if (perms[0] != 'r' || perms[1] != 'w') {
            continue;
        }
        if (path[0] != '\0' && strcmp(path, "[heap]") != 0) {
            continue;
        }
        found += count_in((const unsigned char *)start, (const unsigned char *)end, reversed);
    }
    fclose(maps);
    return found;
}

/* A client of argv's gateway (base URL, merchant, CA file or "-", the
   reversed password) at API `version`; the password is turned around only
   for the call and wiped. 0 with the client in *client; 1 (CHECK's) on failure. */
static int scan_client(char **argv, uint32_t version, gw_client **client) {
    gw_config *config = gw_config_new();
    char *password;
    CHECK(config != NULL);
    CHECK(gw_config_set_base_url(config, argv[1]) == GW_OK);
    CHECK(gw_config_set_merchant(config, argv[2]) == GW_OK);
    CHECK(gw_config_set_api_version(config, version) == GW_OK);
    if (strcmp(argv[3], "-") != 0) {
        CHECK(gw_config_set_ca_bundle(config, argv[3]) == GW_OK);
    }
    password = unreverse(argv[4]);
    CHECK(gw_config_set_api_password(config, password) == GW_OK);
    wipe(password);
    CHECK(gw_client_new(config, client) == GW_OK);
    gw_config_free(config);
    return 0;
}

/* Sets the clear card of argv (the reversed number and security code, each
   turned around only for the call and wiped) with the expiry 12/39, and
   sourceOfFunds.type=CARD. 0, or 1 (CHECK's) on failure. */
static int set_clear_card(gw_request *request, char **argv) {
    char *pan = unreverse(argv[5]), *cvc = unreverse(argv[6]);
    CHECK(gw_request_set(request, "sourceOfFunds.type", "CARD") == GW_OK);
    CHECK(gw_request_set(request, "sourceOfFunds.provided.card.number", pan) == GW_OK);
    CHECK(gw_request_set(request, "sourceOfFunds.provided.card.securityCode", cvc) == GW_OK);
    CHECK(gw_request_set(request, "sourceOfFunds.provided.card.expiry.month", "12") == GW_OK);
    CHECK(gw_request_set(request, "sourceOfFunds.provided.card.expiry.year", "39") == GW_OK);
    wipe(pan);
    wipe(cvc);
    return 0;
}

int main(int argc, char **argv) {
    gw_config *config;
    gw_client *client = NULL;
    gw_request *request = NULL;
    gw_response *response = NULL;
    char *payload;
    char token[41] = "", masked_rev[20];

    CHECK(argc == 10 || argc == 13);
    CHECK(scan_client(argv, 50, &client) == 0);

    /* TOKENIZE with a clear card number and security code. */
    CHECK(gw_request_new("TOKENIZE", &request) == GW_OK);
    CHECK(set_clear_card(request, argv) == 0);
    CHECK(gw_execute(client, request, &response) == GW_OK);
    strncpy(token, gw_response_get(response, "token"), sizeof token - 1);
    gw_response_free(response);
    gw_request_free(request);
    printf("card: password=%u pan=%u cvc=%u\n", count_copies(argv[4]), count_copies(argv[5]), count_copies(argv[6]));

    /* RETRIEVE_TOKEN: its answer holds the card masked, wiped when freed. */
    {
        size_t n = strlen(argv[5]);
        CHECK(n >= 12 && n < sizeof masked_rev);
        memcpy(masked_rev, argv[5], 4);
        memset(masked_rev + 4, 'x', n - 10);
        memcpy(masked_rev + n - 6, argv[5] + n - 6, 6);
        masked_rev[n] = '\0';
    }
    CHECK(gw_retrieve_token(client, token, &response) == GW_OK);
    CHECK(gw_response_get(response, "sourceOfFunds.provided.card.number") != NULL);
    printf("retrieve: masked_alive=%u", count_copies(masked_rev));
    gw_response_free(response);
    printf(" masked=%u\n", count_copies(masked_rev));

    /* P2PE TOKENIZE. */
    payload = unreverse(argv[8]);
    CHECK(gw_tokenize_p2pe(client, NULL, argv[7], payload, NULL, argv[9], &response) == GW_OK);
    wipe(payload);
    gw_response_free(response);

    printf("p2pe: password=%u pan=%u cvc=%u payload=%u\n", count_copies(argv[4]), count_copies(argv[5]),
           count_copies(argv[6]), count_copies(argv[8]));
    gw_client_free(client);

    /* Payments (issue 26), at API version 100: a PAY with the clear card and
       a P2PE PAY, then a RETRIEVE_TRANSACTION whose answer holds the card
       masked, wiped when freed. */
    CHECK(scan_client(argv, 100, &client) == 0);
    CHECK(gw_request_new("PAY", &request) == GW_OK);
    CHECK(gw_request_set(request, "order.id", "scan-1") == GW_OK);
    CHECK(gw_request_set(request, "transaction.id", "1") == GW_OK);
    CHECK(gw_request_set(request, "order.amount", "12.50") == GW_OK);
    CHECK(gw_request_set(request, "order.currency", "USD") == GW_OK);
    CHECK(set_clear_card(request, argv) == 0);
    CHECK(gw_execute(client, request, &response) == GW_OK);
    gw_response_free(response);
    gw_request_free(request);
    payload = unreverse(argv[8]);
    CHECK(gw_request_pay_p2pe("PAY", "scan-2", "1", "3.00", "USD", argv[7], payload, NULL, argv[9], &request) == GW_OK);
    wipe(payload);
    CHECK(gw_execute(client, request, &response) == GW_OK);
    gw_response_free(response);
    gw_request_free(request);
    printf("pay: pan=%u cvc=%u payload=%u\n", count_copies(argv[5]), count_copies(argv[6]), count_copies(argv[8]));
    CHECK(gw_retrieve_transaction(client, "scan-1", "1", &response) == GW_OK);
    CHECK(gw_response_get(response, "sourceOfFunds.provided.card.number") != NULL);
    printf("retrieve_pay: masked_alive=%u", count_copies(masked_rev));
    gw_response_free(response);
    printf(" masked=%u\n", count_copies(masked_rev));
    gw_client_free(client);

    if (argc == 13) {
        /* CREATE_SESSION: an answer with a secret in it. */
        config = gw_config_new();
        CHECK(config != NULL);
        CHECK(gw_config_set_base_url(config, argv[10]) == GW_OK);
        CHECK(gw_config_set_merchant(config, argv[2]) == GW_OK);
        if (strcmp(argv[11], "-") != 0) {
            CHECK(gw_config_set_ca_bundle(config, argv[11]) == GW_OK);
        }
        CHECK(gw_config_set_api_password(config, "not-the-scanned-password") == GW_OK);
        CHECK(gw_client_new(config, &client) == GW_OK);
        gw_config_free(config);
        CHECK(gw_create_session(client, &response) == GW_OK);
        CHECK(gw_response_get(response, "session.aes256Key") != NULL);
        printf("session: key_alive=%u", count_copies(argv[12]));
        gw_response_free(response);
        printf(" key_freed=%u", count_copies(argv[12]));
        gw_client_free(client);
        printf(" key_client_freed=%u\n", count_copies(argv[12]));
    }
    return 0;
}
