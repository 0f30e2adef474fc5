// gw.hpp: a header-only C++17 wrapper of gw's C API (include/gw.h).
//
//   gw::Client client(gw::Config()
//                         .base_url("https://ap-gateway.mastercard.com")
//                         .merchant("TESTMERCHANT01")
//                         .api_password(password));
//   gw::Response session = client.create_session();
//   std::cout << session.at("session.id") << '\n';
//
// - Handles are std::unique_ptr with gw's _free functions as deleters: no
//   leak on any path, exceptions included. Config, Request and Response are
//   movable, not copyable; Client is movable and may be shared (by
//   reference) between threads, like the gw_client it owns.
// - Strings in are std::string_view, copied into a NUL-terminated
//   std::string before the C call (a view with an embedded NUL is refused).
// - Every status other than GW_OK throws gw::Error, which carries the status,
//   gw's message (never the password or card data), the field, the HTTP
//   status (also of an answer that was no NVP answer) and the gateway's
//   error.* fields, the Response when the gateway answered, and in_doubt()
//   (gw_last_error_in_doubt: the call may have had an effect at the gateway
//   that gw could not learn). Declines, pending and unknown results throw
//   too: a call that returns succeeded (result=SUCCESS; for a payment, a
//   final approval: print the receipt).
// - Config::log takes a std::function; an exception it throws is caught and
//   dropped by the wrapper (it never reaches gw's C code, never aborts).
// - Request::tokenize_p2pe, Request::pay_p2pe and Request::pay_token are the
//   validated requests to extend (.set("correlationId", ...)) and send with
//   Client::execute.
//
// Link with -lgw (or libgw.a and its native libraries: see examples-c/Makefile).
#ifndef GW_HPP
#define GW_HPP

#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gw.h"

namespace gw {

// The macro name of a status ("GW_ERR_TIMEOUT"), from gw_status_name;
// "GW_(unknown)" for a value that is no status (where gw_status_name gives
// NULL). gw_status_str describes it.
inline const char *status_name(gw_status status) noexcept {
    const char *name = gw_status_name(status);
    return name != nullptr ? name : "GW_(unknown)";
}

// Whether values of the NVP field `name` are secrets or card data, by gw's
// field-rule table (gw_field_is_sensitive): a log line or a message shows
// "***" instead of such a value.
inline bool field_is_sensitive(const std::string &name) noexcept {
    return gw_field_is_sensitive(name.c_str()) != 0;
}

// The library's version at run time (e.g. "0.2.0").
inline std::string version() { return gw_version(); }

namespace detail {

struct ConfigDeleter {
    void operator()(gw_config *config) const noexcept { gw_config_free(config); }
};
struct ClientDeleter {
    void operator()(gw_client *client) const noexcept { gw_client_free(client); }
};
struct RequestDeleter {
    void operator()(gw_request *request) const noexcept { gw_request_free(request); }
};
struct ResponseDeleter {
    void operator()(gw_response *response) const noexcept { gw_response_free(response); }
};

inline std::string or_empty(const char *text) { return text != nullptr ? std::string(text) : std::string(); }

}  // namespace detail

class Error;

// The gateway's answer: its fields (by name or in order), HTTP status, duration.
class Response {
public:
    explicit Response(gw_response *handle) noexcept : handle_(handle) {}

    // The value of field `name`, or nullopt. The view lives as long as this Response.
    std::optional<std::string_view> get(std::string_view name) const {
        const std::string key(name);
        const char *value = gw_response_get(handle_.get(), key.c_str());
        if (value == nullptr) {
            return std::nullopt;
        }
        return std::string_view(value);
    }

    // The value of field `name`; std::out_of_range when absent.
    std::string_view at(std::string_view name) const {
        auto value = get(name);
        if (!value) {
            throw std::out_of_range("gw::Response has no field " + std::string(name));
        }
        return *value;
    }

    // "SUCCESS", "FAILURE", "PENDING", "UNKNOWN" or "ERROR".
    std::string_view result() const noexcept {
        const char *result = gw_response_result(handle_.get());
        return result != nullptr ? std::string_view(result) : std::string_view();
    }
    std::uint16_t http_status() const noexcept { return gw_response_http_status(handle_.get()); }
    std::uint64_t duration_ms() const noexcept { return gw_response_duration_ms(handle_.get()); }
    std::size_t size() const noexcept { return gw_response_len(handle_.get()); }

