/*
 * example_config.h: what every gw example needs and none should copy-paste:
 * the configuration from the environment, the card from the terminal, and a
 * report of a failed call. Header-only (static inline), plain C99.
 *
 * The environment, so the same binary runs against gw-sim or a real gateway:
 *   GW_BASE_URL            https://ap-gateway.mastercard.com, or gw-sim's URL   (required)
 *   GW_MERCHANT            merchant ID                                          (required)
 *   GW_API_PASSWORD        API password, never printed                          (required)
 *   GW_CA_BUNDLE           PEM file of CAs to trust instead of the default roots
 *   GW_API_VERSION         NVP API version (default 50)
 *   GW_TIMEOUT_MS          timeout of the whole call, retries included (default 60000)
 *   GW_CONNECT_TIMEOUT_MS  connect timeout of one attempt (default 15000)
 *   GW_RETRIES             retries where safe (default 2)
 *   GW_LOG                 error, warn, info or debug: gw's log on stderr
 * The card, as a P2PE terminal hands it over (`gw-sim terminal` prints these):
 *   GW_P2PE_KSN, GW_P2PE_PAYLOAD, GW_P2PE_IV (optional), GW_P2PE_CARD_BIN (optional)
 */
#ifndef EXAMPLE_CONFIG_H
#define EXAMPLE_CONFIG_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw.h"

/* The value of an environment variable; NULL when unset or empty. */
static inline const char *example_env(const char *name) {
    const char *value = getenv(name);
    return (value != NULL && *value != '\0') ? value : NULL;
}

/* A required environment variable: exits with status 2 when it is missing. */
static inline const char *example_env_required(const char *name) {
    const char *value = example_env(name);
    if (value == NULL) {
        fprintf(stderr, "set %s (see example_config.h)\n", name);
        exit(2);
    }
    return value;
}

/* A numeric environment variable; `fallback` when unset, exit 2 when not a number. */
static inline unsigned long example_env_number(const char *name, unsigned long fallback) {
    const char *value = example_env(name);
    char *end = NULL;
    unsigned long number;
    if (value == NULL) {
        return fallback;
    }
    errno = 0;
    number = strtoul(value, &end, 10);
    if (errno != 0 || end == value || *end != '\0' || number > 0xFFFFFFFFUL) {
        fprintf(stderr, "%s must be a number\n", name);
        exit(2);
    }
    return number;
}

/* The macro name of a status ("GW_ERR_TIMEOUT"), for logs a developer can
 * grep: gw_status_name, which is NULL for a value that is no status. */
static inline const char *example_status_name(gw_status status) {
    const char *name = gw_status_name(status);
    return name != NULL ? name : "GW_(unknown)";
}

/* gw's log, on stderr. Called from any thread: one fprintf per message. */
static inline void example_log(void *userdata, uint32_t level, const char *message) {
    static const char *const levels[] = {"?", "error", "warn", "info", "debug"};
    (void)userdata;
    fprintf(stderr, "gw %s: %s\n", levels[level <= GW_LOG_DEBUG ? level : 0], message);
}

