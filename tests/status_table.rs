//! The one status table (`gw::error::Kind`, one macro row per status) and
//! its copies agree: the header's constants, `gw_status_name` /
//! `gw_status_str`, the Python exception classes, the C++ test's list.

mod common;

use std::collections::BTreeMap;

use gw::error::Kind;
use gw::ffi::status::{gw_status_name, gw_status_str};

fn read_file(path: &str) -> String {
    std::fs::read_to_string(common::root().join(path)).expect(path)
}

/// The table's rows: C name → number, `GW_OK` included.
fn table() -> BTreeMap<String, u32> {
    let mut rows: BTreeMap<_, _> =
        Kind::ALL.iter().map(|k| (k.name().to_str().unwrap().to_owned(), k.status())).collect();
    rows.insert("GW_OK".into(), 0);
    rows
}

fn is_status_name(name: &str) -> bool {
    name == "GW_OK" || name.starts_with("GW_ERR_") || table().contains_key(name)
}

#[test]
fn kinds_are_numbered_in_order_and_round_trip() {
    for (index, kind) in Kind::ALL.iter().enumerate() {
        assert_eq!(kind.status() as usize, index + 1, "{kind:?}");
        assert_eq!(Kind::from_status(kind.status()), Some(*kind));
    }
    assert_eq!(Kind::from_status(0), None);
    assert_eq!(Kind::from_status(Kind::ALL.len() as u32 + 1), None);
}

#[test]
fn the_header_defines_each_status_with_its_number_and_a_doc() {
    let header = read_file("include/gw.h");
    let lines: Vec<&str> = header.lines().collect();
    let mut defined = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        let mut words = line.split_whitespace();
        if let (Some("#define"), Some(name), Some(value)) = (words.next(), words.next(), words.next()) {
            if is_status_name(name) {
                // cbindgen writes doc comments as `/** ... */` (C89).
                assert!(lines[i - 1].trim_start().starts_with("*/"), "{name} has no doc comment in gw.h");
                defined.insert(name.to_owned(), value.parse::<u32>().expect(name));
            }
        }
    }
    assert_eq!(defined, table(), "include/gw.h and the status table (src/error.rs) differ");
}

#[test]
fn status_name_and_str_come_from_the_table() {
    for kind in Kind::ALL {
        assert_eq!(common::read(gw_status_name(kind.status())).as_deref(), kind.name().to_str().ok());
        assert_eq!(common::read(gw_status_str(kind.status())).as_deref(), Some(kind.describe()));
    }
    let past = Kind::ALL.len() as u32 + 1;
    assert_eq!(common::read(gw_status_name(past)), None);
    assert_eq!(common::read(gw_status_str(past)).as_deref(), Some("unknown status"));
}

#[test]
fn the_python_exception_classes_cover_the_table() {
    let errors = read_file("bindings/python/src/gw/errors.py");
    let mapping = &errors[errors.find("CLASS_BY_NAME: Dict").expect("CLASS_BY_NAME")..];
    let mapping = &mapping[..mapping.find('}').unwrap()];
    let names: Vec<&str> = mapping.split('"').skip(1).step_by(2).collect();
    let mut expected: Vec<String> = table().into_keys().filter(|n| n != "GW_OK").collect();
    let mut names: Vec<String> = names.into_iter().map(str::to_owned).collect();
    expected.sort();
    names.sort();
    assert_eq!(names, expected, "bindings/python/src/gw/errors.py CLASS_BY_NAME and the status table differ");
}

#[test]
fn the_cpp_test_lists_the_table() {
    let test = read_file("bindings/cpp/test_gw.cpp");
    let names: Vec<&str> = test.split("STATUS(").skip(1).filter_map(|rest| rest.split(')').next()).collect();
    let names: Vec<&str> = names.into_iter().filter(|name| is_status_name(name)).collect();
    let mut expected: Vec<(u32, String)> = table().into_iter().map(|(name, number)| (number, name)).collect();
    expected.sort();
    let expected: Vec<String> = expected.into_iter().map(|(_, name)| name).collect();
    assert_eq!(names, expected, "bindings/cpp/test_gw.cpp's status list and the status table differ");
}
