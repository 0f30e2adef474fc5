//! The library's version.

use std::ffi::c_char;

use super::panic::guarded;

/// The major version of the header; a change breaks the ABI.
pub const GW_VERSION_MAJOR: u32 = 0;
/// The minor version of the header: additions only from 1.0 on; while the
/// major version is 0, a new minor version may break the ABI (the soname is
/// then libgw.so.0.MINOR).
pub const GW_VERSION_MINOR: u32 = 2;
/// The patch version of the header.
pub const GW_VERSION_PATCH: u32 = 0;
/// The version as one number, 0xMMmmpp: (MAJOR << 16) | (MINOR << 8) | PATCH.
pub const GW_VERSION_NUMBER: u32 = 0x000200;

/// The library's version, e.g. "0.2.0": a static string, never NULL, never
/// to be freed. Compare it with the `GW_VERSION_*` macros of the header you
/// compiled against.
#[no_mangle]
pub extern "C" fn gw_version() -> *const c_char {
    const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    guarded(VERSION.as_ptr().cast(), || VERSION.as_ptr().cast())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_version_matches_the_crate() {
        assert_eq!(GW_VERSION_MAJOR.to_string(), env!("CARGO_PKG_VERSION_MAJOR"));
        assert_eq!(GW_VERSION_MINOR.to_string(), env!("CARGO_PKG_VERSION_MINOR"));
        assert_eq!(GW_VERSION_PATCH.to_string(), env!("CARGO_PKG_VERSION_PATCH"));
        assert_eq!(GW_VERSION_NUMBER, (GW_VERSION_MAJOR << 16) | (GW_VERSION_MINOR << 8) | GW_VERSION_PATCH);
    }
}
