"""gw's exceptions: one class per status class, all under :class:`Error`,
grouped so a till can catch by intent (bindings/python/README.md, "Exceptions")::

    Error
    ├── ValidationError   nothing sent: a value failed local validation (also a ValueError)
    ├── ConfigError       nothing sent: the configuration is incomplete or invalid
    ├── ConnectError      nothing sent: no connection (safe to retry)
    ├── TlsError          no TLS session: untrusted certificate, wrong host, refused handshake
    ├── InDoubt           the request may have been processed: look it up before repeating it
    │   ├── Timeout, IoError, ProtocolError
    │   └── Pending, UnknownResult
    ├── GatewayError      the gateway answered and said no (``.response``): result=ERROR itself
    │   ├── AuthenticationError   HTTP 401
    │   └── Declined              result=FAILURE
    └── InternalError     a bug in gw

``str(err)`` starts with the status name, as in C++: ``"GW_ERR_TIMEOUT: ..."``.

Every exception carries ``.status`` (gw's stable status number),
``.status_name`` (its C name, ``"GW_ERR_TIMEOUT"``, from the library's
``gw_status_name``), ``.message`` (gw's description of what failed: the field
and rule, the host, the cause; never the API password or card data),
``.field`` (the field concerned, when there is one), ``.response`` (the
gateway's answer, a :class:`gw.Response`, when it gave one: gateway errors,
declines, pending and unknown results, 401s ...; else ``None``) and
``.http_status`` (the HTTP status of the answer, also of one that was no NVP
answer; ``None`` when no answer came) and ``.in_doubt`` (the library's
``gw_last_error_in_doubt()``: True when the call may have had an effect at the
gateway that gw could not learn, e.g. a payment whose answer was lost, or one
answered PENDING; False when nothing was sent or the gateway's answer says what
happened). ``.in_doubt`` is the fact to act on: a :class:`Timeout` before the
request went out is not in doubt, a ``SERVER_FAILED`` :class:`GatewayError` is.

The class of a status is chosen by the name the library gives it
(:data:`CLASS_BY_NAME`), so this binding keeps no table of status numbers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Optional, Type

from . import _native

if TYPE_CHECKING:  # pragma: no cover
    from .response import Response

# The stable numbers (include/gw.h) of the statuses the binding raises itself,
# for a check it makes before any C call.
OK = 0
ERR_NULL_ARGUMENT = 1
ERR_INVALID_FIELD = 3
ERR_CONFIG = 4


class Error(Exception):
    """A failed gw call: any outcome but ``result=SUCCESS``."""

    def __init__(self, status: int, message: str, field: Optional[str] = None,
                 response: Optional["Response"] = None, http_status: Optional[int] = None,
                 in_doubt: bool = False) -> None:
        super().__init__(f"{_name_or_number(status)}: {message}")
        self.status = status
        self.message = message
        self.field = field
        self.response = response
        self._http_status = http_status or None
        #: ``gw_last_error_in_doubt()`` of the failing call: the request may
        #: have had an effect at the gateway that gw could not learn.
        self.in_doubt = in_doubt
        #: The ``order.id`` and ``transaction.id`` of the payment (or
        #: RETRIEVE_TRANSACTION) the call was about
        #: (``gw_last_error_order_id`` / ``_transaction_id``): what a till
        #: keeps to resolve a payment that is not final. None otherwise.
        self.order_id: Optional[str] = None
        self.transaction_id: Optional[str] = None

    def _gateway(self, name: str) -> Optional[str]:
        return self.response.get(name) if self.response is not None else None

    @property
    def status_name(self) -> Optional[str]:
        """The C name of ``.status`` (``"GW_ERR_TIMEOUT"``); None for a value that is no status."""
        return status_name(self.status)

    @property
    def http_status(self) -> Optional[int]:
        """The HTTP status of the answer: the response's, else the library's
        ``gw_last_error_http_status()`` (an answer that was no NVP answer, e.g.
        an HTML 500 page: :class:`ProtocolError`). None when no answer came."""
        if self.response is not None:
            return self.response.http_status
        return self._http_status

    @property
    def cause(self) -> Optional[str]:
        """``error.cause``: INVALID_REQUEST, REQUEST_REJECTED, SERVER_BUSY, SERVER_FAILED."""
        return self._gateway("error.cause")

    @property
    def explanation(self) -> Optional[str]:
        """``error.explanation``: the gateway's words."""
        return self._gateway("error.explanation")

    @property
    def validation_type(self) -> Optional[str]:
        """``error.validationType``: MISSING, INVALID or UNSUPPORTED."""
        return self._gateway("error.validationType")

    @property
    def support_code(self) -> Optional[str]:
        """``error.supportCode``: quote it to the gateway's support."""
        return self._gateway("error.supportCode")

    @property
    def gateway_code(self) -> Optional[str]:
        """``response.gatewayCode`` (on declines)."""
        return self._gateway("response.gatewayCode")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, message={self.message!r}, field={self.field!r})"


