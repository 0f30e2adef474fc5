// test_gw.cpp: the C++ wrapper against gw-sim. Exits non-zero on the first
// failed check. Needs GW_BASE_URL, GW_MERCHANT, GW_API_PASSWORD, GW_P2PE_KSN,
// GW_P2PE_PAYLOAD, GW_P2PE_IV, GW_P2PE_CARD_BIN (a Visa card), GW_CLOSED_URL.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <iterator>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "gw.hpp"

namespace {

int failures = 0;

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            std::cerr << __FILE__ << ':' << __LINE__ << ": CHECK failed: " #cond "\n"; \
            ++failures;                                                               \
        }                                                                             \
    } while (0)

std::string env(const char *name) {
    const char *value = std::getenv(name);
    if (value == nullptr) {
        std::cerr << "set " << name << '\n';
        std::exit(2);
    }
    return value;
}

gw::Config config(const std::string &base_url, const std::string &password) {
    gw::Config c;
    c.base_url(base_url).merchant(env("GW_MERCHANT")).api_password(password).retries(0);
    return c;
}

// Runs `body`, which must throw gw::Error with `status`; returns it.
std::optional<gw::Error> expect_error(gw_status status, const std::function<void()> &body) {
    try {
        body();
    } catch (const gw::Error &err) {
        if (err.status() != status) {
            std::cerr << "  wanted " << gw::status_name(status) << ", got " << err.what() << '\n';
        }
        CHECK(err.status() == status);
        return err;
    }
    std::cerr << "  no exception, wanted " << gw::status_name(status) << '\n';
    ++failures;
    return std::nullopt;
}

}  // namespace

