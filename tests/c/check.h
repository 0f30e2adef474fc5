/*
 * CHECK(cond) for the C test programs: on failure, print the line, the
 * condition and gw's last error, and return 1 from main.
 */
#ifndef GW_TEST_CHECK_H
#define GW_TEST_CHECK_H

#include <stdio.h>

#include "gw.h"

#define CHECK(cond)                                                       \
    do {                                                                  \
        if (!(cond)) {                                                    \
            fprintf(stderr, "CHECK failed line %d: %s (last error: %s)\n", \
                    __LINE__, #cond, gw_last_error());                    \
            return 1;                                                     \
        }                                                                 \
    } while (0)

#endif
