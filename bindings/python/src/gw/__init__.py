"""gw: the Mastercard Gateway (MPGS) NVP API from Python, through libgw.

    import gw

    with gw.Client(base_url, merchant, api_password=password) as client:
        session = client.create_session()
        print(session["session.id"])
        token = client.tokenize_p2pe(ksn, payload, initialization_vector=iv, card_bin=bin)
        print(token["token"])

Every outcome but ``result=SUCCESS`` raises a subclass of :class:`gw.Error`
(the tree: :mod:`gw.errors`). Durations are whole milliseconds throughout.
The library is found through ``GW_LIBRARY``, next to this package, or the
dynamic linker's path (see ``gw._native``).
"""

from ._native import EXPECTED_MAJOR, LibraryError, live_handles
from .client import (
    LOG_DEBUG,
    LOG_ERROR,
    LOG_INFO,
    LOG_WARN,
    PAYMENT_FIELDS,
    TOKENIZE_FIELDS,
    Client,
    Recovered,
    status_name,
    status_str,
    version,
)
from .errors import (
    AuthenticationError,
    ConfigError,
    ConnectError,
    Declined,
    Error,
    GatewayError,
    GatewayShutdown,
    InDoubt,
    InternalError,
    IoError,
    JournalError,
    Pending,
    ProtocolError,
    Timeout,
    TlsError,
    UnknownResult,
    ValidationError,
)
from .response import Response, field_is_sensitive

__version__ = "0.2.0"

__all__ = [
    "AuthenticationError",
    "Client",
    "ConfigError",
    "ConnectError",
    "Declined",
    "EXPECTED_MAJOR",
    "PAYMENT_FIELDS",
    "Error",
    "GatewayError",
    "GatewayShutdown",
    "InDoubt",
    "InternalError",
    "IoError",
    "JournalError",
    "LOG_DEBUG",
    "LOG_ERROR",
    "LOG_INFO",
    "LOG_WARN",
    "LibraryError",
    "Pending",
    "ProtocolError",
    "Recovered",
    "Response",
    "TOKENIZE_FIELDS",
    "Timeout",
    "TlsError",
    "UnknownResult",
    "ValidationError",
    "field_is_sensitive",
    "live_handles",
    "status_name",
    "status_str",
    "version",
]
