//! The bad-input matrix (issue 13), generated from `include/gw.h`.
//!
//! The prototypes of the header are parsed (a new function is covered the
//! moment it is declared), and a C program is generated that calls every
//! function through the real exported symbols, once per bad input:
//! - every pointer argument NULL;
//! - every string argument not UTF-8, empty, and 1 MiB long;
//! - every number argument 0, its type's maximum and the documented bounds;
//! - every field of every operation (the table `gw::rules::Operation::rules()`)
//!   at each boundary of its rule, through `gw_request_set`, and the fields
//!   `gw_tokenize_p2pe`, the payment helpers and `gw_retrieve_transaction`
//!   take as arguments at their invalid boundaries.
//!
//! Each case must give its documented status (and name the argument or the
//! field), never `GW_ERR_INTERNAL`, never a crash; out-parameters are NULL
//! after a failure; calls that keep the thread's last error keep it (same
//! pointer, same text); no message echoes the 1 MiB input. The client under
//! test points at a gw-sim that must count zero connections and zero requests
//! at the end, then exactly one after a control call.

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use common::{c, compile_c_file, scratch_dir, sim, terminal_card, MERCHANT, PASSWORD};
use gw::rules::{Charset, Operation};
use gw::Request;

/// One parameter of a prototype.
#[derive(Debug)]
struct Param {
    ty: String,
    name: String,
}

/// One function of the header, with the doc comment above it.
#[derive(Debug)]
struct Function {
    ret: String,
    name: String,
    params: Vec<Param>,
    doc: String,
}

impl Function {
    fn returns_status(&self) -> bool {
        self.ret == "gw_status"
    }

    fn is_free(&self) -> bool {
        self.name.ends_with("_free")
    }

    /// A call that may reach the gateway: a client and a response out-parameter.
    fn reaches_gateway(&self) -> bool {
        let has = |ty: &str| self.params.iter().any(|p| p.ty.replace(' ', "") == ty);
        has("constgw_client*") && has("gw_response**")
    }

    /// Whether the doc says parameter `name` may be NULL.
    fn accepts_null(&self, name: &str) -> bool {
        let doc = self.doc.replace('\n', " ");
        doc.contains(&format!("`{name}` is NULL or"))
            || doc.contains(&format!("`{name}` NULL or"))
            || doc.contains(&format!("A NULL {name}"))
            || doc
                .split(". ")
                .any(|sentence| sentence.contains(&format!("`{name}`")) && sentence.contains("may be NULL"))
            || self
                .doc
                .lines()
                .any(|line| line.trim_start().starts_with(&format!("- `{name}`:")) && line.contains("NULL"))
    }
}

/// The prototypes of `include/gw.h`, with their doc comments: everything
/// declared inside its `extern "C"` block.
fn parse_header(text: &str) -> Vec<Function> {
    let start = text.find("extern \"C\" {").expect("the header's extern \"C\" block");
    let text = &text[start..];
    let mut functions = Vec::new();
    let mut doc = String::new();
    let mut statement = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if statement.is_empty() {
            // Doc comments are C89 blocks: `/**`, ` * text` lines, ` */`.
            if trimmed.starts_with("/**") || trimmed.starts_with("*/") {
                continue;
            }
            if let Some(comment) = trimmed.strip_prefix('*') {
                doc.push_str(comment.trim());
                doc.push('\n');
                continue;
            }
            if trimmed.is_empty()
                || trimmed.starts_with('#')
                || trimmed.starts_with('}')
                || trimmed.starts_with("extern")
            {
                doc.clear();
                continue;
            }
        }
        statement.push_str(trimmed);
        statement.push(' ');
        if !trimmed.ends_with(';') {
            continue;
        }
        let text = std::mem::take(&mut statement);
        let text = text.trim().trim_end_matches(';');
        if !text.starts_with("typedef") {
            if let Some((head, rest)) = text.split_once('(') {
                let name = head.rsplit([' ', '*']).next().unwrap().to_owned();
                // Every prototype starts with the import and calling-convention macros.
                let ret = head[..head.len() - name.len()].trim().trim_start_matches("GW_API GW_CALL").trim().to_owned();
                let inner = rest.trim_end().trim_end_matches(')');
                let params = if inner.trim() == "void" {
                    Vec::new()
                } else {
                    inner
                        .split(',')
                        .map(|param| {
                            let param = param.trim();
                            let name = param.rsplit([' ', '*']).next().unwrap().to_owned();
                            Param { ty: param[..param.len() - name.len()].trim().to_owned(), name }
                        })
                        .collect()
                };
                functions.push(Function { ret, name, params, doc: doc.clone() });
            }
        }
        doc.clear();
    }
    functions
}