/* Applies the environment to `config`; GW_OK or the first failing status. */
static inline gw_status example_config_from_env(gw_config *config) {
    const char *ca_bundle = example_env("GW_CA_BUNDLE");
    const char *log = example_env("GW_LOG");
    uint32_t level = 0;
    gw_status status;
    if ((status = gw_config_set_base_url(config, example_env_required("GW_BASE_URL"))) != GW_OK ||
        (status = gw_config_set_merchant(config, example_env_required("GW_MERCHANT"))) != GW_OK ||
        (status = gw_config_set_api_password(config, example_env_required("GW_API_PASSWORD"))) != GW_OK ||
        (status = gw_config_set_api_version(config, (uint32_t)example_env_number("GW_API_VERSION", 50))) != GW_OK ||
        (status = gw_config_set_timeout_ms(config, (uint32_t)example_env_number("GW_TIMEOUT_MS", 60000))) != GW_OK ||
        (status = gw_config_set_connect_timeout_ms(
             config, (uint32_t)example_env_number("GW_CONNECT_TIMEOUT_MS", 15000))) != GW_OK ||
        (status = gw_config_set_retries(config, (uint32_t)example_env_number("GW_RETRIES", 2))) != GW_OK ||
        (ca_bundle != NULL && (status = gw_config_set_ca_bundle(config, ca_bundle)) != GW_OK)) {
        return status;
    }
    if (log != NULL) {
        level = strcmp(log, "error") == 0  ? GW_LOG_ERROR
                : strcmp(log, "warn") == 0 ? GW_LOG_WARN
                : strcmp(log, "info") == 0 ? GW_LOG_INFO
                                           : GW_LOG_DEBUG;
        status = gw_config_set_log(config, level, example_log, NULL);
    }
    return status;
}

/* Prints the gateway's HTTP status, result and error fields of `response`
 * (NULL: nothing), each line starting with `indent`. */
static inline void example_print_answer(FILE *out, const char *indent, const gw_response *response) {
    static const char *const error_fields[] = {"error.cause", "error.explanation", "error.field",
                                               "error.validationType", "error.supportCode",
                                               "response.gatewayCode"};
    size_t i;
    if (response == NULL) {
        return;
    }
    fprintf(out, "%sHTTP %u result=%s\n", indent, (unsigned)gw_response_http_status(response),
            gw_response_result(response));
    for (i = 0; i < sizeof error_fields / sizeof error_fields[0]; i++) {
        const char *value = gw_response_get(response, error_fields[i]);
        if (value != NULL) {
            fprintf(out, "%s%s=%s\n", indent, error_fields[i], value);
        }
    }
}

/* Prints why a call failed: the status, gw's message (never the password or
 * card data), the field, the HTTP status when an answer came, and the
 * gateway's error fields when it answered in NVP. */
static inline void example_report(const char *what, gw_status status, const gw_response *response) {
    const char *field = gw_last_error_field();
    fprintf(stderr, "%s failed: %s (%u): %s\n", what, example_status_name(status), (unsigned)status,
            gw_last_error());
    if (field != NULL) {
        fprintf(stderr, "  field: %s\n", field);
    }
    if (response == NULL && gw_last_error_http_status() != 0) {
        /* An answer came but was no NVP answer (GW_ERR_PROTOCOL): only its HTTP status is known. */
        fprintf(stderr, "  HTTP %u, not an NVP answer\n", (unsigned)gw_last_error_http_status());
    }
    example_print_answer(stderr, "  ", response);
}

/* A client configured from the environment; NULL (after a report) on failure. */
static inline gw_client *example_client_from_env(void) {
    gw_config *config = gw_config_new();
    gw_client *client = NULL;
    gw_status status;
    if (config == NULL) {
        fprintf(stderr, "out of memory\n");
        return NULL;
    }
    status = example_config_from_env(config);
    if (status == GW_OK) {
        status = gw_client_new(config, &client);
    }
    if (status != GW_OK) {
        example_report("configuration", status, NULL);
    }
    gw_config_free(config); /* the client keeps its own copy */
    return client;
}

/* The P2PE fields of one card read by the terminal. Empty = not given.
 * Sized for AES DUKPT terminals too: a 24-hex-digit KSN, a 32-hex-digit IV. */
typedef struct {
    char ksn[32];
    char payload[1040];
    char iv[40];
    char card_bin[16];
} example_card;

static inline const char *example_or_null(const char *text) {
    return *text != '\0' ? text : NULL;
}

/* Copies `value` into `field` (size `size`); 0 when it does not fit. */
static inline int example_card_set(char *field, size_t size, const char *value) {
    size_t length = strlen(value);
    if (length >= size) {
        return 0;
    }
    memcpy(field, value, length + 1);
    return 1;
}