class ValidationError(Error, ValueError):
    """A value failed local validation (or is of the wrong shape); nothing was sent.

    ``.field`` names the NVP field (``sourceOfFunds.provided.card.p2pe.keySerialNumber``)
    or, for a check the binding makes itself, the Python argument; ``.argument``
    is the Python argument when known.
    """

    def __init__(self, status: int, message: str, field: Optional[str] = None,
                 response: Optional["Response"] = None, argument: Optional[str] = None,
                 http_status: Optional[int] = None, in_doubt: bool = False) -> None:
        super().__init__(status, message, field, response, http_status, in_doubt)
        self.argument = argument


class ConfigError(Error):
    """The configuration is incomplete or invalid (or a certificate/key/CA file is unreadable)."""


class ConnectError(Error):
    """The connection could not be established; the request was NOT sent (safe to retry)."""


class TlsError(Error):
    """TLS failed: untrusted certificate, wrong host name, refused handshake."""


class InDoubt(Error):
    """The request may have reached the gateway and been processed, and no
    final answer says so: look the outcome up (e.g. by ``correlationId``)
    before repeating a request that must not happen twice."""


class Timeout(InDoubt):
    """The call timed out; the request may have been processed."""


class IoError(InDoubt):
    """The connection failed mid-exchange; the request may have been processed."""


class ProtocolError(InDoubt):
    """The answer is not an NVP answer: HTML, garbage, oversized, bad HTTP."""


class Pending(InDoubt):
    """The operation is pending (``result=PENDING``; for a payment also a
    ``response.gatewayCode`` of PENDING or SUBMITTED): not final."""


class UnknownResult(InDoubt):
    """The result is unknown (``result=UNKNOWN`` or unrecognised; for a
    payment also ``response.gatewayCode=UNKNOWN`` or an answer that
    contradicts itself): not final."""


class GatewayError(Error):
    """The gateway answered and said no; ``.response`` is its answer.

    Raised as such for ``result=ERROR``: see ``.cause`` (INVALID_REQUEST,
    REQUEST_REJECTED, SERVER_BUSY, SERVER_FAILED), ``.explanation``,
    ``.field`` (the gateway's ``error.field``), ``.validation_type``,
    ``.support_code``. Its subclasses are the other refusals:
    :class:`AuthenticationError` and :class:`Declined`."""


class AuthenticationError(GatewayError):
    """HTTP 401: the merchant or the API password was rejected."""


class Declined(GatewayError):
    """The gateway declined the operation (``result=FAILURE``), finally; see
    ``.gateway_code`` (DECLINED, EXPIRED_CARD, TIMED_OUT, ...). A new attempt
    at a payment needs a new ``transaction.id``."""


class GatewayShutdown(GatewayError):
    """``check_gateway()``: the gateway answered ``status=SHUTDOWN``, it is
    not accepting requests; ``.response`` is its answer."""


class JournalError(Error):
    """The payment journal (``journal=`` of the configuration) could not be
    opened, written or read; a payment whose intent could not be recorded
    was not sent."""


class InternalError(Error):
    """A bug in gw (a caught panic), or a status this binding does not know."""


#: The exception class of each status, by the C name ``gw_status_name`` gives
#: it. A status the library names but this mapping lacks (a newer libgw) is an
#: :class:`InternalError`; ``GW_OK`` is no error and is not here.
CLASS_BY_NAME: Dict[str, Type[Error]] = {
    "GW_ERR_NULL_ARGUMENT": ValidationError,
    "GW_ERR_INVALID_UTF8": ValidationError,
    "GW_ERR_INVALID_FIELD": ValidationError,
    "GW_ERR_CONFIG": ConfigError,
    "GW_ERR_CONNECT": ConnectError,
    "GW_ERR_TIMEOUT": Timeout,
    "GW_ERR_TLS": TlsError,
    "GW_ERR_IO": IoError,
    "GW_ERR_PROTOCOL": ProtocolError,
    "GW_ERR_AUTHENTICATION": AuthenticationError,
    "GW_ERR_GATEWAY": GatewayError,
    "GW_DECLINED": Declined,
    "GW_PENDING": Pending,
    "GW_UNKNOWN_RESULT": UnknownResult,
    "GW_ERR_INTERNAL": InternalError,
    "GW_ERR_OUT_OF_RANGE": InternalError,
    "GW_GATEWAY_SHUTDOWN": GatewayShutdown,
    "GW_ERR_JOURNAL": JournalError,
}


def status_name(status: int) -> Optional[str]:
    """The C name of a status number (``"GW_ERR_TIMEOUT"`` for 6), from the
    library's ``gw_status_name``; None for a value that is no status."""
    if isinstance(status, bool) or not isinstance(status, int) or not 0 <= status <= 0xFFFFFFFF:
        return None
    raw = _native.lib().gw_status_name(status)
    return raw.decode("ascii") if raw is not None else None


def _name_or_number(status: int) -> str:
    """The status name for a message; "status N" when the library cannot say."""
    try:
        return status_name(status) or f"status {status}"
    except _native.LibraryError:
        return f"status {status}"


def error_class(status: int) -> Type[Error]:
    """The exception class of a status number, by the name the library gives it."""
    return CLASS_BY_NAME.get(status_name(status) or "", InternalError)