/// What a parameter's type is, for the matrix.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Shape {
    Str,
    Out,
    Handle,
    Callback,
    Userdata,
    Int,
}

fn shape(ty: &str) -> Shape {
    match ty.replace(' ', "").as_str() {
        "constchar*" => Shape::Str,
        t if t.ends_with("**") => Shape::Out,
        "gw_log_callback" | "gw_recover_callback" => Shape::Callback,
        // gw_journal_recover's optional count: given as NULL.
        "uint32_t*" => Shape::Userdata,
        "void*" => Shape::Userdata,
        t if t.starts_with("gw_") && t.ends_with('*') || t.starts_with("constgw_") && t.ends_with('*') => Shape::Handle,
        "uint32_t" | "gw_status" | "size_t" | "uint64_t" | "uint16_t" => Shape::Int,
        other => panic!("the matrix does not know parameter type '{other}': teach shape() about it"),
    }
}

/// The handle type a handle or out-parameter type names, e.g. `gw_client`.
fn handle_type(ty: &str) -> String {
    ty.replace("const", "").replace('*', "").trim().to_owned()
}

/// The largest value of an integer type, as C.
fn int_max(ty: &str) -> &'static str {
    match ty {
        "size_t" => "SIZE_MAX",
        "uint64_t" => "UINT64_MAX",
        "uint16_t" => "UINT16_MAX",
        _ => "UINT32_MAX",
    }
}

/// The C string literal of `text` (escaping bytes outside printable ASCII).
fn literal(text: &[u8]) -> String {
    let mut out = String::from("\"");
    for &byte in text {
        match byte {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(byte as char);
            }
            0x20..=0x7e => out.push(byte as char),
            _ => {
                // Octal escapes end after 3 digits, so a following digit is safe.
                let _ = write!(out, "\\{byte:03o}");
            }
        }
    }
    out.push('"');
    out
}

/// A string argument's value in C: a literal, or a generated one.
#[derive(Clone)]
enum Value {
    Literal(Vec<u8>),
    /// `fill` repeated `count` times (built at run time: no overlong literal).
    Repeat(&'static str, usize),
}

impl Value {
    fn text(text: &str) -> Value {
        Value::Literal(text.as_bytes().to_vec())
    }

    /// The C expression (a `const char *`).
    fn c(&self) -> String {
        match self {
            Value::Literal(bytes) => literal(bytes),
            Value::Repeat(fill, count) => format!("repeat({}, {count})", literal(fill.as_bytes())),
        }
    }

    /// The Rust string, for the oracle (None: not UTF-8).
    fn rust(&self) -> Option<String> {
        match self {
            Value::Literal(bytes) => String::from_utf8(bytes.clone()).ok(),
            Value::Repeat(fill, count) => Some(fill.repeat(*count)),
        }
    }