    // Every field, in the gateway's order.
    std::vector<std::pair<std::string_view, std::string_view>> fields() const {
        std::vector<std::pair<std::string_view, std::string_view>> all;
        all.reserve(size());
        for (std::size_t i = 0; i < size(); ++i) {
            const char *name = nullptr;
            const char *value = nullptr;
            if (gw_response_field(handle_.get(), i, &name, &value) == GW_OK) {
                all.emplace_back(name, value);
            }
        }
        return all;
    }

    const gw_response *c_handle() const noexcept { return handle_.get(); }

private:
    std::unique_ptr<gw_response, detail::ResponseDeleter> handle_;
};

// A failed gw call: any status but GW_OK.
class Error : public std::runtime_error {
public:
    // Reads this thread's last error now: construct it right after the failing
    // call. Moves from `response` when given (the gateway answered).
    Error(gw_status status, Response *response)
        : std::runtime_error(describe(status)),
          status_(status),
          field_(detail::or_empty(gw_last_error_field())),
          response_(response != nullptr ? std::make_shared<const Response>(std::move(*response)) : nullptr),
          http_status_(response_ ? response_->http_status() : gw_last_error_http_status()),
          in_doubt_(gw_last_error_in_doubt() != 0),
          order_id_(detail::or_empty(gw_last_error_order_id())),
          transaction_id_(detail::or_empty(gw_last_error_transaction_id())) {}

    // An error raised by the wrapper itself, before any C call.
    Error(gw_status status, std::string message, std::string field)
        : std::runtime_error(std::string(gw::status_name(status)) + ": " + message),
          status_(status),
          field_(std::move(field)) {}

    gw_status status() const noexcept { return status_; }
    const char *status_name() const noexcept { return gw::status_name(status_); }
    // The field gw named: the one that failed local validation, or the gateway's error.field.
    const std::string &field() const noexcept { return field_; }
    // The gateway's answer, when it gave one (gateway error, decline, 401, ...).
    const std::shared_ptr<const Response> &response() const noexcept { return response_; }
    // The HTTP status of the answer: the response's, or gw_last_error_http_status()
    // when the answer was no NVP answer (GW_ERR_PROTOCOL, e.g. an HTML 500 page).
    // 0 when no answer came (nothing sent, connection failed, timeout, ...).
    std::uint16_t http_status() const noexcept { return http_status_; }
    // gw_last_error_in_doubt(): true when the call may have had an effect at
    // the gateway that gw could not learn (no answer, a cut or unreadable
    // one, a not-final one); false when nothing was sent or the gateway's
    // answer says what happened. For a payment in doubt, never pay again with
    // a new transaction id: Client::retrieve_transaction with the same ids.
    bool in_doubt() const noexcept { return in_doubt_; }
    // The order.id and transaction.id of the payment (or RETRIEVE_TRANSACTION)
    // the call was about (gw_last_error_order_id / _transaction_id): what the
    // till keeps to resolve a payment that is not final. Empty otherwise.
    const std::string &order_id() const noexcept { return order_id_; }
    const std::string &transaction_id() const noexcept { return transaction_id_; }
    std::string cause() const { return gateway_field("error.cause"); }
    std::string explanation() const { return gateway_field("error.explanation"); }
    std::string gateway_error_field() const { return gateway_field("error.field"); }
    std::string validation_type() const { return gateway_field("error.validationType"); }
    std::string support_code() const { return gateway_field("error.supportCode"); }
    std::string gateway_code() const { return gateway_field("response.gatewayCode"); }

private:
    static std::string describe(gw_status status) {
        std::string message = gw_last_error();
        if (message.empty()) {
            message = gw_status_str(status);
        }
        return std::string(gw::status_name(status)) + ": " + message;
    }

    std::string gateway_field(const char *name) const {
        if (!response_) {
            return std::string();
        }
        auto value = response_->get(name);
        return value ? std::string(*value) : std::string();
    }

