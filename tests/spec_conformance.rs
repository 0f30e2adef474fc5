//! The field-rule table says what the gateway's field reference says.
//!
//! This test reads `../shared/spec/*.txt` (the reference as text), parses the
//! request fields of each operation (name, data type, REQUIRED/OPTIONAL/FIXED,
//! "Min length / Max length", charset sentence, enumeration values) and
//! compares them with `gw::rules`, row by row, both ways. The few deliberate
//! readings are listed in `DELIBERATE` with their reason.

use std::collections::BTreeMap;
use std::path::PathBuf;

use gw::rules::{Charset, Operation, Presence};

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

fn spec_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/spec")
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

fn check_operation(op: Operation, file: &str) {
    let text = std::fs::read_to_string(spec_dir().join(file))
        .unwrap_or_else(|e| panic!("read ../shared/spec/{file}: {e} (the reference must sit beside the repository)"));
    let spec = parse_request_fields(&text);
    assert!(spec.len() >= 3, "{file}: parsed only {} fields", spec.len());
    let table: BTreeMap<&str, &gw::rules::FieldRule> = op.rules().iter().map(|r| (r.name, r)).collect();
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

#[test]
fn create_session_rules_match_the_v39_reference() {
    check_operation(Operation::CreateSession, "create-session.nvp-v39.txt");
}

#[test]
fn tokenize_rules_match_the_v50_reference() {
    check_operation(Operation::Tokenize, "tokenize.nvp-v50.txt");
}

#[test]
fn deliberate_readings_are_what_they_say() {
    let token = Operation::Tokenize.rule("token").unwrap();
    assert_eq!(token.presence, Presence::Optional);
    let state = Operation::Tokenize.rule("sourceOfFunds.provided.card.p2pe.encryptionState").unwrap();
    assert_eq!((state.min_len, state.max_len), (5, 7));
    assert_eq!(state.charset, Charset::Enumeration(&["VALID", "INVALID"]));
}