    fn describe(&self) -> String {
        match self {
            Value::Literal(bytes) if bytes.len() <= 40 => format!("{:?}", String::from_utf8_lossy(bytes)),
            Value::Literal(bytes) => format!("{} bytes", bytes.len()),
            Value::Repeat(fill, count) => format!("{fill:?} x {count}"),
        }
    }
}

/// What a case must give.
#[derive(Clone, Debug, PartialEq)]
enum Expect {
    /// This status, naming the argument in the message (NULL, UTF-8).
    Argument(u32, String),
    /// `GW_ERR_INVALID_FIELD` naming this field.
    Field(String),
    /// `GW_ERR_CONFIG` or `GW_ERR_INVALID_FIELD` (with a field).
    Refused,
    /// This exact status.
    Status(u32),
    /// Success (or, for a call without status, nothing but its value).
    Accepted,
    /// Only the invariants every case has.
    Survives,
}

/// One generated call.
struct Case {
    function: String,
    what: String,
    expect: Expect,
}

const GW_OK: u32 = 0;
const NULL_ARGUMENT: u32 = 1;
const INVALID_UTF8: u32 = 2;
const INVALID_FIELD: u32 = 3;
const CONFIG: u32 = 4;
const INTERNAL: u32 = 15;
const OUT_OF_RANGE: u32 = 16;
const BIG: usize = 1 << 20;

/// One parameter's documented bounds: function, parameter, (value as C, expectation).
type NumberBounds = (&'static str, &'static str, Vec<(String, Expect)>);

/// The documented bounds of number arguments: (function, parameter, values
/// as C with the status each must give). Parameters not listed get 0 and
/// their type's maximum, with only the invariants checked.
fn number_bounds() -> Vec<NumberBounds> {
    use gw::config::{MAX_API_VERSION, MAX_RETRIES, MIN_API_VERSION};
    let refused = || Expect::Status(CONFIG);
    let row = |values: &[(u32, bool)]| -> Vec<(String, Expect)> {
        let mut row: Vec<_> = values
            .iter()
            .map(|(value, ok)| (value.to_string(), if *ok { Expect::Accepted } else { refused() }))
            .collect();
        row.push(("UINT32_MAX".into(), refused()));
        row
    };
    let mut proxy_env = row(&[(0, true), (1, true)]);
    proxy_env.last_mut().unwrap().1 = Expect::Accepted;
    vec![
        (
            "gw_config_set_api_version",
            "version",
            row(&[
                (0, false),
                (MIN_API_VERSION - 1, false),
                (MIN_API_VERSION, true),
                (MAX_API_VERSION, true),
                (MAX_API_VERSION + 1, false),
            ]),
        ),
        ("gw_config_set_trust", "trust", row(&[(0, true), (1, true), (2, false)])),
        ("gw_config_set_connect_timeout_ms", "milliseconds", row(&[(0, false), (1, true)])[..2].to_vec()),
        ("gw_config_set_timeout_ms", "milliseconds", row(&[(0, false), (1, true)])[..2].to_vec()),
        ("gw_config_set_retries", "retries", row(&[(0, true), (MAX_RETRIES, true), (MAX_RETRIES + 1, false)])),
        ("gw_config_set_proxy_from_environment", "enabled", proxy_env),
        ("gw_config_set_log", "level", row(&[(0, false), (1, true), (4, true), (5, false)])),
        (
            "gw_response_field",
            "index",
            vec![
                ("0".into(), Expect::Accepted),
                ("gw_response_len(baseline_response)".into(), Expect::Status(OUT_OF_RANGE)),
                ("SIZE_MAX".into(), Expect::Status(OUT_OF_RANGE)),
            ],
        ),
    ]
}

/// String arguments the documentation says are stored as given and checked
/// later: file paths (read by `gw_client_new`, which names an unreadable
/// file) and the API password (no length rule; the gateway judges it).
fn stored_unchecked(function: &str, param: &str) -> bool {
    matches!(
        (function, param),
        ("gw_config_set_api_password", "password")
            | ("gw_config_set_client_certificate", _)
            | ("gw_config_set_ca_bundle", "path")
    )
}

/// The NVP field a string argument of an operation call carries.
fn field_of(function: &str, param: &str) -> Option<&'static str> {
    const P2PE: [(&str, &str); 5] = [
        ("token", "token"),
        ("key_serial_number", "sourceOfFunds.provided.card.p2pe.keySerialNumber"),
        ("payload", "sourceOfFunds.provided.card.p2pe.payload"),
        ("initialization_vector", "sourceOfFunds.provided.card.p2pe.initializationVector"),
        ("card_bin", "sourceOfFunds.provided.card.p2pe.cardBin"),
    ];
    const PAYMENT: [(&str, &str); 4] = [
        ("order_id", "order.id"),
        ("transaction_id", "transaction.id"),
        ("amount", "order.amount"),
        ("currency", "order.currency"),
    ];
    let find = |list: &[(&'static str, &'static str)]| list.iter().find(|(p, _)| *p == param).map(|(_, f)| *f);
    match function {
        "gw_tokenize_p2pe" | "gw_request_tokenize_p2pe" => find(&P2PE),
        "gw_request_pay_p2pe" if param != "token" => find(&P2PE).or_else(|| find(&PAYMENT)),
        "gw_request_pay_token" if param == "token" => Some("sourceOfFunds.token"),
        "gw_request_pay_token" => find(&PAYMENT),
        "gw_retrieve_transaction" => find(&PAYMENT[..2]),
        _ => None,
    }
}

/// Values at each boundary of a field's rule (and a character outside its set).
fn boundary_values(rule: &gw::rules::FieldRule) -> Vec<Value> {
    let (min, max) = (rule.min_len, rule.max_len);
    // A rule without a maximum length is tried at 1 MiB instead.
    let mut lengths = if max >= BIG { vec![min, BIG] } else { vec![min, max, max + 1] };
    if min > 0 {
        lengths.push(min - 1);
    }
    let fill = match rule.charset {
        Charset::Hex => "0",
        Charset::Digits | Charset::Decimal => "1",
        Charset::UpperAlpha => "A",
        _ => "a",
    };
    let mut values: Vec<Value> = lengths.into_iter().map(|n| Value::Repeat(fill, n)).collect();
    values.push(Value::Repeat("\u{e9}", min.max(1)));
    match rule.charset {
        Charset::Enumeration(members) => {
            values.extend(members.iter().map(|m| Value::text(m)));
            values.push(Value::text(&members[0].to_lowercase()));
            values.push(Value::text("NOT_A_MEMBER"));
        }
        Charset::Number { min, max } => {
            values.extend([min, max].map(|n| Value::text(&n.to_string())));
            values.push(Value::text(&(u64::from(max) + 1).to_string()));
            if min > 0 {
                values.push(Value::text(&(min - 1).to_string()));
            }
        }
        Charset::FixedOperation => {
            values.extend(Operation::ALL.iter().map(|o| Value::text(o.name())));
        }
        _ => {}
    }
    values
}