    gw_status status_;
    std::string field_;
    std::shared_ptr<const Response> response_;
    std::uint16_t http_status_ = 0;
    bool in_doubt_ = false;
    std::string order_id_;
    std::string transaction_id_;
};

namespace detail {

// Throws gw::Error for anything but GW_OK (taking `response` along).
inline void check(gw_status status, gw_response *response = nullptr) {
    if (status != GW_OK) {
        Response owned(response);  // freed on every path, even if building the Error throws
        throw Error(status, response != nullptr ? &owned : nullptr);
    }
}

// A NUL-terminated copy of `text`; refuses an embedded NUL, which C would cut short.
inline std::string c_string(std::string_view text, std::string_view argument) {
    if (text.find('\0') != std::string_view::npos) {
        throw Error(GW_ERR_INVALID_FIELD, std::string(argument) + " contains a NUL character",
                    std::string(argument));
    }
    return std::string(text);
}

inline std::optional<std::string> c_string(const std::optional<std::string_view> &text, std::string_view argument) {
    if (!text) {
        return std::nullopt;
    }
    return c_string(*text, argument);
}

inline const char *c_ptr(const std::optional<std::string> &text) noexcept {
    return text ? text->c_str() : nullptr;
}

inline Response response_or_throw(gw_status status, gw_response *response) {
    check(status, response);
    return Response(response);
}

}  // namespace detail

// A log callback: the level (GW_LOG_ERROR .. GW_LOG_DEBUG) and the message,
// valid only during the call. Called from whichever thread makes the gw call,
// possibly several at once: it must be thread-safe. An exception it throws is
// caught by the wrapper and dropped.
using LogCallback = std::function<void(std::uint32_t level, std::string_view message)>;

namespace detail {

// The C callback of Config::log: calls the std::function behind `userdata`
// and lets no exception out (one crossing gw's C frames would abort).
inline void log_trampoline(void *userdata, std::uint32_t level, const char *message) noexcept {
    try {
        (*static_cast<const LogCallback *>(userdata))(level, message != nullptr ? message : "");
    } catch (...) {
        // Dropped: a log line is not worth the till's process.
    }
}

}  // namespace detail

// A client configuration; setters chain and throw gw::Error (GW_ERR_CONFIG) when refused.
class Config {
public:
    Config() : handle_(gw_config_new()) {
        if (!handle_) {
            throw std::bad_alloc();
        }
    }

    Config &base_url(std::string_view url) { return set(gw_config_set_base_url, url, "base_url"); }
    Config &merchant(std::string_view id) { return set(gw_config_set_merchant, id, "merchant"); }
    Config &api_password(std::string_view password) {
        return set(gw_config_set_api_password, password, "api_password");
    }
    Config &ca_bundle(std::string_view path) { return set(gw_config_set_ca_bundle, path, "ca_bundle"); }
    Config &proxy(std::string_view url) { return set(gw_config_set_proxy, url, "proxy"); }
    Config &client_certificate(std::string_view certificate_pem_path, std::string_view private_key_pem_path) {
        const std::string cert = detail::c_string(certificate_pem_path, "certificate_pem_path");
        const std::string key = detail::c_string(private_key_pem_path, "private_key_pem_path");
        detail::check(gw_config_set_client_certificate(handle_.get(), cert.c_str(), key.c_str()));
        return *this;
    }
    Config &api_version(std::uint32_t version) { return set(gw_config_set_api_version, version); }
    Config &trust(std::uint32_t trust) { return set(gw_config_set_trust, trust); }
    Config &proxy_from_environment(bool enabled) { return set(gw_config_set_proxy_from_environment, enabled ? 1u : 0u); }
    Config &connect_timeout_ms(std::uint32_t ms) { return set(gw_config_set_connect_timeout_ms, ms); }
    Config &timeout_ms(std::uint32_t ms) { return set(gw_config_set_timeout_ms, ms); }
    Config &retries(std::uint32_t retries) { return set(gw_config_set_retries, retries); }
    // The waits between attempts: first_ms, doubled each time, at most max_ms, plus jitter
    // (default 200 / 10000); for retries, identical resubmissions and RETRIEVE polls alike.
    Config &backoff_ms(std::uint32_t first_ms, std::uint32_t max_ms) {
        detail::check(gw_config_set_backoff_ms(handle_.get(), first_ms, max_ms));
        return *this;
    }
    // The payment journal (an SQLite file, created when missing): a payment's
    // intent is recorded before it goes out; Client::recover_journal resolves
    // what a crash left open. Opened by the Client (GW_ERR_JOURNAL).
    Config &journal(std::string_view path) { return set(gw_config_set_journal, path, "journal"); }
    // The merchant's token repository keeps one token per card (Token
    // Management strategy "Unique Account Identifier"): TOKENIZE without a
    // token is then retried after an in-doubt failure. Off by default.
    Config &token_repository_unique_card(bool unique_card) {
        return set(gw_config_set_token_repository_unique_card, unique_card ? 1u : 0u);
    }
    // Log messages at `level` (GW_LOG_ERROR .. GW_LOG_DEBUG) and more severe
    // to `callback`; an empty callback turns logging off. Clients made from
    // this configuration keep the callback alive. Never given the password or
    // card data.
    Config &log(std::uint32_t level, LogCallback callback) {
        if (!callback) {
            detail::check(gw_config_set_log(handle_.get(), level, nullptr, nullptr));
            log_.reset();
            return *this;
        }
        auto kept = std::make_shared<LogCallback>(std::move(callback));
        detail::check(gw_config_set_log(handle_.get(), level, detail::log_trampoline, kept.get()));
        log_ = std::move(kept);
        return *this;
    }

