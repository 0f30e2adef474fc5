//! The layer order `src/lib.rs` states is the order the code keeps: each
//! module of `src/` refers only to modules named before it in that list
//! (issue 8, item 5: `error` and `response` once imported each other).

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// The modules in the order of lib.rs's "Layers" paragraph.
fn stated_layers(lib: &str) -> Vec<String> {
    let paragraph: String = lib
        .lines()
        .skip_while(|line| !line.starts_with("//! Layers,"))
        .take_while(|line| line.starts_with("//!") && line.trim() != "//!")
        .collect::<Vec<_>>()
        .join(" ");
    // The list ends at `ffi`, the top; what follows names types, not layers.
    let names = paragraph.split('`').skip(1).step_by(2).map(|name| name.trim_matches(['[', ']']).to_owned());
    let mut layers: Vec<String> = Vec::new();
    for name in names {
        let top = name == "ffi";
        layers.push(name);
        if top {
            break;
        }
    }
    layers
}

/// The crate modules a source file refers to (`crate::NAME`), comments
/// excluded; a re-export at the root (`crate::Client`) counts as its module.
fn referenced_modules(source: &str) -> BTreeSet<String> {
    const REEXPORTS: [(&str, &str); 9] = [
        ("Client", "client"),
        ("Config", "config"),
        ("LogLevel", "config"),
        ("Trust", "config"),
        ("Error", "error"),
        ("Kind", "error"),
        ("P2peCard", "operations"),
        ("Request", "request"),
        ("Response", "response"),
    ];
    let code = source.lines().filter(|line| !line.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    let mut modules = BTreeSet::new();
    for (index, _) in code.match_indices("crate::") {
        let rest = &code[index + "crate::".len()..];
        let first = rest.split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("");
        let module = REEXPORTS.iter().find(|(item, _)| *item == first).map_or(first, |(_, module)| module);
        modules.insert(module.to_owned());
    }
    // `use crate::{a, b::C}` names several.
    for group in code.split("use crate::{").skip(1) {
        let inside = group.split('}').next().unwrap_or("");
        for item in inside.split(',') {
            let first = item.trim().split("::").next().unwrap_or("").trim();
            if !first.is_empty() {
                modules.insert(first.to_owned());
            }
        }
    }
    modules.remove("");
    modules
}

#[test]
fn every_module_uses_only_the_layers_before_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let layers = stated_layers(&fs::read_to_string(src.join("lib.rs")).expect("lib.rs"));
    assert!(layers.len() >= 10 && layers.last().map(String::as_str) == Some("ffi"), "{layers:?}");
    let mut problems = Vec::new();
    for (position, module) in layers.iter().enumerate().filter(|(_, module)| *module != "ffi") {
        let source = fs::read_to_string(src.join(format!("{module}.rs"))).expect("a module of the list");
        for used in referenced_modules(&source) {
            match layers.iter().position(|layer| *layer == used) {
                Some(at) if at < position => {}
                Some(_) => problems.push(format!("{module} uses {used}, which lib.rs puts at or after it")),
                None => problems.push(format!("{module} uses {used}, which lib.rs's layer list does not name")),
            }
        }
    }
    assert!(problems.is_empty(), "layers {layers:?}:\n{}", problems.join("\n"));
}

/// The sibling modules a file of a module directory refers to
/// (`super::NAME`), comments and its unit tests (`mod tests`) excluded.
fn sibling_references(source: &str, siblings: &BTreeSet<String>) -> BTreeSet<String> {
    let code: String = source
        .lines()
        .take_while(|line| !line.trim_start().starts_with("mod tests"))
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut used = BTreeSet::new();
    for (index, _) in code.match_indices("super::") {
        let rest = &code[index + "super::".len()..];
        let names: Vec<&str> = match rest.strip_prefix('{') {
            // `use super::{a, b::C}` names several.
            Some(group) => group.split('}').next().unwrap_or("").split(',').collect(),
            None => vec![rest],
        };
        for name in names {
            let first = name.trim().split(|c: char| !(c.is_alphanumeric() || c == '_')).next().unwrap_or("");
            if siblings.contains(first) {
                used.insert(first.to_owned());
            }
        }
    }
    used
}

/// Within each module directory (the C API's files, the transport's), the
/// files import one another without a circle, so that each layer boundary
/// is one way (issue 24: the panic boundary and the status numbers once
/// imported each other).
#[test]
fn no_module_directory_has_an_import_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for directory in ["ffi", "transport"] {
        let mut sources = Vec::new();
        for entry in fs::read_dir(src.join(directory)).expect("a module directory") {
            let path = entry.expect("an entry").path();
            let name = path.file_stem().and_then(|stem| stem.to_str()).unwrap_or("").to_owned();
            if path.extension().is_some_and(|ext| ext == "rs") && name != "mod" {
                sources.push((name, fs::read_to_string(&path).expect("a source file")));
            }
        }
        let siblings: BTreeSet<String> = sources.iter().map(|(name, _)| name.clone()).collect();
        let graph: Vec<(String, BTreeSet<String>)> = sources
            .iter()
            .map(|(name, source)| {
                let mut used = sibling_references(source, &siblings);
                used.remove(name);
                (name.clone(), used)
            })
            .collect();
        // Peel off the files that import no file left; a circle is what stays.
        let mut left = graph.clone();
        while let Some(at) = left.iter().position(|(_, used)| used.iter().all(|u| !left.iter().any(|(n, _)| n == u))) {
            left.remove(at);
        }
        let circle: Vec<String> = left.iter().map(|(name, used)| format!("{name} -> {used:?}")).collect();
        assert!(circle.is_empty(), "src/{directory} has an import circle among:\n{}", circle.join("\n"));
        assert!(
            graph.iter().any(|(_, used)| !used.is_empty()),
            "src/{directory}: no import found, the check reads nothing"
        );
    }
}