/// What the Rust API says about setting `name` to `value` (the C API is a
/// thin skin over it and must agree).
fn oracle(op: Operation, name: &str, value: &Value) -> Expect {
    let value = value.rust().expect("field values are UTF-8");
    match Request::new(op).set(name, &value) {
        Ok(()) => Expect::Accepted,
        Err(err) => {
            assert_eq!(err.field(), Some(name));
            Expect::Field(name.to_owned())
        }
    }
}

/// Whether the rule itself says `value` breaks it by length: a check of the
/// boundaries that does not rely on the oracle.
fn outside_length(rule: &gw::rules::FieldRule, value: &Value) -> bool {
    let n = value.rust().map_or(0, |v| v.chars().count());
    n < rule.min_len || n > rule.max_len
}

/// The C program's fixed part: helpers, baselines and the case reporter.
const PRELUDE: &str = r#"
#define _POSIX_C_SOURCE 200809L
#include <gw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *url_a, *url_b, *merchant, *password, *ksn, *payload, *iv, *card_bin;
static gw_client *matrix_client;
static gw_response *baseline_response;
static char sentinel_byte;
#define SENTINEL ((void *)&sentinel_byte)
static char *owned[8];
static int owned_count;

/* `fill` repeated `count` times; freed after the case. */
static const char *repeat(const char *fill, size_t count) {
    size_t n = strlen(fill);
    char *text = malloc(n * count + 1);
    if (text == NULL) abort();
    for (size_t i = 0; i < count; i++) memcpy(text + i * n, fill, n);
    text[n * count] = '\0';
    owned[owned_count++] = text;
    return text;
}

static void release(void) {
    while (owned_count > 0) free(owned[--owned_count]);
}

static void matrix_log(void *userdata, uint32_t level, const char *message) {
    (void)userdata; (void)level; (void)message;
}

static void matrix_recover(void *userdata, uint32_t outcome, const char *operation, const char *order_id,
                           const char *transaction_id, const char *amount, const char *currency,
                           uint64_t recorded_at_ms, const gw_response *response) {
    (void)userdata; (void)outcome; (void)operation; (void)order_id; (void)transaction_id;
    (void)amount; (void)currency; (void)recorded_at_ms; (void)response;
}

static gw_config *fresh_config(void) {
    gw_config *config = gw_config_new();
    if (config == NULL || gw_config_set_base_url(config, url_a) != GW_OK || gw_config_set_merchant(config, merchant) != GW_OK ||
        gw_config_set_api_password(config, password) != GW_OK || gw_config_set_retries(config, 0) != GW_OK ||
        gw_config_set_connect_timeout_ms(config, 2000) != GW_OK) {
        fprintf(stderr, "fresh_config: %s\n", gw_last_error());
        exit(3);
    }
    return config;
}

static gw_client *fresh_client(void) {
    gw_config *config = fresh_config();
    gw_client *client = NULL;
    if (gw_client_new(config, &client) != GW_OK) exit(3);
    gw_config_free(config);
    return client;
}

static gw_request *fresh_request(void) {
    gw_request *request = NULL;
    if (gw_request_new("CREATE_SESSION", &request) != GW_OK) exit(3);
    return request;
}

/* Before each case: a known last error, to see whether the case keeps it. */
static const char *before_ptr;
static char before_text[256];

static void set_known_last_error(void) {
    gw_request *request = NULL;
    if (gw_request_new("MATRIX_BEFORE", &request) != GW_ERR_INVALID_FIELD) exit(3);
    before_ptr = gw_last_error();
    snprintf(before_text, sizeof before_text, "%s", before_ptr);
}

/* One line per case: id, status (or -), outs all NULL, last error kept,
   in doubt, the field, the message's length and its start. */
static void report(int id, long status, int outs_null) {
    const char *err = gw_last_error();
    const char *field = gw_last_error_field();
    int kept = err == before_ptr && strcmp(err, before_text) == 0;
    char start[161], field_start[101];
    snprintf(start, sizeof start, "%s", err);
    snprintf(field_start, sizeof field_start, "%s", field ? field : "-");
    for (char *p = start; *p; p++) if (*p == '\n' || *p == '\t') *p = ' ';
    printf("case\t%d\t%ld\t%d\t%d\t%u\t%s\t%zu\t%zu\t%s\n", id, status, outs_null, kept,
           (unsigned)gw_last_error_in_doubt(), field_start, field ? strlen(field) : 0, strlen(err), start);
    fflush(stdout);
    release();
}