    const gw_config *c_handle() const noexcept { return handle_.get(); }
    // The log callback C may call, shared with every client made from this configuration.
    const std::shared_ptr<LogCallback> &log_callback() const noexcept { return log_; }

private:
    Config &set(gw_status (*setter)(gw_config *, const char *), std::string_view value, std::string_view argument) {
        const std::string copy = detail::c_string(value, argument);
        detail::check(setter(handle_.get(), copy.c_str()));
        return *this;
    }
    Config &set(gw_status (*setter)(gw_config *, std::uint32_t), std::uint32_t value) {
        detail::check(setter(handle_.get(), value));
        return *this;
    }

    std::unique_ptr<gw_config, detail::ConfigDeleter> handle_;
    std::shared_ptr<LogCallback> log_;
};

// A card as a P2PE terminal hands it over.
struct P2peCard {
    std::string_view key_serial_number;                   // 20 hex digits (TDES), 24 (AES, API 84+)
    std::string_view payload;                             // the encrypted card, hex
    std::optional<std::string_view> initialization_vector; // 16 hex (TDES) or 32 (AES), when used
    std::optional<std::string_view> card_bin;             // up to 6 digits, when the terminal gives it
};

namespace detail {

// The arguments of gw_request_tokenize_p2pe and gw_tokenize_p2pe as C strings.
struct P2peArgs {
    P2peArgs(const P2peCard &card, std::optional<std::string_view> token_view)
        : ksn(c_string(card.key_serial_number, "key_serial_number")),
          payload(c_string(card.payload, "payload")),
          iv(c_string(card.initialization_vector, "initialization_vector")),
          bin(c_string(card.card_bin, "card_bin")),
          token(c_string(token_view, "token")) {}

    std::string ksn, payload;
    std::optional<std::string> iv, bin, token;
};

}  // namespace detail

// Which payment a PAY or AUTHORIZE is: the till's order and transaction ids
// (keep them: they resolve a payment in doubt; a new attempt after a decline
// needs a new transaction id) and the amount, a decimal string ("12.50",
// never a float) in `currency` (ISO 4217, "AUD").
struct Payment {
    std::string_view order_id;
    std::string_view transaction_id;
    std::string_view amount;
    std::string_view currency;
};

namespace detail {

// The arguments of gw_request_pay_p2pe and gw_request_pay_token as C strings.
struct PaymentArgs {
    explicit PaymentArgs(const Payment &payment)
        : order_id(c_string(payment.order_id, "order_id")),
          transaction_id(c_string(payment.transaction_id, "transaction_id")),
          amount(c_string(payment.amount, "amount")),
          currency(c_string(payment.currency, "currency")) {}

    std::string order_id, transaction_id, amount, currency;
};

}  // namespace detail

// A request of one operation for any field of the gateway's reference;
// each field is validated when set (gw::Error naming it).
class Request {
public:
    explicit Request(std::string_view api_operation) {
        const std::string operation = detail::c_string(api_operation, "apiOperation");
        gw_request *handle = nullptr;
        detail::check(gw_request_new(operation.c_str(), &handle));
        handle_.reset(handle);
    }

    // TOKENIZE of a P2PE card (gw_request_tokenize_p2pe), every field validated
    // now; extend it with set("correlationId", ...) and send it with
    // Client::execute. `token` to create or update that token, else the
    // gateway makes one.
    static Request tokenize_p2pe(const P2peCard &card, std::optional<std::string_view> token = std::nullopt) {
        const detail::P2peArgs args(card, token);
        gw_request *handle = nullptr;
        detail::check(gw_request_tokenize_p2pe(detail::c_ptr(args.token), args.ksn.c_str(), args.payload.c_str(),
                                               detail::c_ptr(args.iv), detail::c_ptr(args.bin), &handle));
        return Request(handle);
    }

