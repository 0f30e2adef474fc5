// example.cpp: gw from C++ with the header-only wrapper gw.hpp.
//
//   GW_BASE_URL=... GW_MERCHANT=... GW_API_PASSWORD=...
//   GW_P2PE_KSN=... GW_P2PE_PAYLOAD=... [GW_P2PE_IV=...] [GW_P2PE_CARD_BIN=...] ./example
//
// Creates a session, tokenizes the terminal's card with the till's
// correlationId, then shows what a gw::Error carries when the gateway refuses
// a request. gw's warnings and errors (a retry, a failed call) go to stderr.
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "gw.hpp"

namespace {

std::optional<std::string_view> env(const char *name) {
    const char *value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        return std::nullopt;
    }
    return std::string_view(value);
}

std::string_view required(const char *name) {
    auto value = env(name);
    if (!value) {
        throw std::runtime_error(std::string("set ") + name);
    }
    return *value;
}

gw::Config config_from_env() {
    gw::Config config;
    config.base_url(required("GW_BASE_URL")).merchant(required("GW_MERCHANT")).api_password(required("GW_API_PASSWORD"));
    // Called from whichever thread makes the call; never given the password or card data.
    config.log(GW_LOG_WARN, [](std::uint32_t level, std::string_view message) {
        std::cerr << "gw " << (level == GW_LOG_ERROR ? "error" : "warning") << ": " << message << '\n';
    });
    if (auto ca_bundle = env("GW_CA_BUNDLE")) {
        config.ca_bundle(*ca_bundle);
    }
    return config;
}

void print_error(const gw::Error &err) {
    std::cerr << err.what() << '\n';  // status name and gw's message: never the password or card data
    if (!err.field().empty()) {
        std::cerr << "  field: " << err.field() << '\n';
    }
    if (err.response()) {
        std::cerr << "  HTTP " << err.http_status() << " error.cause=" << err.cause()
                  << " error.validationType=" << err.validation_type() << '\n'
                  << "  error.explanation=" << err.explanation() << '\n';
    }
}

}  // namespace

int main() {
    try {
        const gw::Client client(config_from_env());

        const gw::Response session = client.create_session();
        std::cout << "session.id=" << session.at("session.id") << '\n';

        const gw::P2peCard card{required("GW_P2PE_KSN"), required("GW_P2PE_PAYLOAD"), env("GW_P2PE_IV"),
                                env("GW_P2PE_CARD_BIN")};
        // The card in a validated TOKENIZE request, extended with the till's own reference.
        const gw::Response token =
            client.execute(gw::Request::tokenize_p2pe(card).set("correlationId", "till-1/sale-1"));
        std::cout << "token=" << token.at("token") << '\n';
        std::cout << "correlationId=" << token.at("correlationId") << '\n';
        std::cout << "card=" << token.get("sourceOfFunds.provided.card.brand").value_or("?") << ' '
                  << token.get("sourceOfFunds.provided.card.number").value_or("?") << '\n';

        // A card BIN that is not the card's: the gateway answers result=ERROR naming the field.
        gw::P2peCard wrong_bin = card;
        wrong_bin.card_bin = "000000";
        try {
            client.tokenize_p2pe(wrong_bin);
            std::cerr << "expected a gateway error\n";
            return 1;
        } catch (const gw::Error &err) {
            print_error(err);
            std::cout << "refused: " << err.status_name() << " field=" << err.gateway_error_field() << '\n';
        }
        return 0;
    } catch (const gw::Error &err) {
        print_error(err);
        return 1;
    } catch (const std::exception &err) {
        std::cerr << "example: " << err.what() << '\n';
        return 2;
    }
}
