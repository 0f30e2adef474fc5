"""The gateway's answer, as a read-only mapping."""

from __future__ import annotations

import ctypes
from collections.abc import Mapping
from typing import Dict, Iterator, Optional

from . import _native


def field_is_sensitive(name: str) -> bool:
    """Whether values of the NVP field ``name`` are secrets or card data
    (``apiPassword``, card numbers, ``session.aes256Key``, ...): libgw's
    field-rule table answers (``gw_field_is_sensitive``). Such values are
    never shown, not even their length."""
    return _native.lib().gw_field_is_sensitive(name.encode("utf-8", "surrogateescape")) != 0


def _text(raw: Optional[bytes]) -> Optional[str]:
    return raw.decode("utf-8", "replace") if raw is not None else None


class Response(Mapping):
    """The fields of one answer (``resp["session.id"]``, iteration in the
    gateway's order, ``len``), with ``.result``, ``.http_status`` and
    ``.duration_ms``. A plain Python object: the C response is copied and
    freed as soon as the call returns, so a Response may be kept, shared
    between threads and pickled freely.
    """

    __slots__ = ("_fields", "http_status", "duration_ms")

    def __init__(self, fields: Dict[str, str], http_status: int = 0, duration_ms: int = 0) -> None:
        self._fields = dict(fields)
        self.http_status = http_status
        self.duration_ms = duration_ms

    @classmethod
    def _take(cls, handle: "_native.Handle") -> "Response":
        """Copies a gw_response and frees it."""
        lib = _native.lib()
        with handle:
            pointer = handle.pointer
            fields: Dict[str, str] = {}
            name = ctypes.c_char_p()
            value = ctypes.c_char_p()
            for index in range(lib.gw_response_len(pointer)):
                if lib.gw_response_field(pointer, index, ctypes.byref(name), ctypes.byref(value)) == 0:
                    fields[_text(name.value) or ""] = _text(value.value) or ""
            return cls(fields, lib.gw_response_http_status(pointer), lib.gw_response_duration_ms(pointer))

    @property
    def result(self) -> Optional[str]:
        """``SUCCESS``, ``FAILURE``, ``PENDING``, ``UNKNOWN`` or ``ERROR``."""
        return self._fields.get("result")

    def __getitem__(self, name: str) -> str:
        return self._fields[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        """Every field, sensitive values (see :func:`field_is_sensitive`) as ``***``."""
        shown = {name: "***" if field_is_sensitive(name) else value for name, value in self._fields.items()}
        return f"Response(result={self.result!r}, http_status={self.http_status}, fields={shown!r})"