    // PAY (or api_operation "AUTHORIZE") of a P2PE card (gw_request_pay_p2pe;
    // API version 84+), every field validated now; gw sets
    // sourceOfFunds.type=CARD and transaction.source=CARD_PRESENT. Extend it
    // with set("posTerminal.lane", ...) and send it with Client::execute.
    static Request pay_p2pe(const Payment &payment, const P2peCard &card, std::string_view api_operation = "PAY") {
        const std::string operation = detail::c_string(api_operation, "api_operation");
        const detail::PaymentArgs pay(payment);
        const detail::P2peArgs args(card, std::nullopt);
        gw_request *handle = nullptr;
        detail::check(gw_request_pay_p2pe(operation.c_str(), pay.order_id.c_str(), pay.transaction_id.c_str(),
                                          pay.amount.c_str(), pay.currency.c_str(), args.ksn.c_str(),
                                          args.payload.c_str(), detail::c_ptr(args.iv), detail::c_ptr(args.bin),
                                          &handle));
        return Request(handle);
    }

    // PAY with the card stored under `token` (gw_request_pay_token).
    static Request pay_token(const Payment &payment, std::string_view token) {
        const detail::PaymentArgs pay(payment);
        const std::string copy = detail::c_string(token, "token");
        gw_request *handle = nullptr;
        detail::check(gw_request_pay_token(pay.order_id.c_str(), pay.transaction_id.c_str(), pay.amount.c_str(),
                                           pay.currency.c_str(), copy.c_str(), &handle));
        return Request(handle);
    }

    Request &set(std::string_view name, std::string_view value) {
        const std::string key = detail::c_string(name, "name");
        const std::string copy = detail::c_string(value, key);
        detail::check(gw_request_set(handle_.get(), key.c_str(), copy.c_str()));
        return *this;
    }

    const gw_request *c_handle() const noexcept { return handle_.get(); }

private:
    explicit Request(gw_request *handle) noexcept : handle_(handle) {}

    std::unique_ptr<gw_request, detail::RequestDeleter> handle_;
};

// A connection to the gateway. Thread-safe: share one (by reference) between
// threads; destroy it once no call is running.
// One open intent of the payment journal, as Client::recover_journal resolved it.
struct Recovered {
    // GW_RECOVERED_APPROVED, _DECLINED, _NOT_SENT (the gateway never got it:
    // act on it only by paying again with the SAME ids), _NOT_FINAL (still
    // open: recover again later).
    std::uint32_t outcome = 0;
    std::string operation;
    std::string order_id;
    std::string transaction_id;
    std::optional<std::string> amount;    // nullopt for a VOID
    std::optional<std::string> currency;  // nullopt for a VOID
    std::uint64_t recorded_at_ms = 0;     // since 1970, UTC
    // RETRIEVE_TRANSACTION's answer, copied; empty when none came.
    std::vector<std::pair<std::string, std::string>> fields;
};

namespace detail {

struct RecoverState {
    std::vector<Recovered> handed;
    std::exception_ptr failure;
};

// The C callback of Client::recover_journal: copies one intent, and lets no
// exception out (one crossing gw's C frames would abort).
inline void recover_trampoline(void *userdata, std::uint32_t outcome, const char *operation, const char *order_id,
                               const char *transaction_id, const char *amount, const char *currency,
                               std::uint64_t recorded_at_ms, const gw_response *response) noexcept {
    auto *state = static_cast<RecoverState *>(userdata);
    try {
        Recovered item;
        item.outcome = outcome;
        item.operation = or_empty(operation);
        item.order_id = or_empty(order_id);
        item.transaction_id = or_empty(transaction_id);
        if (amount != nullptr) item.amount = amount;
        if (currency != nullptr) item.currency = currency;
        item.recorded_at_ms = recorded_at_ms;
        for (std::size_t i = 0; response != nullptr && i < gw_response_len(response); ++i) {
            const char *name = nullptr;
            const char *value = nullptr;
            if (gw_response_field(response, i, &name, &value) == GW_OK) item.fields.emplace_back(name, value);
        }
        state->handed.push_back(std::move(item));
    } catch (...) {
        if (!state->failure) state->failure = std::current_exception();
    }
}

}  // namespace detail

class Client {
public:
    explicit Client(const Config &config) : log_(config.log_callback()) {
        gw_client *handle = nullptr;
        detail::check(gw_client_new(config.c_handle(), &handle));
        handle_.reset(handle);
    }

    // CREATE_SESSION: read "session.id" and "session.version".
    Response create_session() const {
        gw_response *out = nullptr;
        const gw_status status = gw_create_session(handle_.get(), &out);
        return detail::response_or_throw(status, out);
    }

