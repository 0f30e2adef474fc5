//! The field-rule table says what the gateway's field reference says.
//!
//! This test reads `../shared/spec/*.txt` (the reference as text), parses the
//! request fields of each operation (name, data type, REQUIRED/OPTIONAL/FIXED,
//! "Min length / Max length", charset sentence, enumeration values) and
//! compares them with `gw::rules` at the reference's API version, row by row,
//! both ways. The few deliberate readings are listed in `DELIBERATE` with
//! their reason. The response fields (and the errors) are compared by name
//! with the table's response rows, and every "Masked digits" field of the
//! reference must be marked sensitive.

use std::collections::BTreeMap;
use std::path::PathBuf;

use gw::rules::{Charset, Operation, Presence, ERROR_FIELDS};

/// Where the table deliberately reads the reference more narrowly or differently.
const DELIBERATE: &[(&str, &str)] = &[
    ("token", "REQUIRED in 'Create or Update Token'; absent is the 'Create Token' form (shared/spec/README.md)"),
    (
        "sourceOfFunds.provided.card.p2pe.encryptionState",
        "String 5-7 whose description names the values VALID and INVALID: an enumeration",
    ),
];

#[derive(Debug, Default)]
struct SpecField {
    type_text: String,
    presence: String,
    min_max: Option<(usize, usize)>,
    charset_sentence: Option<String>,
    enumeration: Vec<String>,
    number_range: Option<(u32, u32)>,
}

/// `../shared/spec` beside the repository, or `GW_SPEC_DIR` (a git worktree
/// kept elsewhere).
fn spec_dir() -> PathBuf {
    std::env::var_os("GW_SPEC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/spec"))
}

/// The request fields of one reference file.
fn parse_request_fields(text: &str) -> BTreeMap<String, SpecField> {
    let start = text.find("Request Copied to clipboard").expect("a Request section");
    let end = text.find("Response Copied to clipboard").expect("a Response section");
    let mut fields: BTreeMap<String, SpecField> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut in_enumeration = false;
    for line in text[start..end].lines().map(str::trim) {
        if let Some((name, rest)) = line.split_once(" Copied to clipboard") {
            if name == "Request" || name == "Fields" {
                continue;
            }
            let rest = rest.trim();
            let (type_text, presence) = rest.rsplit_once(' ').unwrap_or(("", rest));
            fields.insert(
                name.to_owned(),
                SpecField { type_text: type_text.to_owned(), presence: presence.to_owned(), ..SpecField::default() },
            );
            current = Some(name.to_owned());
            in_enumeration = false;
            continue;
        }
        let Some(field) = current.as_ref().and_then(|name| fields.get_mut(name)) else { continue };
        if let Some(lengths) = line.strip_prefix("Min length: ") {
            let (min, max) = lengths.split_once(" Max length: ").expect("Min and Max");
            field.min_max = Some((min.parse().unwrap(), max.parse().unwrap()));
        } else if line.starts_with("Data ") {
            if let Some(range) = line.strip_prefix("Data is a number between ") {
                let words: Vec<&str> = range.split_whitespace().collect();
                field.number_range = Some((words[0].parse().unwrap(), words[2].parse().unwrap()));
            }
            field.charset_sentence = Some(line.to_owned());
        } else if line.starts_with("Value must be a member of the following list") {
            in_enumeration = true;
        } else if in_enumeration
            && !line.is_empty()
            && line.chars().all(|c| c.is_ascii_uppercase() || c == '_' || c.is_ascii_digit())
        {
            field.enumeration.push(line.to_owned());
        }
    }
    fields
}

/// The characters listed after "0-9, a-z, A-Z" in a charset sentence.
fn listed_extras(sentence: &str) -> String {
    sentence.split('\'').skip(1).step_by(2).collect()
}

fn read_spec(file: &str) -> String {
    std::fs::read_to_string(spec_dir().join(file))
        .unwrap_or_else(|e| panic!("read ../shared/spec/{file}: {e} (the reference must sit beside the repository)"))
}

