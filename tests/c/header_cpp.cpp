// The header compiles as C++17 and its declarations are usable from C++.
#include "gw.h"

#include <cstdio>

static_assert(GW_OK == 0, "GW_OK is 0");

int main() {
    gw_config *config = gw_config_new();
    gw_status status = gw_config_set_base_url(config, nullptr);
    std::printf("%u %s\n", static_cast<unsigned>(status), gw_status_str(status));
    gw_config_free(config);
    return status == GW_ERR_NULL_ARGUMENT ? 0 : 1;
}