    // TOKENIZE of a P2PE card; `token` to create or update that token, else the gateway makes one.
    Response tokenize_p2pe(const P2peCard &card, std::optional<std::string_view> token = std::nullopt) const {
        const detail::P2peArgs args(card, token);
        gw_response *out = nullptr;
        const gw_status status = gw_tokenize_p2pe(handle_.get(), detail::c_ptr(args.token), args.ksn.c_str(),
                                                  args.payload.c_str(), detail::c_ptr(args.iv), detail::c_ptr(args.bin),
                                                  &out);
        return detail::response_or_throw(status, out);
    }

    // CHECK_GATEWAY: no credentials sent, one attempt; read "gatewayVersion".
    // status=SHUTDOWN throws gw::Error with status() GW_GATEWAY_SHUTDOWN.
    Response check_gateway() const {
        gw_response *out = nullptr;
        const gw_status status = gw_check_gateway(handle_.get(), &out);
        return detail::response_or_throw(status, out);
    }

    // RETRIEVE_TOKEN: read "status", "sourceOfFunds.provided.card.number" (masked), ...
    Response retrieve_token(std::string_view token) const {
        return token_call(gw_retrieve_token, token);
    }

    // DELETE_TOKEN: returns once the token is gone (also when a retry after
    // an in-doubt attempt finds that attempt deleted it).
    Response delete_token(std::string_view token) const { return token_call(gw_delete_token, token); }

    // UPDATE_SESSION of `session_id` with `fields` (name, value pairs).
    Response update_session(std::string_view session_id,
                            std::initializer_list<std::pair<std::string_view, std::string_view>> fields) const {
        Request request("UPDATE_SESSION");
        request.set("session.id", session_id);
        for (const auto &[name, value] : fields) request.set(name, value);
        return execute(request);
    }

    // RETRIEVE_SESSION: the session's fields, card data masked.
    Response retrieve_session(std::string_view session_id) const {
        Request request("RETRIEVE_SESSION");
        request.set("session.id", session_id);
        return execute(request);
    }

    // RETRIEVE_TRANSACTION, mapped as the payment's own answer: returns a
    // final approval; throws gw::Error with GW_DECLINED (gateway_code()),
    // GW_PENDING / GW_UNKNOWN_RESULT (in_doubt()), or GW_ERR_GATEWAY for ids
    // the gateway does not know.
    Response retrieve_transaction(std::string_view order_id, std::string_view transaction_id) const {
        const std::string order = detail::c_string(order_id, "order_id");
        const std::string transaction = detail::c_string(transaction_id, "transaction_id");
        gw_response *out = nullptr;
        const gw_status status = gw_retrieve_transaction(handle_.get(), order.c_str(), transaction.c_str(), &out);
        return detail::response_or_throw(status, out);
    }

    // gw_journal_recover: resolves the journal's open intents whose call is
    // over, oldest first; `still_running` (optional) receives how many may
    // belong to a call still running (recover again later). Throws gw::Error
    // (GW_ERR_CONFIG without a journal, GW_ERR_JOURNAL).
    std::vector<Recovered> recover_journal(std::uint32_t *still_running = nullptr) const {
        detail::RecoverState state;
        std::uint32_t running = 0;
        const gw_status status = gw_journal_recover(handle_.get(), detail::recover_trampoline, &state, &running);
        if (state.failure) std::rethrow_exception(state.failure);
        detail::check(status);
        if (still_running != nullptr) *still_running = running;
        return std::move(state.handed);
    }

    // Any request built with gw::Request.
    Response execute(const Request &request) const {
        gw_response *out = nullptr;
        const gw_status status = gw_execute(handle_.get(), request.c_handle(), &out);
        return detail::response_or_throw(status, out);
    }

    const gw_client *c_handle() const noexcept { return handle_.get(); }

private:
    using TokenCall = gw_status (*)(const gw_client *, const char *, gw_response **);

    Response token_call(TokenCall call, std::string_view token) const {
        const std::string copy = detail::c_string(token, "token");
        gw_response *out = nullptr;
        const gw_status status = call(handle_.get(), copy.c_str(), &out);
        return detail::response_or_throw(status, out);
    }

    std::shared_ptr<LogCallback> log_;  // declared first: outlives handle_, which may call it
    std::unique_ptr<gw_client, detail::ClientDeleter> handle_;
};

}  // namespace gw

#endif  // GW_HPP