struct field_case { const char *op; const char *name; const char *fill; size_t count; };
"#;

/// The generated program and the expectation of each of its cases.
struct Matrix {
    source: String,
    cases: Vec<Case>,
}

fn generate(functions: &[Function]) -> Matrix {
    let mut cases: Vec<Case> = Vec::new();
    let mut body = String::new();
    let bounds = number_bounds();
    for function in functions {
        for (index, param) in function.params.iter().enumerate() {
            let shape = shape(&param.ty);
            // (argument as C, description, expectation)
            let mut variants: Vec<(String, String, Expect)> = Vec::new();
            match shape {
                Shape::Str | Shape::Out | Shape::Handle | Shape::Callback => {
                    let expect = if function.accepts_null(&param.name) {
                        Expect::Accepted
                    } else if function.returns_status() {
                        Expect::Argument(NULL_ARGUMENT, param.name.clone())
                    } else {
                        Expect::Survives
                    };
                    if !(expect == Expect::Accepted && function.reaches_gateway()) {
                        variants.push(("NULL".into(), "NULL".into(), expect));
                    }
                }
                Shape::Int => {
                    let listed: Vec<&(String, Expect)> = bounds
                        .iter()
                        .filter(|(f, p, _)| *f == function.name && *p == param.name)
                        .flat_map(|(_, _, values)| values)
                        .collect();
                    for (value, expect) in &listed {
                        variants.push((value.clone(), value.clone(), expect.clone()));
                    }
                    for value in ["0", int_max(&param.ty)] {
                        if !listed.iter().any(|(v, _)| v == value) {
                            variants.push((value.into(), value.into(), Expect::Survives));
                        }
                    }
                }
                Shape::Userdata => {}
            }
            if shape == Shape::Str {
                let status_fn = function.returns_status();
                let utf8 =
                    if status_fn { Expect::Argument(INVALID_UTF8, param.name.clone()) } else { Expect::Survives };
                let field = field_of(&function.name, &param.name);
                let refused = match field {
                    Some(field) => Expect::Field(field.into()),
                    None if status_fn => Expect::Refused,
                    None => Expect::Survives,
                };
                variants.push((Value::Literal(b"GW\xff\xfeBAD".to_vec()).c(), "not UTF-8".into(), utf8));
                variants.push(("\"\"".into(), "empty".into(), refused.clone()));
                let big = if stored_unchecked(&function.name, &param.name) { Expect::Accepted } else { refused };
                variants.push((Value::Repeat("a", BIG).c(), "1 MiB".into(), big));
                if let Some(field) = field {
                    let op = match function.name.as_str() {
                        "gw_request_pay_p2pe" | "gw_request_pay_token" => Operation::Pay,
                        "gw_retrieve_transaction" => Operation::RetrieveTransaction,
                        _ => Operation::Tokenize,
                    };
                    // The newest row of the field (P2PE payments have rows from version 84 only).
                    let rule =
                        op.rules().iter().rev().find(|rule| rule.name == field).expect("a field of the operation");
                    for value in boundary_values(rule) {
                        let expect = oracle(op, field, &value);
                        // Valid values would send a request: the matrix sends none.
                        if expect != Expect::Accepted {
                            variants.push((value.c(), format!("{field} = {}", value.describe()), expect));
                        }
                    }
                }
            }
            for (argument, what, expect) in variants {
                let id = cases.len();
                body.push_str(&call(function, index, &argument, id));
                cases.push(Case { function: function.name.clone(), what: format!("{} = {what}", param.name), expect });
            }
        }
    }
    // Every field of both operations at the boundaries of its rule, through gw_request_set.
    let mut table = String::from("static const struct field_case FIELD_CASES[] = {\n");
    let first_field_case = cases.len();
    for op in Operation::ALL {
        for rule in op.rules() {
            for value in boundary_values(rule) {
                let expect = oracle(op, rule.name, &value);
                if rule.charset != Charset::Group && outside_length(rule, &value) {
                    assert_eq!(
                        expect,
                        Expect::Field(rule.name.into()),
                        "{} {}: the rule's own bound",
                        rule.name,
                        value.describe()
                    );
                }
                let (fill, count) = match &value {
                    Value::Repeat(fill, count) => (literal(fill.as_bytes()), *count),
                    other => (other.c(), 1),
                };
                let _ = writeln!(table, "    {{\"{}\", \"{}\", {fill}, {count}}},", op.name(), rule.name);
                cases.push(Case {
                    function: "gw_request_set".into(),
                    what: format!("{op} {} = {}", rule.name, value.describe()),
                    expect,
                });
            }
        }
    }
    table.push_str("};\n");
    let mut source = String::from(PRELUDE);
    source.push_str(&table);
    source.push_str("\nstatic void cases(void) {\n");
    source.push_str(&body);
    let _ = write!(
        source,
        r#"    for (size_t i = 0; i < sizeof FIELD_CASES / sizeof FIELD_CASES[0]; i++) {{
        gw_request *request = NULL;
        if (gw_request_new(FIELD_CASES[i].op, &request) != GW_OK) exit(3);
        set_known_last_error();
        gw_status status = gw_request_set(request, FIELD_CASES[i].name, repeat(FIELD_CASES[i].fill, FIELD_CASES[i].count));
        report({first_field_case} + (int)i, (long)status, 1);
        gw_request_free(request);
    }}
}}

