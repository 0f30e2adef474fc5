/*
 * The 32-bit link check (scripts/test-windows.sh): a C caller of gw.dll built
 * with i686-w64-mingw32-gcc -mrtd, i.e. stdcall by default, as a legacy
 * 32-bit POS host built with /Gz would be. gw's functions must still be
 * __cdecl (GW_CALL): with -Werror, assigning them to __cdecl function
 * pointers fails to compile if the header left the convention to the
 * compiler's default. Linking proves the import library's undecorated names.
 */
#include <stdio.h>

#include "gw.h"

typedef const char *(__cdecl *version_fn)(void);
typedef gw_status (__cdecl *client_new_fn)(const gw_config *, gw_client **);
typedef void (__cdecl *config_free_fn)(gw_config *);

int main(void) {
    version_fn version = gw_version;
    client_new_fn client_new = gw_client_new;
    config_free_fn config_free = gw_config_free;
    gw_config *config = gw_config_new();
    gw_client *client = NULL;
    gw_status status = client_new(config, &client); /* no base URL: GW_ERR_CONFIG */
    printf("gw %s: %s\n", version(), gw_status_name(status));
    config_free(config);
    return status == GW_ERR_CONFIG ? 0 : 1;
}
