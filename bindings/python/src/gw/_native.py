"""Loading libgw and declaring every function of include/gw.h for ctypes.

Discovery order: the ``GW_LIBRARY`` environment variable (a path), a library
shipped next to this package, on Windows ``gw.dll`` by name through the DLL
search path (the directories given to ``os.add_dll_directory``; Python 3.8+
no longer searches PATH), then ``ctypes.util.find_library("gw")``. The
library's ``gw_version()`` must have the major version this binding was
written for; anything else is refused with :class:`LibraryError`.

Every handle the binding creates is a :class:`Handle`: freed exactly once by
the library's own ``_free`` function, either explicitly (``close()``, a
``with`` block) or by a ``weakref.finalize`` when it is garbage collected.
:func:`live_handles` counts the handles not yet freed.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import threading
import weakref
from ctypes import POINTER, c_char_p, c_size_t, c_uint16, c_uint32, c_uint64, c_void_p
from typing import Callable, Optional

#: The major version of gw's C API this binding speaks (``GW_VERSION_MAJOR``).
EXPECTED_MAJOR = 0
#: The oldest minor version with every function declared below. While the
#: major version is 0 a minor version may break the ABI, so then it is the
#: only minor version accepted (and names the soname, libgw.so.0.MINOR).
MINIMUM_MINOR = 2
#: The library's soname: libgw.so.MAJOR from 1.0 on, libgw.so.0.MINOR before.
SONAME = f"libgw.so.{EXPECTED_MAJOR}" if EXPECTED_MAJOR else f"libgw.so.0.{MINIMUM_MINOR}"


class LibraryError(ImportError):
    """libgw could not be found or loaded, or its version does not match."""


gw_status = c_uint32
LOG_CALLBACK = ctypes.CFUNCTYPE(None, c_void_p, c_uint32, c_char_p)
# gw_recover_callback: userdata, outcome, operation, order_id, transaction_id,
# amount, currency, recorded_at_ms, response (borrowed for the call).
RECOVER_CALLBACK = ctypes.CFUNCTYPE(None, c_void_p, c_uint32, c_char_p, c_char_p, c_char_p, c_char_p, c_char_p,
                                    c_uint64, c_void_p)

# name: (restype, argtypes). Every function of include/gw.h.
# Functions returning `const char *` use c_char_p: ctypes copies the string
# into a Python bytes object; the library keeps ownership and nothing is freed.
_HANDLE = c_void_p
_OUT = POINTER(c_void_p)
SIGNATURES = {
    "gw_client_new": (gw_status, [_HANDLE, _OUT]),
    "gw_client_free": (None, [_HANDLE]),
    "gw_create_session": (gw_status, [_HANDLE, _OUT]),
    "gw_tokenize_p2pe": (gw_status, [_HANDLE, c_char_p, c_char_p, c_char_p, c_char_p, c_char_p, _OUT]),
    "gw_execute": (gw_status, [_HANDLE, _HANDLE, _OUT]),
    "gw_check_gateway": (gw_status, [_HANDLE, _OUT]),
    "gw_retrieve_token": (gw_status, [_HANDLE, c_char_p, _OUT]),
    "gw_delete_token": (gw_status, [_HANDLE, c_char_p, _OUT]),
    "gw_retrieve_transaction": (gw_status, [_HANDLE, c_char_p, c_char_p, _OUT]),
    "gw_config_new": (_HANDLE, []),
    "gw_config_free": (None, [_HANDLE]),
    "gw_config_set_base_url": (gw_status, [_HANDLE, c_char_p]),
    "gw_config_set_api_version": (gw_status, [_HANDLE, c_uint32]),
    "gw_config_set_merchant": (gw_status, [_HANDLE, c_char_p]),
    "gw_config_set_api_password": (gw_status, [_HANDLE, c_char_p]),
    "gw_config_set_client_certificate": (gw_status, [_HANDLE, c_char_p, c_char_p]),
    "gw_config_set_ca_bundle": (gw_status, [_HANDLE, c_char_p]),
    "gw_config_set_trust": (gw_status, [_HANDLE, c_uint32]),
    "gw_config_set_proxy": (gw_status, [_HANDLE, c_char_p]),
    "gw_config_set_proxy_from_environment": (gw_status, [_HANDLE, c_uint32]),
    "gw_config_set_connect_timeout_ms": (gw_status, [_HANDLE, c_uint32]),
    "gw_config_set_timeout_ms": (gw_status, [_HANDLE, c_uint32]),
    "gw_config_set_retries": (gw_status, [_HANDLE, c_uint32]),
    "gw_config_set_token_repository_unique_card": (gw_status, [_HANDLE, c_uint32]),
    "gw_config_set_log": (gw_status, [_HANDLE, c_uint32, LOG_CALLBACK, c_void_p]),
    "gw_config_set_backoff_ms": (gw_status, [_HANDLE, c_uint32, c_uint32]),
    "gw_config_set_journal": (gw_status, [_HANDLE, c_char_p]),
    "gw_journal_recover": (gw_status, [_HANDLE, RECOVER_CALLBACK, c_void_p, POINTER(c_uint32)]),
    "gw_last_error": (c_char_p, []),
    "gw_last_error_field": (c_char_p, []),
    "gw_last_error_http_status": (c_uint16, []),
    "gw_last_error_in_doubt": (c_uint32, []),
    "gw_last_error_order_id": (c_char_p, []),
    "gw_last_error_transaction_id": (c_char_p, []),
    "gw_request_new": (gw_status, [c_char_p, _OUT]),
    "gw_request_set": (gw_status, [_HANDLE, c_char_p, c_char_p]),
    "gw_request_tokenize_p2pe": (gw_status, [c_char_p, c_char_p, c_char_p, c_char_p, c_char_p, _OUT]),
    "gw_request_pay_p2pe": (gw_status, [c_char_p, c_char_p, c_char_p, c_char_p, c_char_p, c_char_p, c_char_p,
                                        c_char_p, c_char_p, _OUT]),
    "gw_request_pay_token": (gw_status, [c_char_p, c_char_p, c_char_p, c_char_p, c_char_p, _OUT]),
    "gw_request_free": (None, [_HANDLE]),
    "gw_response_get": (c_char_p, [_HANDLE, c_char_p]),
    "gw_response_result": (c_char_p, [_HANDLE]),
    "gw_response_http_status": (c_uint16, [_HANDLE]),
    "gw_response_duration_ms": (c_uint64, [_HANDLE]),
    "gw_response_len": (c_size_t, [_HANDLE]),
    "gw_response_field": (gw_status, [_HANDLE, c_size_t, POINTER(c_char_p), POINTER(c_char_p)]),
    "gw_response_free": (None, [_HANDLE]),
    "gw_field_is_sensitive": (c_uint32, [c_char_p]),
    "gw_status_str": (c_char_p, [gw_status]),
    "gw_status_name": (c_char_p, [gw_status]),
    "gw_version": (c_char_p, []),
}

_FREE = {"config": "gw_config_free", "client": "gw_client_free", "request": "gw_request_free",
         "response": "gw_response_free"}

_lock = threading.Lock()
_lib: Optional[ctypes.CDLL] = None
_live = 0
_collected = 0


def _library_names(platform: str = sys.platform) -> list:
    if platform == "darwin":
        return ["libgw.dylib"]
    if platform == "win32":
        return ["gw.dll"]
    return [SONAME, "libgw.so"]


def _candidates(platform: str = sys.platform, environ=os.environ, here: Optional[str] = None,
                exists: Callable[[str], bool] = os.path.exists,
                find_library: Callable[[str], Optional[str]] = ctypes.util.find_library) -> list:
    """(where, path) pairs in discovery order. The parameters are the
    process's own unless a test gives others (e.g. Windows on Linux)."""
    found = []
    env = environ.get("GW_LIBRARY")
    if env:
        found.append(("GW_LIBRARY", env))
        return found  # an explicit choice is never second-guessed
    here = here if here is not None else os.path.dirname(os.path.abspath(__file__))
    for name in _library_names(platform):
        path = os.path.join(here, name)
        if exists(path):
            found.append(("next to the package", path))
    if platform == "win32":
        # A bare name: Windows' loader looks in the application's directory,
        # System32 and every directory added with os.add_dll_directory().
        found.append(("the DLL search path (os.add_dll_directory)", "gw.dll"))
    system = find_library("gw")
    if system:
        found.append(("find_library('gw')", system))
    return found


