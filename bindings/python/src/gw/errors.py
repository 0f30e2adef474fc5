"""gw's exceptions: one class per status class, all under :class:`Error`.

Every exception carries ``.status`` (gw's stable status number), ``.message``
(gw's description of what failed: the field and rule, the host, the cause;
never the API password or card data), ``.field`` (the field concerned, when
there is one) and ``.response`` (the gateway's answer, a :class:`gw.Response`,
when it gave one: gateway errors, declines, 401s ...; else ``None``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Dict, Optional, Type

if TYPE_CHECKING:  # pragma: no cover
    from .response import Response

# The stable status numbers of include/gw.h.
OK = 0
ERR_NULL_ARGUMENT = 1
ERR_INVALID_UTF8 = 2
ERR_INVALID_FIELD = 3
ERR_CONFIG = 4
ERR_CONNECT = 5
ERR_TIMEOUT = 6
ERR_TLS = 7
ERR_IO = 8
ERR_PROTOCOL = 9
ERR_AUTHENTICATION = 10
ERR_GATEWAY = 11
DECLINED = 12
PENDING = 13
UNKNOWN_RESULT = 14
ERR_INTERNAL = 15
ERR_OUT_OF_RANGE = 16


class Error(Exception):
    """A failed gw call: any outcome but ``result=SUCCESS``."""

    def __init__(self, status: int, message: str, field: Optional[str] = None,
                 response: Optional["Response"] = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field
        self.response = response

    def _gateway(self, name: str) -> Optional[str]:
        return self.response.get(name) if self.response is not None else None

    @property
    def http_status(self) -> Optional[int]:
        """The HTTP status of the gateway's answer; None when it did not answer."""
        return self.response.http_status if self.response is not None else None

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
                 response: Optional["Response"] = None, argument: Optional[str] = None) -> None:
        super().__init__(status, message, field, response)
        self.argument = argument


class ConfigError(Error):
    """The configuration is incomplete or invalid (or a certificate/key/CA file is unreadable)."""


class ConnectError(Error):
    """The connection could not be established; the request was NOT sent (safe to retry)."""


class Timeout(Error):
    """The call timed out; the request may have been processed."""


class TlsError(Error):
    """TLS failed: untrusted certificate, wrong host name, refused handshake."""


class IoError(Error):
    """The connection failed mid-exchange; the request may have been processed."""


class ProtocolError(Error):
    """The answer is not an NVP answer: HTML, garbage, oversized, bad HTTP."""


class AuthenticationError(Error):
    """HTTP 401: the merchant or the API password was rejected."""


class GatewayError(Error):
    """The gateway answered ``result=ERROR``: see ``.cause``, ``.explanation``,
    ``.field`` (the gateway's ``error.field``), ``.validation_type``, ``.support_code``."""


class Declined(Error):
    """The gateway declined the operation (``result=FAILURE``); see ``.gateway_code``."""


class Pending(Error):
    """The operation is pending (``result=PENDING``)."""


class UnknownResult(Error):
    """The result is unknown (``result=UNKNOWN`` or unrecognised)."""


class InternalError(Error):
    """A bug in gw (a caught panic), or a status this binding does not know."""


_BY_STATUS: Dict[int, Type[Error]] = {
    ERR_NULL_ARGUMENT: ValidationError,
    ERR_INVALID_UTF8: ValidationError,
    ERR_INVALID_FIELD: ValidationError,
    ERR_CONFIG: ConfigError,
    ERR_CONNECT: ConnectError,
    ERR_TIMEOUT: Timeout,
    ERR_TLS: TlsError,
    ERR_IO: IoError,
    ERR_PROTOCOL: ProtocolError,
    ERR_AUTHENTICATION: AuthenticationError,
    ERR_GATEWAY: GatewayError,
    DECLINED: Declined,
    PENDING: Pending,
    UNKNOWN_RESULT: UnknownResult,
    ERR_INTERNAL: InternalError,
    ERR_OUT_OF_RANGE: InternalError,
}


def error_class(status: int) -> Type[Error]:
    """The exception class of a status."""
    return _BY_STATUS.get(status, InternalError)
