//! Conversions of C arguments, each failing with a status that names the argument.

use std::ffi::{c_char, CStr};

use crate::error::{Error, Kind, Result};

pub(crate) fn null(name: &str) -> Error {
    Error::new(Kind::NullArgument, format!("argument '{name}' is NULL"))
}

/// A required string argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn str_arg<'a>(ptr: *const c_char, name: &str) -> Result<&'a str> {
    if ptr.is_null() {
        return Err(null(name));
    }
    // SAFETY: non-NULL, and the caller guarantees NUL termination and lifetime.
    let c_str = unsafe { CStr::from_ptr(ptr) };
    c_str.to_str().map_err(|_| Error::new(Kind::InvalidUtf8, format!("argument '{name}' is not valid UTF-8")))
}

/// An optional string argument: NULL is `None`.
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(ptr: *const c_char, name: &str) -> Result<Option<&'a str>> {
    if ptr.is_null() {
        Ok(None)
    } else {
        // SAFETY: the caller's guarantee is passed on.
        unsafe { str_arg(ptr, name) }.map(Some)
    }
}

/// A required handle argument, borrowed.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `T` created by gw, not used
/// mutably elsewhere during `'a`.
pub(crate) unsafe fn ref_arg<'a, T>(ptr: *const T, name: &str) -> Result<&'a T> {
    // SAFETY: the caller guarantees a live, properly aligned handle when non-NULL.
    unsafe { ptr.as_ref() }.ok_or_else(|| null(name))
}

/// A required handle argument, borrowed mutably.
///
/// # Safety
/// `ptr` is NULL or a live handle of type `T` created by gw, used by no one
/// else during `'a` (the handle belongs to one thread at a time).
pub(crate) unsafe fn mut_arg<'a, T>(ptr: *mut T, name: &str) -> Result<&'a mut T> {
    // SAFETY: as above, and exclusive by the type's documented thread rules.
    unsafe { ptr.as_mut() }.ok_or_else(|| null(name))
}

/// An out-parameter, reset to NULL before anything else happens.
///
/// # Safety
/// `ptr` is NULL or points to writable storage for a pointer.
pub(crate) unsafe fn out_arg<'a, T>(ptr: *mut *mut T, name: &str) -> Result<&'a mut *mut T> {
    // SAFETY: the caller guarantees writable, aligned storage when non-NULL.
    let out = unsafe { ptr.as_mut() }.ok_or_else(|| null(name))?;
    *out = std::ptr::null_mut();
    Ok(out)
}

/// Moves a value to the heap and hands ownership to C.
pub(crate) fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Takes ownership back from C and drops the value; NULL is a no-op.
///
/// # Safety
/// `ptr` is NULL or came from [`into_handle`] with the same `T`, and is not
/// used again.
pub(crate) unsafe fn free_handle<T>(ptr: *mut T) {
    if !ptr.is_null() {
        // SAFETY: created by Box::into_raw in into_handle, freed once.
        drop(unsafe { Box::from_raw(ptr) });
    }
}
