"""The client: configuration, the operations, any request."""

from __future__ import annotations

import contextlib
import ctypes
import threading
from collections.abc import Mapping
from typing import Any, Callable, Dict, Iterable, Iterator, List, NamedTuple, Optional, Tuple, Union

from . import _native
from .errors import (
    ERR_CONFIG,
    ERR_INVALID_FIELD,
    ERR_NULL_ARGUMENT,
    OK,
    ConfigError,
    Error,
    ValidationError,
    error_class,
    status_name,
)
from .response import Response

_P2PE = "sourceOfFunds.provided.card.p2pe."
#: The NVP field behind each argument of :meth:`Client.tokenize_p2pe`.
TOKENIZE_FIELDS = {
    "token": "token",
    "key_serial_number": _P2PE + "keySerialNumber",
    "payload": _P2PE + "payload",
    "initialization_vector": _P2PE + "initializationVector",
    "card_bin": _P2PE + "cardBin",
    "correlation_id": "correlationId",
}
_ARGUMENT_OF_FIELD = {field: argument for argument, field in TOKENIZE_FIELDS.items()}
#: The NVP field behind each argument of :meth:`Client.pay_p2pe` and :meth:`Client.pay_token`.
PAYMENT_FIELDS = {
    "order_id": "order.id",
    "transaction_id": "transaction.id",
    "amount": "order.amount",
    "currency": "order.currency",
    "key_serial_number": _P2PE + "keySerialNumber",
    "payload": _P2PE + "payload",
    "initialization_vector": _P2PE + "initializationVector",
    "card_bin": _P2PE + "cardBin",
    "token": "sourceOfFunds.token",
    "correlation_id": "correlationId",
}
_PAYMENT_ARGUMENT_OF_FIELD = {field: argument for argument, field in PAYMENT_FIELDS.items()}

LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG = 1, 2, 3, 4
_LOG_LEVELS = {"error": LOG_ERROR, "warn": LOG_WARN, "warning": LOG_WARN, "info": LOG_INFO, "debug": LOG_DEBUG}
TRUST_BUNDLED, TRUST_SYSTEM = 0, 1
_TRUST = {"bundled": TRUST_BUNDLED, "system": TRUST_SYSTEM}

Fields = Union[Mapping, Iterable[Tuple[str, str]]]


def _bytes(value: Any, argument: str, required: bool = True) -> Optional[bytes]:
    """A str argument as NUL-terminated UTF-8 for C, checked before any C call.

    Never puts the value in a message: it may be a password or card data.
    """
    if value is None:
        if required:
            raise ValidationError(ERR_NULL_ARGUMENT, f"argument '{argument}' is required (got None)",
                                  field=argument, argument=argument)
        return None
    if not isinstance(value, str):
        raise TypeError(f"argument '{argument}' must be str{'' if required else ' or None'}, "
                        f"not {type(value).__name__}")
    if "\0" in value:
        raise ValidationError(ERR_INVALID_FIELD, f"argument '{argument}' contains a NUL character",
                              field=argument, argument=argument)
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(ERR_INVALID_FIELD, f"argument '{argument}' is not encodable as UTF-8",
                              field=argument, argument=argument) from None


def _uint(value: Any, argument: str, low: int = 0, high: int = 0xFFFFFFFF) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"argument '{argument}' must be int, not {type(value).__name__}")
    if not low <= value <= high:
        raise ValidationError(ERR_INVALID_FIELD, f"argument '{argument}' must be between {low} and {high}",
                              field=argument, argument=argument)
    return value