def _declare(lib: ctypes.CDLL, where: str) -> None:
    for name, (restype, argtypes) in SIGNATURES.items():
        try:
            function = getattr(lib, name)
        except AttributeError:
            raise LibraryError(f"the gw library from {where} has no {name}: it is older than this binding") from None
        function.restype = restype
        function.argtypes = argtypes


def _check_version(lib: ctypes.CDLL, where: str) -> None:
    raw = lib.gw_version()
    text = raw.decode("ascii", "replace") if raw else ""
    try:
        major, minor = (int(part) for part in text.split(".")[:2])
    except ValueError:
        raise LibraryError(f"the gw library from {where} reports an unreadable version {text!r}") from None
    if major != EXPECTED_MAJOR or minor < MINIMUM_MINOR or (major == 0 and minor != MINIMUM_MINOR):
        wanted = f"{EXPECTED_MAJOR}.x with x >= {MINIMUM_MINOR}" if EXPECTED_MAJOR else f"0.{MINIMUM_MINOR}.x"
        raise LibraryError(
            f"the gw library from {where} is version {text}; this binding needs "
            f"{wanted} (set GW_LIBRARY to a matching libgw)"
        )


def lib() -> ctypes.CDLL:
    """The loaded, declared and version-checked library (loaded on first use)."""
    global _lib
    if _lib is not None:
        return _lib
    with _lock:
        if _lib is not None:
            return _lib
        candidates = _candidates()
        if not candidates:
            raise LibraryError(
                "libgw not found: set GW_LIBRARY to the path of libgw.so (gw.dll on Windows), copy it "
                "next to the gw package, or install it where the dynamic linker looks"
            )
        errors = []
        for where, path in candidates:
            try:
                loaded = ctypes.CDLL(path)
            except OSError as err:
                errors.append(f"{where}: {err}")
                continue
            _declare(loaded, f"{path} ({where})")
            _check_version(loaded, f"{path} ({where})")
            _lib = loaded
            return loaded
        raise LibraryError("libgw could not be loaded: " + "; ".join(errors))