/// The rows at `version` must be exactly the reference's request fields.
fn check_operation(op: Operation, file: &str, version: u32) {
    let text = read_spec(file);
    let spec = parse_request_fields(&text);
    assert!(spec.len() >= 3, "{file}: parsed only {} fields", spec.len());
    let table: BTreeMap<&str, &gw::rules::FieldRule> = op.rules_at(version).map(|r| (r.name, r)).collect();
    let spec_names: Vec<&str> = spec.keys().map(String::as_str).collect();
    let table_names: Vec<&str> = table.keys().copied().collect();
    assert_eq!(table_names, spec_names, "{op}: the table's rows are not the reference's request fields");

    for (name, field) in &spec {
        let rule = table[name.as_str()];
        let deliberate = DELIBERATE.iter().any(|(n, _)| n == name);
        let expected_presence = match field.presence.as_str() {
            "REQUIRED" => Presence::Required,
            "OPTIONAL" => Presence::Optional,
            "FIXED" => Presence::Fixed,
            other => panic!("{name}: unknown marker {other}"),
        };
        if !deliberate {
            assert_eq!(rule.presence, expected_presence, "{op} {name}: presence");
        }
        if let Some((min, max)) = field.min_max {
            assert_eq!((rule.min_len, rule.max_len), (min, max), "{op} {name}: lengths");
            assert!(rule.lengths.is_empty(), "{op} {name}: the reference gives a range, not a list of lengths");
        }
        let sentence = field.charset_sentence.as_deref().unwrap_or("");
        let expected = match field.type_text.as_str() {
            "" => Some(Charset::Group),
            t if t.starts_with("String = ") => Some(Charset::FixedOperation),
            "String" => Some(Charset::Any),
            "ASCII Text" => Some(Charset::Ascii),
            "Hex" => Some(Charset::Hex),
            "Alphanumeric" => Some(Charset::Alphanumeric),
            "Upper case alphabetic text" => Some(Charset::UpperAlpha),
            "Digits" => match field.number_range {
                Some((min, max)) => Some(Charset::Number { min, max }),
                None => Some(Charset::Digits),
            },
            "Alphanumeric + additional characters" => {
                match rule.charset {
                    Charset::AlphanumericPlus(extra) => {
                        assert_eq!(extra, listed_extras(sentence), "{op} {name}: extra characters")
                    }
                    other => panic!("{op} {name}: expected alphanumeric plus, table has {other:?}"),
                }
                None
            }
            "Enumeration" => {
                match rule.charset {
                    Charset::Enumeration(values) => assert_eq!(values, field.enumeration, "{op} {name}: enumeration"),
                    other => panic!("{op} {name}: expected an enumeration, table has {other:?}"),
                }
                None
            }
            other => panic!("{op} {name}: unknown data type '{other}'"),
        };
        if let (Some(expected), false) = (expected, deliberate) {
            assert_eq!(rule.charset, expected, "{op} {name}: data type ({sentence})");
        }
    }
}

/// The response and error field names of one reference file, with their data type.
fn parse_response_fields(text: &str) -> BTreeMap<String, String> {
    let start = text.find("Response Copied to clipboard").expect("a Response section");
    text[start..]
        .lines()
        .filter_map(|line| line.trim().split_once(" Copied to clipboard"))
        .filter(|(name, _)| !["Response", "Fields", "Errors"].contains(name))
        .map(|(name, rest)| (name.to_owned(), rest.trim().to_owned()))
        .collect()
}

/// Response rows the reference does not list, with the reason.
const DELIBERATE_RESPONSE: &[(&str, &str)] =
    &[("session.aes256Key", "returned by CREATE_SESSION in later API versions; a secret")];

fn check_response(op: Operation, file: &str) {
    let spec = parse_response_fields(&read_spec(file));
    assert!(spec.len() >= 10, "{file}: parsed only {} response fields", spec.len());
    let table: BTreeMap<&str, bool> =
        op.response_fields().iter().chain(ERROR_FIELDS).map(|f| (f.name, f.sensitive)).collect();
    let expected: Vec<&str> = spec
        .keys()
        .map(String::as_str)
        .chain(DELIBERATE_RESPONSE.iter().map(|(n, _)| *n).filter(|n| table.contains_key(n)))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(table.keys().copied().collect::<Vec<_>>(), expected, "{op}: response rows are not the reference's");
    for (name, type_text) in &spec {
        if type_text.starts_with("Masked digits") {
            assert!(table[name.as_str()], "{op} {name}: the reference masks it, the table must mark it sensitive");
        }
    }
}

#[test]
fn create_session_rules_match_the_v39_reference() {
    for version in [39, 50] {
        check_operation(Operation::CreateSession, "create-session.nvp-v39.txt", version);
    }
    check_response(Operation::CreateSession, "create-session.nvp-v39.txt");
}

#[test]
fn tokenize_rules_match_the_v50_reference() {
    check_operation(Operation::Tokenize, "tokenize.nvp-v50.txt", 50);
    check_response(Operation::Tokenize, "tokenize.nvp-v50.txt");
}

#[test]
fn from_version_84_only_the_p2pe_rows_change() {
    let at = |version: u32| -> Vec<gw::rules::FieldRule> { Operation::Tokenize.rules_at(version).copied().collect() };
    let (v50, v84) = (at(50), at(84));
    assert_eq!(at(83), v50, "every version before 84 has the version 50 rules");
    assert_eq!(at(100), v84);
    let changed: Vec<&str> = v84.iter().filter(|rule| !v50.contains(rule)).map(|rule| rule.name).collect::<Vec<_>>();
    assert_eq!(
        changed,
        [
            "posTerminal",
            "posTerminal.serialNumber",
            "sourceOfFunds.provided.card.p2pe.initializationVector",
            "sourceOfFunds.provided.card.p2pe.keySerialNumber",
        ]
    );
    assert!(v50.iter().all(|rule| v84.iter().any(|r| r.name == rule.name)), "no field disappears at 84");
}

#[test]
fn deliberate_readings_are_what_they_say() {
    let token = Operation::Tokenize.rule("token").unwrap();
    assert_eq!(token.presence, Presence::Optional);
    let state = Operation::Tokenize.rule("sourceOfFunds.provided.card.p2pe.encryptionState").unwrap();
    assert_eq!((state.min_len, state.max_len), (5, 7));
    assert_eq!(state.charset, Charset::Enumeration(&["VALID", "INVALID"]));
}