def _milliseconds(value: Any, argument: str) -> int:
    """A duration: whole milliseconds, as everywhere in gw (C, C++, Python)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"argument '{argument}' must be an int of milliseconds, not {type(value).__name__}")
    if not 0 < value <= 0xFFFFFFFF:
        raise ValidationError(ERR_INVALID_FIELD, f"argument '{argument}' must be a positive number of milliseconds "
                              f"(at most {0xFFFFFFFF})", field=argument, argument=argument)
    return value


def _text(raw: Optional[bytes]) -> Optional[str]:
    return raw.decode("utf-8", "replace") if raw is not None else None


def _error(status: int, response: Optional[Response] = None, argument_of_field: Optional[dict] = None) -> Error:
    """The exception of `status`, with this thread's last error.

    Must run right after the failing call, on the same thread (gw's last error
    is per OS thread; ctypes runs the call on the calling thread), before any
    other gw call that may fail.
    """
    lib = _native.lib()
    message = _text(lib.gw_last_error()) or _text(lib.gw_status_str(status)) or "gw error"
    field = _text(lib.gw_last_error_field())
    # The response's HTTP status when there is one; else the answer's that was
    # no NVP answer (GW_ERR_PROTOCOL), 0 (None) when no answer came.
    http_status = lib.gw_last_error_http_status()
    in_doubt = lib.gw_last_error_in_doubt() == 1
    ids = (_text(lib.gw_last_error_order_id()), _text(lib.gw_last_error_transaction_id()))
    cls = error_class(status)
    if cls is ValidationError:
        argument = (argument_of_field or {}).get(field or "")
        error = ValidationError(status, message, field, response, argument=argument, http_status=http_status,
                                in_doubt=in_doubt)
    else:
        error = cls(status, message, field, response, http_status, in_doubt)
    error.order_id, error.transaction_id = ids
    return error


def _raise(status: int) -> None:
    raise _error(status)


def _check(status: int) -> None:
    if status != OK:
        _raise(status)


class Client:
    """A connection to the gateway (one keep-alive pool).

    Thread-safe: share one Client between any number of threads (ctypes
    releases the GIL during each call). Close it with :meth:`close` or a
    ``with`` block; a client still in use by another thread is freed when
    that last call returns.

    Durations are whole milliseconds everywhere in gw (``timeout_ms``,
    ``connect_timeout_ms``, :attr:`Response.duration_ms`), as in the C API.
    Every argument is described in ``bindings/python/README.md``.
    """

    def __init__(
        self,
        base_url: str,
        merchant: str,
        api_password: Optional[str] = None,
        api_version: int = 50,
        ca_bundle: Optional[str] = None,
        *,
        timeout_ms: Optional[int] = None,
        connect_timeout_ms: Optional[int] = None,
        retries: Optional[int] = None,
        trust: Optional[str] = None,
        proxy: Optional[str] = None,
        proxy_from_environment: bool = False,
        client_certificate: Optional[Tuple[str, str]] = None,
        log: Optional[Callable[[int, str], None]] = None,
        log_level: str = "info",
        token_repository_unique_card: bool = False,
        journal: Optional[str] = None,
        backoff_ms: Optional[Tuple[int, int]] = None,
    ) -> None:
        # Every argument is checked before the first C call.
        settings = [
            ("gw_config_set_base_url", _bytes(base_url, "base_url")),
            ("gw_config_set_merchant", _bytes(merchant, "merchant")),
            ("gw_config_set_api_version", _uint(api_version, "api_version")),
        ]
        if api_password is not None:
            settings.append(("gw_config_set_api_password", _bytes(api_password, "api_password")))
        if client_certificate is not None:
            if not isinstance(client_certificate, tuple) or len(client_certificate) != 2:
                raise TypeError("argument 'client_certificate' must be a (certificate_path, key_path) tuple")
            settings.append(("gw_config_set_client_certificate",
                             _bytes(client_certificate[0], "client_certificate[0]"),
                             _bytes(client_certificate[1], "client_certificate[1]")))
        if api_password is None and client_certificate is None:
            raise ValidationError(ERR_NULL_ARGUMENT, "give api_password or client_certificate",
                                  field="api_password", argument="api_password")
        if ca_bundle is not None:
            settings.append(("gw_config_set_ca_bundle", _bytes(ca_bundle, "ca_bundle")))
        if trust is not None:
            if trust not in _TRUST:
                raise ValidationError(ERR_INVALID_FIELD, "argument 'trust' must be 'bundled' or 'system'",
                                      field="trust", argument="trust")
            settings.append(("gw_config_set_trust", _TRUST[trust]))
        if proxy is not None:
            settings.append(("gw_config_set_proxy", _bytes(proxy, "proxy")))
        if not isinstance(proxy_from_environment, bool):
            raise TypeError("argument 'proxy_from_environment' must be bool")
        if proxy_from_environment:
            settings.append(("gw_config_set_proxy_from_environment", 1))
        if timeout_ms is not None:
            settings.append(("gw_config_set_timeout_ms", _milliseconds(timeout_ms, "timeout_ms")))
        if connect_timeout_ms is not None:
            settings.append(("gw_config_set_connect_timeout_ms",
                             _milliseconds(connect_timeout_ms, "connect_timeout_ms")))
        if retries is not None:
            settings.append(("gw_config_set_retries", _uint(retries, "retries")))
        if journal is not None:
            # The payment journal (SQLite): intents recorded before a payment
            # goes out, recovered with recover_journal() after a crash.
            settings.append(("gw_config_set_journal", _bytes(journal, "journal")))
        if backoff_ms is not None:
            if not isinstance(backoff_ms, tuple) or len(backoff_ms) != 2:
                raise TypeError("argument 'backoff_ms' must be a (first_ms, max_ms) tuple")
            settings.append(("gw_config_set_backoff_ms", _milliseconds(backoff_ms[0], "backoff_ms[0]"),
                             _milliseconds(backoff_ms[1], "backoff_ms[1]")))
        if not isinstance(token_repository_unique_card, bool):
            raise TypeError("argument 'token_repository_unique_card' must be bool")
        if token_repository_unique_card:
            # The merchant profile's Token Management strategy is "Unique
            # Account Identifier": TOKENIZE without token is then retried.
            settings.append(("gw_config_set_token_repository_unique_card", 1))
        self._log_callback = None
        if log is not None:
            if not callable(log):
                raise TypeError("argument 'log' must be callable")
            if log_level not in _LOG_LEVELS:
                raise ValidationError(ERR_INVALID_FIELD, f"argument 'log_level' must be one of {sorted(_LOG_LEVELS)}",
                                      field="log_level", argument="log_level")
            # Kept on the client: C calls it for as long as the client lives.
            self._log_callback = _native.LOG_CALLBACK(_log_trampoline(log))

        self._lock = threading.Lock()
        self._busy = 0
        self._closing = False
        self._handle: Optional[_native.Handle] = None

        lib = _native.lib()
        with _native.Handle("config", lib.gw_config_new()) as config:
            for name, *args in settings:
                _check(getattr(lib, name)(config.pointer, *args))
            if self._log_callback is not None:
                _check(lib.gw_config_set_log(config.pointer, _LOG_LEVELS[log_level], self._log_callback, None))
            # The client handle keeps the log callback alive until it is freed.
            status, handle = _native.out_handle("client", lambda out: lib.gw_client_new(config.pointer, out),
                                                keep=self._log_callback)
            if status != OK:
                _raise(status)
        self._handle = handle

    # -- lifetime -----------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._handle is None or self._closing

    def close(self) -> None:
        """Frees the client (idempotent). Calls running in other threads finish first."""
        with self._lock:
            self._closing = True
            if self._busy == 0 and self._handle is not None:
                self._handle.free()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextlib.contextmanager
    def _use(self) -> Iterator[int]:
        with self._lock:
            if self._closing or self._handle is None:
                raise ConfigError(ERR_CONFIG, "the client is closed")
            self._busy += 1
            pointer = self._handle.pointer
        try:
            yield pointer
        finally:
            with self._lock:
                self._busy -= 1
                if self._closing and self._busy == 0:
                    self._handle.free()

    def _call(self, function: Callable[..., int], *args: Any, argument_of_field: Optional[dict] = None) -> Response:
        with self._use() as pointer:
            status, handle = _native.out_handle("response", lambda out: function(pointer, *args, out))
            if status == OK:
                return Response._take(handle)
            # The last error first: copying the response makes more gw calls.
            error = _error(status, None, argument_of_field)
            if handle is not None:
                error.response = Response._take(handle)
        raise error

    # -- operations ---------------------------------------------------------

    def create_session(self) -> Response:
        """CREATE_SESSION: read ``["session.id"]`` and ``["session.version"]``."""
        return self._call(_native.lib().gw_create_session)

    def tokenize_p2pe(
        self,
        key_serial_number: str,
        payload: str,
        initialization_vector: Optional[str] = None,
        card_bin: Optional[str] = None,
        token: Optional[str] = None,
        *,
        correlation_id: Optional[str] = None,
        fields: Optional[Fields] = None,
    ) -> Response:
        """TOKENIZE of a card encrypted by a P2PE terminal (TDES DUKPT; AES
        DUKPT from API version 84).

        ``key_serial_number``: 20 hex digits (from version 84 also 24);
        ``payload``: the encrypted card (hex); ``initialization_vector``: 16
        hex digits (from version 84 also 32) or None; ``card_bin``:
        up to 6 digits or None; ``token``: None lets the gateway generate the
        token, else that token is created or updated; ``correlation_id``: the
        till's reference, echoed in the answer; ``fields``: any other TOKENIZE
        fields (a mapping or (name, value) pairs, e.g.
        ``{"sourceOfFunds.provided.card.p2pe.encryptionState": "VALID"}``).
        Every field is validated before anything is sent. Read ``["token"]``.
        """
        args = (
            _bytes(token, "token", required=False),
            *_card(key_serial_number, payload, initialization_vector, card_bin),
        )
        extra = self._extra(fields, correlation_id)
        lib = _native.lib()
        return self._send(lambda out: lib.gw_request_tokenize_p2pe(*args, out), extra, _ARGUMENT_OF_FIELD)

    def pay_p2pe(
        self,
        order_id: str,
        transaction_id: str,
        amount: str,
        currency: str,
        key_serial_number: str,
        payload: str,
        initialization_vector: Optional[str] = None,
        card_bin: Optional[str] = None,
        *,
        operation: str = "PAY",
        correlation_id: Optional[str] = None,
        fields: Optional[Fields] = None,
    ) -> Response:
        """PAY (or ``operation="AUTHORIZE"``) of a card encrypted by a P2PE
        terminal (API version 84 and later); gw sets ``sourceOfFunds.type=CARD``
        and ``transaction.source=CARD_PRESENT``.

        ``order_id``, ``transaction_id``: the till's ids (keep them: they
        resolve a payment in doubt with :meth:`retrieve_transaction`; a new
        attempt after a decline needs a new ``transaction_id``); ``amount``: a
        decimal *string* such as ``"12.50"`` (never a float), within the
        currency's minor units; ``currency``: ISO 4217 (``"AUD"``); the card as
        for :meth:`tokenize_p2pe`; ``fields``: any other field of the operation
        (``{"posTerminal.lane": "Kiosk_76"}``).

        Returns only a final approval (print the receipt). Raises
        :class:`Declined` for a final decline (``.gateway_code``),
        :class:`Pending` / :class:`UnknownResult` for an answer not final, and
        any other :class:`Error`; ``.in_doubt`` says whether the payment may
        have happened without gw learning it.
        """
        args = (
            _bytes(operation, "operation"),
            *_payment(order_id, transaction_id, amount, currency),
            *_card(key_serial_number, payload, initialization_vector, card_bin),
        )
        extra = self._extra(fields, correlation_id)
        lib = _native.lib()
        return self._send(lambda out: lib.gw_request_pay_p2pe(*args, out), extra, _PAYMENT_ARGUMENT_OF_FIELD)

    def pay_token(
        self,
        order_id: str,
        transaction_id: str,
        amount: str,
        currency: str,
        token: str,
        *,
        correlation_id: Optional[str] = None,
        fields: Optional[Fields] = None,
    ) -> Response:
        """PAY with the card the gateway holds under ``token``; the other
        arguments, the result and the exceptions as for :meth:`pay_p2pe`."""
        args = (*_payment(order_id, transaction_id, amount, currency), _bytes(token, "token"))
        extra = self._extra(fields, correlation_id)
        lib = _native.lib()
        return self._send(lambda out: lib.gw_request_pay_token(*args, out), extra, _PAYMENT_ARGUMENT_OF_FIELD)

    def retrieve_transaction(self, order_id: str, transaction_id: str) -> Response:
        """RETRIEVE_TRANSACTION: what happened to ``transaction_id`` of
        ``order_id``, mapped as the payment's own answer: returns a final
        approval, raises :class:`Declined` for a decline, :class:`Pending` /
        :class:`UnknownResult` (``.in_doubt`` True) for one not final, and a
        :class:`GatewayError` for ids the gateway does not know."""
        return self._call(_native.lib().gw_retrieve_transaction, _bytes(order_id, "order_id"),
                          _bytes(transaction_id, "transaction_id"), argument_of_field=_PAYMENT_ARGUMENT_OF_FIELD)

    @staticmethod
    def _extra(fields: Optional[Fields], correlation_id: Optional[str]) -> list:
        extra = _encode_fields(fields if fields is not None else {})
        if correlation_id is not None:
            extra.append((b"correlationId", _bytes(correlation_id, "correlation_id")))
        return extra

    def recover_journal(self) -> Tuple[List["Recovered"], int]:
        """Resolves the payment journal's open intents whose call is over
        (``gw_journal_recover``): a list of :class:`Recovered`, oldest
        first, and how many open intents may still belong to a running call
        (ask again later). Raises :class:`ConfigError` without a journal,
        :class:`JournalError` when it cannot be read or written."""
        handed: List[Recovered] = []
        lib = _native.lib()

        def each(_userdata: Any, outcome: int, operation: Optional[bytes], order_id: Optional[bytes],
                 transaction_id: Optional[bytes], amount: Optional[bytes], currency: Optional[bytes],
                 recorded_at_ms: int, response: Optional[int]) -> None:
            fields = {}
            if response:
                # Borrowed for the callback: copied here.
                for index in range(lib.gw_response_len(response)):
                    name, value = ctypes.c_char_p(), ctypes.c_char_p()
                    if lib.gw_response_field(response, index, ctypes.byref(name), ctypes.byref(value)) == OK:
                        fields[_text(name.value)] = _text(value.value)
            handed.append(Recovered(_RECOVERED.get(outcome, str(outcome)), _text(operation) or "",
                                    _text(order_id) or "", _text(transaction_id) or "", _text(amount),
                                    _text(currency), recorded_at_ms, fields))

        callback = _native.RECOVER_CALLBACK(each)
        running = ctypes.c_uint32(0)
        with self._use() as pointer:
            _check(lib.gw_journal_recover(pointer, callback, None, ctypes.byref(running)))
        return handed, running.value

    def check_gateway(self) -> Response:
        """CHECK_GATEWAY: no credentials sent, one attempt. Returns when the
        gateway answers ``status=OPERATING`` (read ``["gatewayVersion"]``);
        raises :class:`GatewayShutdown` for ``SHUTDOWN``."""
        return self._call(_native.lib().gw_check_gateway)

    def retrieve_token(self, token: str) -> Response:
        """RETRIEVE_TOKEN: what the gateway holds under ``token``: read
        ``["status"]``, ``["sourceOfFunds.provided.card.number"]`` (masked), ..."""
        return self._call(_native.lib().gw_retrieve_token, _bytes(token, "token"))

    def delete_token(self, token: str) -> Response:
        """DELETE_TOKEN. Returns when the token is gone, also when a retry
        after an attempt in doubt finds that attempt deleted it."""
        return self._call(_native.lib().gw_delete_token, _bytes(token, "token"))

    def update_session(self, session_id: str, fields: Fields) -> Response:
        """UPDATE_SESSION: stores ``fields`` (e.g. the P2PE card group) in the
        session; read ``["session.updateStatus"]``, ``["session.version"]``."""
        return self.execute("UPDATE_SESSION", [("session.id", session_id), *_pairs(fields)])

    def retrieve_session(self, session_id: str) -> Response:
        """RETRIEVE_SESSION: the session's fields, card data masked."""
        return self.execute("RETRIEVE_SESSION", {"session.id": session_id})

    def execute(self, operation: str, fields: Fields) -> Response:
        """Any request of ``operation`` ("CREATE_SESSION", "TOKENIZE",
        "CHECK_GATEWAY", "RETRIEVE_TOKEN", "DELETE_TOKEN", "UPDATE_SESSION",
        "RETRIEVE_SESSION", "PAY", "AUTHORIZE", "CAPTURE", "REFUND", "VOID",
        "VERIFY", "RETRIEVE_TRANSACTION", "RETRIEVE_ORDER") with
        ``fields`` (a mapping or (name, value) pairs of NVP fields). Each field
        is validated locally; gw adds apiOperation, merchant and authentication.
        """
        op = _bytes(operation, "operation")
        encoded = _encode_fields(fields)
        lib = _native.lib()
        return self._send(lambda out: lib.gw_request_new(op, out), encoded)

    def _send(self, new_request: Callable[[Any], int], fields: list,
              argument_of_field: Optional[dict] = None) -> Response:
        """Creates a request with `new_request`, sets `fields` (encoded pairs), executes it."""
        lib = _native.lib()
        status, request = _native.out_handle("request", new_request)
        if status != OK:
            raise _error(status, None, argument_of_field)
        with request:
            for name, value in fields:
                status = lib.gw_request_set(request.pointer, name, value)
                if status != OK:
                    raise _error(status, None, argument_of_field)
            return self._call(lib.gw_execute, request.pointer, argument_of_field=argument_of_field)


