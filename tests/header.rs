//! The committed header is exactly what cbindgen generates from the sources.
//! `GW_BLESS=1 cargo test --test header` rewrites it after an API change.

use std::path::Path;

#[test]
fn committed_header_matches_cbindgen() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let committed_path = root.join("include/gw.h");
    if std::env::var_os("GW_BLESS").is_some() {
        std::fs::write(&committed_path, &generated).expect("write include/gw.h");
        return;
    }
    let committed = std::fs::read(&committed_path).expect("include/gw.h");
    assert!(
        committed == generated,
        "include/gw.h differs from what cbindgen generates: run `GW_BLESS=1 cargo test --test header` and commit it"
    );
}

/// Tills are built by old compilers: the header is C89 (`/* */` comments only,
/// no `// __cplusplus` after an `#endif`), also in C++98, warnings as errors
/// (cbindgen.toml's documentation_style, header and trailer).
#[test]
fn header_is_c89_and_cpp98_clean() {
    let header = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/gw.h");
    for (compiler, args) in [
        ("gcc", ["-std=c89", "-pedantic", "-Werror", "-Wall", "-Wextra", "-fsyntax-only", "-x", "c"]),
        ("g++", ["-std=c++98", "-pedantic", "-Werror", "-Wall", "-Wextra", "-fsyntax-only", "-x", "c++"]),
    ] {
        let out = std::process::Command::new(compiler)
            .args(args)
            .arg(&header)
            .output()
            .unwrap_or_else(|err| panic!("{compiler} (scripts/setup.sh installs it): {err}"));
        assert!(
            out.status.success(),
            "{compiler} {} include/gw.h:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