int main() {
    static_assert(!std::is_copy_constructible_v<gw::Client>, "handles are not copyable");
    static_assert(std::is_nothrow_move_constructible_v<gw::Response>, "responses move");
    const std::string url = env("GW_BASE_URL");
    const std::string password = env("GW_API_PASSWORD");
    const std::string ksn = env("GW_P2PE_KSN"), payload = env("GW_P2PE_PAYLOAD");
    const std::string iv = env("GW_P2PE_IV"), bin = env("GW_P2PE_CARD_BIN");
    const gw::P2peCard card{ksn, payload, iv, bin};

    CHECK(gw::version().rfind(std::to_string(GW_VERSION_MAJOR) + ".", 0) == 0);

    // gw_status_name: every status of gw.h by its macro name, NULL past the last.
#define STATUS(name) {name, #name}
    const std::pair<gw_status, const char *> statuses[] = {
        STATUS(GW_OK), STATUS(GW_ERR_NULL_ARGUMENT), STATUS(GW_ERR_INVALID_UTF8), STATUS(GW_ERR_INVALID_FIELD),
        STATUS(GW_ERR_CONFIG), STATUS(GW_ERR_CONNECT), STATUS(GW_ERR_TIMEOUT), STATUS(GW_ERR_TLS), STATUS(GW_ERR_IO),
        STATUS(GW_ERR_PROTOCOL), STATUS(GW_ERR_AUTHENTICATION), STATUS(GW_ERR_GATEWAY), STATUS(GW_DECLINED),
        STATUS(GW_PENDING), STATUS(GW_UNKNOWN_RESULT), STATUS(GW_ERR_INTERNAL), STATUS(GW_ERR_OUT_OF_RANGE),
        STATUS(GW_GATEWAY_SHUTDOWN),
        STATUS(GW_ERR_JOURNAL),
    };
#undef STATUS
    for (gw_status status = 0; status < std::size(statuses); ++status) {
        CHECK(statuses[status].first == status);
        const char *name = gw_status_name(status);
        CHECK(name != nullptr && std::string(name) == statuses[status].second);
        CHECK(std::string(gw::status_name(status)) == statuses[status].second);
    }
    CHECK(gw_status_name(static_cast<gw_status>(std::size(statuses))) == nullptr);
    CHECK(std::string(gw::status_name(static_cast<gw_status>(std::size(statuses)))) == "GW_(unknown)");

    // The field-rule table's sensitivity: secrets and card data, request and response.
    CHECK(gw::field_is_sensitive("apiPassword"));
    CHECK(gw::field_is_sensitive("session.aes256Key"));
    CHECK(gw::field_is_sensitive("sourceOfFunds.provided.card.p2pe.payload"));
    CHECK(!gw::field_is_sensitive("correlationId"));

    const gw::Client client(config(url, password));

    // CREATE_SESSION and the Response accessors.
    gw::Response session = client.create_session();
    CHECK(session.result() == "SUCCESS");
    CHECK(session.http_status() == 200);
    CHECK(session.at("session.id").rfind("SESSION0002", 0) == 0 && session.at("session.id").size() == 31);
    CHECK(!session.get("no.such.field"));
    CHECK(session.fields().size() == session.size() && session.size() >= 4);
    bool threw = false;
    try {
        (void)session.at("no.such.field");
    } catch (const std::out_of_range &) {
        threw = true;
    }
    CHECK(threw);
    gw::Response moved = std::move(session);
    CHECK(moved.result() == "SUCCESS");

    // TOKENIZE.
    const gw::Response token = client.tokenize_p2pe(card);
    CHECK(token.at("token").size() == 16 && token.at("token")[0] == '9');
    CHECK(token.at("sourceOfFunds.provided.card.number") == "476173xxxxxx0010");
    // gw-sim's default repository generates tokens: a named token updates one it holds.
    const std::string generated(token.at("token"));
    CHECK(client.tokenize_p2pe(card, std::string_view(generated)).at("token") == generated);

    // The token's lifecycle: check the gateway, retrieve, delete.
    CHECK(client.check_gateway().at("status") == "OPERATING");
    const gw::Response held = client.retrieve_token(generated);
    CHECK(held.at("status") == "VALID");
    CHECK(held.at("sourceOfFunds.provided.card.number") == "476173xxxxxx0010");
    CHECK(client.delete_token(generated).result() == "SUCCESS");
    if (auto err = expect_error(GW_ERR_GATEWAY, [&] { client.retrieve_token(generated); })) {
        CHECK(err->field() == "token");
    }
    expect_error(GW_ERR_INVALID_FIELD, [&] { client.delete_token("not a token"); });
    CHECK(gw::Config().token_repository_unique_card(true).c_handle() != nullptr);

    // A session holding the card, retrieved masked, then paying.
    const std::string session_id(client.create_session().at("session.id"));
    const gw::Response updated = client.update_session(
        session_id, {{"sourceOfFunds.type", "CARD"},
                     {"sourceOfFunds.provided.card.p2pe.keySerialNumber", ksn},
                     {"sourceOfFunds.provided.card.p2pe.payload", payload},
                     {"sourceOfFunds.provided.card.p2pe.initializationVector", iv}});
    CHECK(updated.at("session.updateStatus") == "SUCCESS");
    const gw::Response kept = client.retrieve_session(session_id);
    CHECK(kept.at("sourceOfFunds.provided.card.p2pe.keySerialNumber") == ksn);
    CHECK(kept.at("sourceOfFunds.provided.card.p2pe.payload").find_first_not_of('x') == std::string_view::npos);
    CHECK(client.execute(gw::Request("TOKENIZE").set("session.id", session_id)).at("token").size() == 16);

    // A request with any field.
    const gw::Response echoed = client.execute(gw::Request("CREATE_SESSION").set("correlationId", "till-7"));
    CHECK(echoed.at("correlationId") == "till-7");

    // The P2PE request a till extends: a correlationId with the card.
    const gw::Response correlated =
        client.execute(gw::Request::tokenize_p2pe(card).set("correlationId", "till-3/sale-9"));
    CHECK(correlated.at("correlationId") == "till-3/sale-9");
    CHECK(correlated.at("token").size() == 16);
    const std::string correlated_token(correlated.at("token"));
    CHECK(client.execute(gw::Request::tokenize_p2pe({ksn, payload, iv, {}}, std::string_view(correlated_token)))
              .at("token") == correlated_token);
    if (auto err = expect_error(GW_ERR_INVALID_FIELD, [&] { gw::Request::tokenize_p2pe({ksn, "ZZ", iv, bin}); })) {
        CHECK(err->field() == "sourceOfFunds.provided.card.p2pe.payload");
    }
    if (auto err = expect_error(GW_DECLINED, [&] {
            client.execute(gw::Request::tokenize_p2pe(card)
                               .set("correlationId", "till-3/sale-10")
                               .set("sourceOfFunds.provided.card.p2pe.encryptionState", "INVALID"));
        })) {
        CHECK(err->response() && err->response()->at("correlationId") == "till-3/sale-10");
    }

    // The log callback: a std::function; one that throws must not take the process down.
    {
        std::mutex mutex;
        std::vector<std::pair<std::uint32_t, std::string>> lines;
        int calls = 0;
        gw::Config logged = config(url, password);
        logged.log(GW_LOG_DEBUG, [&](std::uint32_t level, std::string_view message) {
            {
                const std::lock_guard<std::mutex> lock(mutex);
                lines.emplace_back(level, std::string(message));
                ++calls;
            }
            if (calls % 2 == 1) {
                throw std::runtime_error("a till's logger failed");
            }
            throw 42;  // not even a std::exception
        });
        gw::Client logging(logged);
        gw::Config().log(GW_LOG_INFO, [](std::uint32_t, std::string_view) {});  // freed before use: fine
        CHECK(logging.create_session().result() == "SUCCESS");
        CHECK(logging.tokenize_p2pe(card).at("token").size() == 16);
        const std::lock_guard<std::mutex> lock(mutex);
        CHECK(lines.size() >= 2);
        bool info = false;
        for (const auto &line : lines) {
            info |= line.first == GW_LOG_INFO;
            CHECK(line.first >= GW_LOG_ERROR && line.first <= GW_LOG_DEBUG);
            CHECK(line.second.find(password) == std::string::npos);
            CHECK(line.second.find(payload) == std::string::npos);
        }
        CHECK(info);
    }
    {
        // The client keeps the callback alive after its Config is gone; an
        // empty callback turns logging off again.
        int count = 0;
        std::optional<gw::Client> kept;
        {
            gw::Config c = config(url, password);
            c.log(GW_LOG_INFO, [&count](std::uint32_t, std::string_view) { ++count; });
            kept.emplace(c);
        }
        CHECK(kept->create_session().result() == "SUCCESS");
        CHECK(count >= 1);
        const int before = count;
        gw::Config quiet = config(url, password);
        quiet.log(GW_LOG_DEBUG, [&count](std::uint32_t, std::string_view) { ++count; }).log(GW_LOG_DEBUG, {});
        CHECK(gw::Client(quiet).create_session().result() == "SUCCESS");
        CHECK(count == before);
        expect_error(GW_ERR_CONFIG, [&] { gw::Config().log(9, [](std::uint32_t, std::string_view) {}); });
    }

    // Local validation: nothing sent, the field named.
    if (auto err = expect_error(GW_ERR_INVALID_FIELD, [&] { client.tokenize_p2pe({"XYZ", payload, {}, {}}); })) {
        CHECK(err->field() == "sourceOfFunds.provided.card.p2pe.keySerialNumber");
        CHECK(!err->response());
        CHECK(std::string(err->what()).find(payload) == std::string::npos);
    }
    if (auto err = expect_error(GW_ERR_INVALID_FIELD, [&] { gw::Request("TOKENIZE").set("bogus.field", "1"); })) {
        CHECK(err->field() == "bogus.field");
    }
    // An embedded NUL would be cut short by C: refused before the call.
    if (auto err = expect_error(GW_ERR_INVALID_FIELD,
                                [&] { gw::Request("CREATE_SESSION").set("correlationId", std::string_view("a\0b", 3)); })) {
        CHECK(err->field() == "correlationId");
    }

    // Configuration.
    expect_error(GW_ERR_CONFIG, [&] { gw::Config().base_url("http://gateway.example.com"); });
    expect_error(GW_ERR_CONFIG, [&] { gw::Client{gw::Config()}; });

    // Connect, authentication, gateway error, decline, timeout, protocol, pending, unknown result.
    if (auto err = expect_error(GW_ERR_CONNECT,
                                [&] { gw::Client(config(env("GW_CLOSED_URL"), password)).create_session(); })) {
        CHECK(err->http_status() == 0 && !err->response());
    }
    if (auto err = expect_error(GW_ERR_AUTHENTICATION,
                                [&] { gw::Client(config(url, "wrong-password")).create_session(); })) {
        CHECK(err->http_status() == 401);
        CHECK(err->cause() == "INVALID_REQUEST");
        CHECK(std::string(err->what()).find("wrong-password") == std::string::npos);
    }
    if (auto err = expect_error(GW_ERR_GATEWAY, [&] { client.tokenize_p2pe({ksn, payload, iv, "000000"}); })) {
        CHECK(err->http_status() == 400);
        CHECK(err->cause() == "INVALID_REQUEST");
        CHECK(err->gateway_error_field() == "sourceOfFunds.provided.card.p2pe.cardBin");
        CHECK(err->field() == err->gateway_error_field());
        CHECK(err->validation_type() == "INVALID");
        CHECK(!err->explanation().empty());
    }
    if (auto err = expect_error(GW_DECLINED, [&] {
            client.execute(gw::Request("TOKENIZE")
                               .set("sourceOfFunds.type", "CARD")
                               .set("sourceOfFunds.provided.card.p2pe.keySerialNumber", ksn)
                               .set("sourceOfFunds.provided.card.p2pe.payload", payload)
                               .set("sourceOfFunds.provided.card.p2pe.initializationVector", iv)
                               .set("sourceOfFunds.provided.card.p2pe.encryptionState", "INVALID"));
        })) {
        CHECK(err->response() && err->response()->result() == "FAILURE");
        CHECK(!err->gateway_code().empty());
    }
    expect_error(GW_ERR_TIMEOUT, [&] {
        gw::Client(config(url, password).timeout_ms(300))
            .execute(gw::Request("CREATE_SESSION").set("correlationId", "gw-sim:fault=delay,ms=3000"));
    });
    expect_error(GW_ERR_PROTOCOL, [&] {
        client.execute(gw::Request("CREATE_SESSION").set("correlationId", "gw-sim:fault=garbage"));
    });
    // An HTML error page: no response, but the HTTP status of the answer.
    if (auto err = expect_error(GW_ERR_PROTOCOL, [&] {
            client.execute(gw::Request("CREATE_SESSION").set("correlationId", "gw-sim:fault=http500-html"));
        })) {
        CHECK(!err->response());
        CHECK(err->http_status() == 500);
        CHECK(std::string(err->status_name()) == "GW_ERR_PROTOCOL");
    }
    // result=PENDING and result=UNKNOWN throw, with the response.
    if (auto err = expect_error(GW_PENDING, [&] {
            client.execute(gw::Request("CREATE_SESSION").set("correlationId", "gw-sim:fault=result-pending"));
        })) {
        CHECK(err->response() && err->response()->result() == "PENDING");
        CHECK(err->http_status() == 200);
        CHECK(std::string(err->what()).rfind("GW_PENDING: ", 0) == 0);
    }
    if (auto err = expect_error(GW_UNKNOWN_RESULT, [&] {
            client.execute(gw::Request("CREATE_SESSION").set("correlationId", "gw-sim:fault=result-unknown"));
        })) {
        CHECK(err->response() && err->response()->result() == "UNKNOWN");
        CHECK(err->http_status() == 200);
        CHECK(std::string(err->what()).rfind("GW_UNKNOWN_RESULT: ", 0) == 0);
    }
    if (auto err = expect_error(GW_ERR_GATEWAY, [&] {
            client.execute(gw::Request("CREATE_SESSION").set("correlationId", "gw-sim:fault=server-failed"));
        })) {
        CHECK(err->cause() == "SERVER_FAILED" && !err->support_code().empty());
    }

    // In doubt: SERVER_FAILED is, a result=ERROR with another cause is not.
    if (auto err = expect_error(GW_ERR_GATEWAY, [&] {
            client.execute(gw::Request("CREATE_SESSION").set("correlationId", "gw-sim:fault=server-busy"));
        })) {
        CHECK(!err->in_doubt());
    }
    if (auto err = expect_error(GW_ERR_GATEWAY, [&] {
            client.execute(gw::Request("CREATE_SESSION").set("correlationId", "gw-sim:fault=server-failed"));
        })) {
        CHECK(err->in_doubt());
    }

    // Payments (API version 100: P2PE payments from 84). The card's expiry
    // (12/29) is no test-convention date: gw-sim approves it.
    {
        gw::Config pay_config = config(url, password);
        pay_config.api_version(100);
        const gw::Client payments(pay_config);
        // A new order per run: the plain, ASan and valgrind runs share one gw-sim.
        const std::string order = "cpp-" + std::to_string(std::random_device{}()) + "-" +
                                  std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
        gw::Request pay = gw::Request::pay_p2pe({order, "1", "12.50", "USD"}, card);
        pay.set("posTerminal.lane", "Kiosk_76");
        const gw::Response approved = payments.execute(pay);
        CHECK(approved.at("response.gatewayCode") == "APPROVED");
        CHECK(payments.retrieve_transaction(order, "1").at("transaction.type") == "PAYMENT");
        // A partial refund of it through the generic request.
        gw::Request refund("REFUND");
        refund.set("order.id", order).set("transaction.id", "2");
        refund.set("transaction.amount", "2.50").set("transaction.currency", "USD");
        CHECK(payments.execute(refund).at("transaction.type") == "REFUND");
        // Not final when the call's budget runs out (gw polls
        // RETRIEVE_TRANSACTION until then): PENDING and UNKNOWN from the
        // acquirer are in doubt, with the ids to resolve them later.
        gw::Config short_config = config(url, password);
        short_config.api_version(100).timeout_ms(800).backoff_ms(100, 200);
        const gw::Client short_payments(short_config);
        if (auto err = expect_error(GW_PENDING, [&] {
                gw::Request pending = gw::Request::pay_p2pe({order + "p", "1", "1.00", "USD"}, card);
                short_payments.execute(pending.set("correlationId", "gw-sim:fault=acquirer-pending,ms=5000"));
            })) {
            CHECK(err->in_doubt() && !err->gateway_code().empty());
            CHECK(err->order_id() == order + "p" && err->transaction_id() == "1");
        }
        if (auto err = expect_error(GW_UNKNOWN_RESULT, [&] {
                gw::Request unknown = gw::Request::pay_p2pe({order + "u", "1", "1.00", "USD"}, card, "AUTHORIZE");
                short_payments.execute(unknown.set("correlationId", "gw-sim:fault=acquirer-unknown,ms=5000"));
            })) {
            CHECK(err->in_doubt());
        }
        // Settled within the call: a short PENDING, a lost answer.
        {
            gw::Request pending = gw::Request::pay_p2pe({order + "s", "1", "1.00", "USD"}, card);
            pending.set("correlationId", "gw-sim:fault=acquirer-pending,ms=300");
            CHECK(payments.execute(pending).at("response.gatewayCode") == "APPROVED");
            gw::Request lost = gw::Request::pay_p2pe({order + "l", "1", "1.00", "USD"}, card);
            lost.set("correlationId", "gw-sim:fault=lost-then-ok=1,tag=" + order);
            CHECK(payments.execute(lost).at("response.gatewayCode") == "APPROVED");
        }
        // The payment journal: a payment leaves nothing open to recover.
        {
            const std::string path = (std::filesystem::temp_directory_path() / (order + ".db")).string();
            gw::Config journal_config = config(url, password);
            journal_config.api_version(100).journal(path);
            const gw::Client journaled(journal_config);
            CHECK(journaled.execute(gw::Request::pay_p2pe({order + "j", "1", "2.00", "USD"}, card))
                      .at("response.gatewayCode") == "APPROVED");
            std::uint32_t running = 99;
            CHECK(journaled.recover_journal(&running).empty() && running == 0);
            if (auto err = expect_error(GW_ERR_CONFIG, [&] { payments.recover_journal(); })) {
                CHECK(!err->in_doubt());
            }
            for (const char *suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
        }
        // Ids the gateway does not know: neither approved nor declined, not in doubt.
        if (auto err = expect_error(GW_ERR_GATEWAY, [&] { payments.retrieve_transaction(order + "x", "1"); })) {
            CHECK(!err->in_doubt() && err->field() == "order.id");
        }
        // Refused locally: nothing sent, not in doubt; an amount is a string, never a float.
        if (auto err = expect_error(GW_ERR_INVALID_FIELD,
                                    [&] { gw::Request::pay_p2pe({order + "v", "1", "10.001", "USD"}, card); })) {
            CHECK(!err->in_doubt() && err->field() == "order.amount");
        }
        // A token's card pays as the P2PE card does.
        const gw::Response tokenized = payments.tokenize_p2pe(card);
        const std::string token(tokenized.at("token"));
        CHECK(payments.execute(gw::Request::pay_token({order + "t", "1", "3.00", "USD"}, token))
                  .at("sourceOfFunds.token") == token);
    }

    // 8 threads share the client.
    std::atomic<int> tokens{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&] {
            for (int round = 0; round < 3; ++round) {
                try {
                    if (client.tokenize_p2pe(card).at("token").size() == 16) {
                        ++tokens;
                    }
                } catch (const gw::Error &err) {
                    std::cerr << "thread: " << err.what() << '\n';
                }
            }
        });
    }
    for (auto &thread : threads) {
        thread.join();
    }
    CHECK(tokens == 24);

    std::cout << (failures == 0 ? "C++ wrapper: all checks passed\n" : "C++ wrapper: FAILED\n");
    return failures == 0 ? 0 : 1;
}
