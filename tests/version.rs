//! One version everywhere: the crate's version (Cargo.toml, the one source)
//! is the header's `GW_VERSION_*`, what `gw_version()` returns, the Python
//! package's version and the newest release of CHANGELOG.md.
//!
//! The built artifacts derive theirs from the crate version and are checked
//! where they are built: the soname, `gw.pc` and the CMake package version by
//! scripts/test.sh (install step), the DLL's version resource by
//! scripts/test-windows.sh.

use std::ffi::CStr;
use std::path::Path;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn read(relative: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The value of the first line of `text` that starts with `prefix`, up to
/// the end of the line, without quotes.
fn value_after<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.lines().find_map(|line| line.strip_prefix(prefix)).map(|rest| rest.trim().trim_matches('"'))
}

#[test]
fn the_header_macros_are_the_crate_version() {
    let header = read("include/gw.h");
    let part = |name: &str| value_after(&header, &format!("#define GW_VERSION_{name} ")).unwrap_or("missing");
    let from_header = format!("{}.{}.{}", part("MAJOR"), part("MINOR"), part("PATCH"));
    assert_eq!(from_header, VERSION, "include/gw.h GW_VERSION_* (regenerate it after a version bump)");
    let number: u32 = part("NUMBER").parse().expect("GW_VERSION_NUMBER");
    let [major, minor, patch]: [u32; 3] =
        VERSION.split('.').map(|p| p.parse().expect("numeric version")).collect::<Vec<_>>().try_into().unwrap();
    assert_eq!(number, (major << 16) | (minor << 8) | patch, "GW_VERSION_NUMBER");
}

#[test]
fn gw_version_returns_the_crate_version() {
    // SAFETY: gw_version returns a static NUL-terminated string.
    let reported = unsafe { CStr::from_ptr(gw::ffi::version::gw_version()) };
    assert_eq!(reported.to_str().unwrap(), VERSION);
}

#[test]
fn the_python_package_has_the_crate_version() {
    let pyproject = read("bindings/python/pyproject.toml");
    assert_eq!(value_after(&pyproject, "version = "), Some(VERSION), "bindings/python/pyproject.toml");
    let init = read("bindings/python/src/gw/__init__.py");
    assert_eq!(value_after(&init, "__version__ = "), Some(VERSION), "bindings/python/src/gw/__init__.py");
}

#[test]
fn the_changelog_names_this_version_as_its_newest_release() {
    let changelog = read("CHANGELOG.md");
    let newest = changelog
        .lines()
        .filter_map(|line| line.strip_prefix("## ["))
        .filter_map(|rest| rest.split(']').next())
        .find(|name| *name != "Unreleased");
    assert_eq!(newest, Some(VERSION), "the newest release in CHANGELOG.md");
}