def live_handles() -> int:
    """How many gw handles this process created through the binding and has not freed yet."""
    return _live


def collected_handles() -> int:
    """How many handles were freed by the garbage collector rather than by close()/with."""
    return _collected


def _free(kind: str, pointer: int, explicit: list, keep: object = None) -> None:
    global _live, _collected
    getattr(lib(), _FREE[kind])(pointer)
    with _lock:
        _live -= 1
        if not explicit[0]:
            _collected += 1


class Handle:
    """Owns one gw handle (a non-NULL pointer) and frees it exactly once."""

    __slots__ = ("pointer", "kind", "_finalizer", "_explicit", "__weakref__")

    def __init__(self, kind: str, pointer: int, keep: object = None) -> None:
        global _live
        if not pointer:
            raise MemoryError(f"gw returned no {kind}")
        with _lock:
            _live += 1
        self.kind = kind
        self.pointer = pointer
        # `keep` (e.g. a log callback C may call) lives until the handle is freed.
        self._explicit = [False]
        self._finalizer = weakref.finalize(self, _free, kind, pointer, self._explicit, keep)

    @property
    def alive(self) -> bool:
        return self._finalizer.alive

    def free(self) -> None:
        """Frees the handle now (idempotent)."""
        self._explicit[0] = True
        self._finalizer()

    def __enter__(self) -> "Handle":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.free()


def out_handle(kind: str, call: Callable[[object], int], keep: object = None) -> tuple:
    """Calls a C function with a `gw_x **out` and returns (status, Handle or None)."""
    out = c_void_p()
    status = call(ctypes.byref(out))
    return status, (Handle(kind, out.value, keep) if out.value else None)