int main(int argc, char **argv) {{
    if (argc != 9) {{
        fprintf(stderr, "usage: matrix URL_A URL_B MERCHANT PASSWORD KSN PAYLOAD IV CARD_BIN\n");
        return 2;
    }}
    url_a = argv[1]; url_b = argv[2]; merchant = argv[3]; password = argv[4];
    ksn = argv[5]; payload = argv[6]; iv = *argv[7] ? argv[7] : NULL; card_bin = argv[8];
    matrix_client = fresh_client();
    gw_config *config_b = fresh_config();
    gw_client *client_b = NULL;
    if (gw_config_set_base_url(config_b, url_b) != GW_OK || gw_client_new(config_b, &client_b) != GW_OK ||
        gw_create_session(client_b, &baseline_response) != GW_OK) {{
        fprintf(stderr, "baseline response: %s\n", gw_last_error());
        return 3;
    }}
    gw_config_free(config_b);
    gw_client_free(client_b);
    cases();
    gw_response_free(baseline_response);
    gw_client_free(matrix_client);
    printf("done\n");
    return 0;
}}
"#
    );
    Matrix { source, cases }
}

/// The valid value of a string parameter (the other arguments of a case).
fn valid_string(function: &str, param: &str) -> &'static str {
    match (function, param) {
        ("gw_config_set_base_url", "url") => "url_a",
        ("gw_config_set_proxy", "url") => "\"http://127.0.0.1:9\"",
        (_, "merchant_id") => "merchant",
        (_, "password") => "password",
        ("gw_request_pay_p2pe", "api_operation") => "\"PAY\"",
        (_, "api_operation") => "\"CREATE_SESSION\"",
        (_, "amount") => "\"12.50\"",
        (_, "currency") => "\"USD\"",
        ("gw_request_set", "name") => "\"correlationId\"",
        ("gw_request_set", "value") => "\"gw-matrix\"",
        ("gw_response_get", "name") => "\"result\"",
        (_, "token") => "\"MATRIXTOKEN1\"",
        (_, "key_serial_number") => "ksn",
        (_, "payload") => "payload",
        (_, "initialization_vector") => "iv",
        (_, "card_bin") => "card_bin",
        (_, p) if p.ends_with("path") => "\"/nonexistent/gw-matrix.pem\"",
        _ => "\"gw-matrix\"",
    }
}

/// The valid value of a number parameter.
fn valid_number(param: &str) -> &'static str {
    match param {
        "version" => "50",
        "milliseconds" => "1000",
        "level" => "GW_LOG_ERROR",
        "status" => "GW_ERR_TIMEOUT",
        _ => "0",
    }
}