/* Sets the field named NAME (GW_P2PE_KSN, ...) of `card`; unknown names are ignored. */
static inline int example_card_set_named(example_card *card, const char *name, const char *value) {
    if (strcmp(name, "GW_P2PE_KSN") == 0) {
        return example_card_set(card->ksn, sizeof card->ksn, value);
    }
    if (strcmp(name, "GW_P2PE_PAYLOAD") == 0) {
        return example_card_set(card->payload, sizeof card->payload, value);
    }
    if (strcmp(name, "GW_P2PE_IV") == 0) {
        return example_card_set(card->iv, sizeof card->iv, value);
    }
    if (strcmp(name, "GW_P2PE_CARD_BIN") == 0) {
        return example_card_set(card->card_bin, sizeof card->card_bin, value);
    }
    return 1;
}

/* Reads the `NAME=value` lines `gw-sim terminal` prints (an optional
 * leading "export " is allowed). 0 on a read error or an oversized value. */
static inline int example_card_read(example_card *card, FILE *in) {
    char line[1200];
    while (fgets(line, sizeof line, in) != NULL) {
        char *name = line;
        char *equals;
        size_t length = strlen(line);
        if (length > 0 && line[length - 1] != '\n' && !feof(in)) {
            return 0; /* longer than any P2PE field */
        }
        line[strcspn(line, "\r\n")] = '\0';
        if (strncmp(name, "export ", 7) == 0) {
            name += 7;
        }
        equals = strchr(name, '=');
        if (equals == NULL) {
            continue;
        }
        *equals = '\0';
        if (!example_card_set_named(card, name, equals + 1)) {
            return 0;
        }
    }
    return !ferror(in);
}

/* Loads the card, in this order of preference:
 *   program KSN PAYLOAD [IV|- [CARD_BIN|-]]   the fields as arguments
 *   program FILE | program -                  NAME=value lines from a file or stdin
 *   program                                   GW_P2PE_* environment variables
 * 1 when the KSN and payload were found; 0 (after a message) otherwise. */
static inline int example_card_load(example_card *card, int argc, char **argv) {
    static const char *const names[] = {"GW_P2PE_KSN", "GW_P2PE_PAYLOAD", "GW_P2PE_IV", "GW_P2PE_CARD_BIN"};
    int ok = 1;
    int i;
    memset(card, 0, sizeof *card);
    if (argc >= 3) {
        for (i = 1; i < argc && i <= 4; i++) {
            if (strcmp(argv[i], "-") != 0) {
                ok = ok && example_card_set_named(card, names[i - 1], argv[i]);
            }
        }
    } else if (argc == 2) {
        FILE *in = strcmp(argv[1], "-") == 0 ? stdin : fopen(argv[1], "r");
        if (in == NULL) {
            fprintf(stderr, "cannot open %s\n", argv[1]);
            return 0;
        }
        ok = example_card_read(card, in);
        if (in != stdin) {
            fclose(in);
        }
    } else {
        for (i = 0; i < 4; i++) {
            const char *value = example_env(names[i]);
            ok = ok && (value == NULL || example_card_set_named(card, names[i], value));
        }
    }
    if (!ok || card->ksn[0] == '\0' || card->payload[0] == '\0') {
        fprintf(stderr, "usage: %s KSN PAYLOAD [IV|- [CARD_BIN|-]] | %s FILE|- | GW_P2PE_KSN=... GW_P2PE_PAYLOAD=... %s\n",
                argv[0], argv[0], argv[0]);
        return 0;
    }
    return 1;
}

/* TOKENIZE of `card` (the gateway generates the token); the status, `*out` as gw hands it out. */
static inline gw_status example_tokenize(const gw_client *client, const example_card *card, gw_response **out) {
    return gw_tokenize_p2pe(client, NULL, card->ksn, card->payload, example_or_null(card->iv),
                            example_or_null(card->card_bin), out);
}

#endif /* EXAMPLE_CONFIG_H */