class Recovered(NamedTuple):
    """One open intent of the payment journal, as recovery resolved it.

    ``outcome``: ``"approved"`` (the money moved), ``"declined"`` (no money
    moved; a new attempt needs a new transaction id), ``"not_sent"`` (the
    gateway never got it: safe to act on only by paying again with the SAME
    ``order_id`` and ``transaction_id``), ``"not_final"`` (still open: recover
    again later). ``fields``: RETRIEVE_TRANSACTION's answer, when one came."""

    outcome: str
    operation: str
    order_id: str
    transaction_id: str
    amount: Optional[str]
    currency: Optional[str]
    recorded_at_ms: int
    fields: Dict[str, Optional[str]]


_RECOVERED = {1: "approved", 2: "declined", 3: "not_sent", 4: "not_final"}


def _card(key_serial_number: str, payload: str, initialization_vector: Optional[str],
          card_bin: Optional[str]) -> tuple:
    """A P2PE card's KSN, payload, IV and BIN for C (the last two may be None)."""
    return (_bytes(key_serial_number, "key_serial_number"), _bytes(payload, "payload"),
            _bytes(initialization_vector, "initialization_vector", required=False),
            _bytes(card_bin, "card_bin", required=False))


def _payment(order_id: str, transaction_id: str, amount: str, currency: str) -> tuple:
    """A payment's ids, amount (a decimal string, never a float) and currency for C."""
    return (_bytes(order_id, "order_id"), _bytes(transaction_id, "transaction_id"), _bytes(amount, "amount"),
            _bytes(currency, "currency"))