/// The C block of one case: `function` called with `argument` at `index` and
/// valid values elsewhere.
fn call(function: &Function, index: usize, argument: &str, id: usize) -> String {
    let mut setup = String::new();
    let mut teardown = String::new();
    let mut args = Vec::new();
    let mut outs = Vec::new();
    for (i, param) in function.params.iter().enumerate() {
        let ty = handle_type(&param.ty);
        let shape = shape(&param.ty);
        let value = if i == index && shape != Shape::Out {
            argument.to_owned()
        } else {
            match shape {
                Shape::Str => valid_string(&function.name, &param.name).to_owned(),
                Shape::Int => valid_number(&param.name).to_owned(),
                Shape::Userdata => "NULL".into(),
                Shape::Callback if param.ty.contains("recover") => "matrix_recover".into(),
                Shape::Callback => "matrix_log".into(),
                Shape::Out if i == index => argument.to_owned(),
                Shape::Out => {
                    let pointee = param.ty.trim_end_matches('*').trim_end().to_owned() + " *";
                    let _ = writeln!(setup, "        {pointee}o{i} = SENTINEL;");
                    outs.push((i, ty.clone()));
                    format!("&o{i}")
                }
                Shape::Handle => match ty.as_str() {
                    "gw_client" if !function.is_free() => "matrix_client".into(),
                    "gw_response" if !function.is_free() => "baseline_response".into(),
                    "gw_config" | "gw_request" | "gw_client" | "gw_response" => {
                        let maker = match ty.as_str() {
                            "gw_config" => "fresh_config()",
                            "gw_request" => "fresh_request()",
                            "gw_client" => "fresh_client()",
                            _ => "NULL",
                        };
                        let _ = writeln!(setup, "        {ty} *h{i} = {maker};");
                        if !function.is_free() {
                            let _ = writeln!(teardown, "        {ty}_free(h{i});");
                        }
                        format!("h{i}")
                    }
                    other => panic!("the matrix does not know handle type {other}"),
                },
            }
        };
        args.push(value);
    }
    let call = format!("{}({})", function.name, args.join(", "));
    let (result, status) = match function.ret.as_str() {
        "gw_status" => (format!("        gw_status r = {call};\n"), "(long)r"),
        "void" => (format!("        {call};\n"), "-1"),
        _ => (format!("        (void){call};\n"), "-1"),
    };
    let outs_null = if outs.is_empty() {
        "1".to_owned()
    } else {
        outs.iter().map(|(i, _)| format!("o{i} == NULL")).collect::<Vec<_>>().join(" && ")
    };
    let mut free_outs = String::new();
    for (i, ty) in &outs {
        if ty != "char" {
            let _ = writeln!(free_outs, "        if (o{i} != NULL && (void *)o{i} != SENTINEL) {ty}_free(o{i});");
        }
    }
    format!(
        "    {{\n{setup}        set_known_last_error();\n{result}        report({id}, {status}, {outs_null});\n{free_outs}{teardown}    }}\n"
    )
}

/// One line of the program's output.
struct Outcome {
    status: Option<u32>,
    outs_null: bool,
    kept: bool,
    /// `gw_last_error_in_doubt()` after the call: a column of its own.
    in_doubt: bool,
    field: Option<String>,
    field_len: usize,
    message_len: usize,
    message: String,
}

fn parse_outcomes(stdout: &str) -> BTreeMap<usize, Outcome> {
    stdout
        .lines()
        .filter_map(|line| line.strip_prefix("case\t"))
        .map(|line| {
            let parts: Vec<&str> = line.splitn(9, '\t').collect();
            let status: i64 = parts[1].parse().unwrap();
            let outcome = Outcome {
                status: u32::try_from(status).ok(),
                outs_null: parts[2] == "1",
                kept: parts[3] == "1",
                in_doubt: parts[4] == "1",
                field: (parts[5] != "-").then(|| parts[5].to_owned()),
                field_len: parts[6].parse().unwrap(),
                message_len: parts[7].parse().unwrap(),
                message: parts[8].to_owned(),
            };
            (parts[0].parse().unwrap(), outcome)
        })
        .collect()
}

/// The problems of one case, empty when it behaved as documented.
fn check(case: &Case, outcome: &Outcome) -> Vec<String> {
    let mut problems = Vec::new();
    let status = outcome.status;
    if status == Some(INTERNAL) {
        problems.push("GW_ERR_INTERNAL".into());
    }
    if status.is_some_and(|s| s != GW_OK) && !outcome.outs_null {
        problems.push("an out-parameter is not NULL after a failure".into());
    }
    if status.is_none() && !outcome.kept {
        problems.push("a call without status changed the thread's last error".into());
    }
    // Nothing is ever sent here (gw-sim counts zero requests): no call can
    // be in doubt, and one that keeps the last error keeps the 0 before it.
    if outcome.in_doubt {
        problems.push("gw_last_error_in_doubt() is 1, yet nothing was sent".into());
    }
    if status.is_some_and(|s| s != GW_OK) && outcome.message_len == 0 {
        problems.push("no message".into());
    }
    if outcome.message_len > 4096 || outcome.field_len > 256 {
        problems.push(format!(
            "a {}-byte message, a {}-byte field name (the input echoed)",
            outcome.message_len, outcome.field_len
        ));
    }
    let named = |arg: &str| outcome.message.contains(&format!("'{arg}'"));
    match (&case.expect, status) {
        (Expect::Argument(want, arg), Some(got)) if got != *want || !named(arg) => {
            problems.push(format!("want status {want} naming '{arg}'"));
        }
        (Expect::Field(field), got) if got != Some(INVALID_FIELD) || outcome.field.as_deref() != Some(field) => {
            problems.push(format!("want GW_ERR_INVALID_FIELD naming {field}"));
        }
        (Expect::Refused, Some(got)) if got != CONFIG && !(got == INVALID_FIELD && outcome.field.is_some()) => {
            problems.push("want GW_ERR_CONFIG or GW_ERR_INVALID_FIELD with a field".into());
        }
        (Expect::Status(want), got) if got != Some(*want) => problems.push(format!("want status {want}")),
        (Expect::Accepted, Some(got)) if got != GW_OK => problems.push("want GW_OK".into()),
        _ => {}
    }
    problems
}