def _pairs(fields: Fields) -> list:
    """NVP fields (a mapping or (name, value) pairs) as a list of pairs."""
    if isinstance(fields, Mapping):
        return list(fields.items())
    if isinstance(fields, (str, bytes)) or not isinstance(fields, Iterable):
        raise TypeError(f"argument 'fields' must be a mapping or (name, value) pairs, not {type(fields).__name__}")
    return list(fields)


def _encode_fields(fields: Fields) -> list:
    """NVP fields (a mapping or (name, value) pairs) as (bytes, bytes) pairs, checked before any C call."""
    pairs = _pairs(fields)
    encoded = []
    for pair in pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError("argument 'fields' must hold (name, value) pairs")
        name = _bytes(pair[0], "fields name")
        encoded.append((name, _bytes(pair[1], f"fields[{pair[0]!r}]")))
    return encoded


def _log_trampoline(log: Callable[[int, str], None]) -> Callable[[Any, int, Optional[bytes]], None]:
    def trampoline(_userdata: Any, level: int, message: Optional[bytes]) -> None:
        try:
            log(level, _text(message) or "")
        except Exception:  # noqa: BLE001 - an exception must not cross into C
            pass

    return trampoline


def version() -> str:
    """The loaded library's version, e.g. "0.2.0"."""
    return _text(_native.lib().gw_version()) or ""


def status_str(status: int) -> str:
    """gw's description of a status number."""
    return _text(_native.lib().gw_status_str(_uint(status, "status"))) or ""


__all__ = ["Client", "version", "status_str", "status_name", "Error", "TOKENIZE_FIELDS"]