/// A client of the test merchant at `base_url`.
fn control_client(base_url: &str) -> *mut gw::ffi::client::gw_client {
    let config = gw::ffi::config::gw_config_new();
    let mut client = std::ptr::null_mut();
    // SAFETY: a live config and a valid string.
    assert_eq!(unsafe { gw::ffi::config::gw_config_set_base_url(config, c(base_url).as_ptr()) }, GW_OK);
    // SAFETY: as above.
    assert_eq!(unsafe { gw::ffi::config::gw_config_set_merchant(config, c(MERCHANT).as_ptr()) }, GW_OK);
    // SAFETY: as above.
    assert_eq!(unsafe { gw::ffi::config::gw_config_set_api_password(config, c(PASSWORD).as_ptr()) }, GW_OK);
    // SAFETY: a live config and out-pointer.
    assert_eq!(unsafe { gw::ffi::client::gw_client_new(config, &mut client) }, GW_OK);
    // SAFETY: from gw_config_new, freed once.
    unsafe { gw::ffi::config::gw_config_free(config) };
    client
}

#[test]
fn every_bad_input_of_every_function_gives_its_documented_status_and_sends_nothing() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let header = std::fs::read_to_string(root.join("include/gw.h")).unwrap();
    let functions = parse_header(&header);
    assert!(functions.len() >= 30, "parsed only {} prototypes", functions.len());
    assert!(functions.iter().any(|f| f.name == "gw_tokenize_p2pe" && f.params.len() == 7));

    let matrix = generate(&functions);
    let dir = scratch_dir("bad-input-matrix");
    let source = dir.join("bad_input_matrix.c");
    std::fs::write(&source, &matrix.source).unwrap();
    let exe = compile_c_file(&source, false, &["-Wno-overlength-strings"]);

    let sim_a = sim();
    let sim_b = sim();
    let card = terminal_card();
    let output = Command::new(&exe)
        .args([
            &sim_a.base_url(),
            &sim_b.base_url(),
            MERCHANT,
            PASSWORD,
            &card.ksn,
            &card.payload,
            card.iv.as_deref().unwrap_or(""),
            &card.card_bin,
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let outcomes = parse_outcomes(&stdout);
    let crashed_after = outcomes.keys().max().map_or(0, |id| id + 1);
    assert!(
        output.status.success() && stdout.ends_with("done\n"),
        "the matrix program died ({:?}) after case {crashed_after}: {}\n{stderr}",
        output.status,
        matrix.cases.get(crashed_after).map_or(String::new(), |c| format!("{} {}", c.function, c.what)),
    );
    assert_eq!(outcomes.len(), matrix.cases.len());

    let mut problems = Vec::new();
    for (id, case) in matrix.cases.iter().enumerate() {
        for problem in check(case, &outcomes[&id]) {
            let o = &outcomes[&id];
            problems.push(format!(
                "{} ({}): {problem}; got status {:?} field {:?}: {}",
                case.function, case.what, o.status, o.field, o.message
            ));
        }
    }
    assert!(problems.is_empty(), "{} of {} cases:\n{}", problems.len(), matrix.cases.len(), problems.join("\n"));
    let per_function = matrix.cases.iter().map(|c| c.function.as_str()).collect::<std::collections::BTreeSet<_>>();
    let with_args = functions.iter().filter(|f| !f.params.iter().all(|p| shape(&p.ty) == Shape::Userdata)).count();
    assert_eq!(per_function.len(), with_args, "every function with arguments has cases");
    println!("bad-input matrix: {} inputs over {} functions", matrix.cases.len(), per_function.len());

    assert_eq!((sim_a.connection_count(), sim_a.request_count()), (0, 0), "bad input must never reach the wire");
    // Control: the counter does count (a valid call through the same path).
    let mut request = std::ptr::null_mut();
    let mut response = std::ptr::null_mut();
    let client = control_client(&sim_a.base_url());
    // SAFETY: a live request out-pointer and a valid string.
    assert_eq!(unsafe { gw::ffi::request::gw_request_new(c("CREATE_SESSION").as_ptr(), &mut request) }, GW_OK);
    // SAFETY: live handles.
    assert_eq!(unsafe { gw::ffi::client::gw_execute(client, request, &mut response) }, GW_OK);
    // SAFETY: handles from gw, freed once.
    unsafe { gw::ffi::response::gw_response_free(response) };
    // SAFETY: as above.
    unsafe { gw::ffi::request::gw_request_free(request) };
    // SAFETY: as above.
    unsafe { gw::ffi::client::gw_client_free(client) };
    assert_eq!(sim_a.request_count(), 1);
}
