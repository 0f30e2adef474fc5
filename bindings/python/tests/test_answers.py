"""The gateway's answer as Python reads it: through the core's one decoder."""

import http.server
import threading

import pytest

import gw

from conftest import MERCHANT, PASSWORD


def answer_once(body: bytes) -> str:
    """A loopback HTTP server that answers one POST with `body`; its base URL."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(201)
            self.send_header("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.handle_request, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


@pytest.mark.parametrize("body", [
    b"result=SUCCESS&session.id=SESSION0002&result=ERROR",
    b"result=ERROR&error.cause=SERVER_FAILED&result=SUCCESS",
])
def test_a_field_twice_is_a_protocol_error_as_in_c(body):
    # C once kept the first result and Python the last; now neither decides.
    with gw.Client(answer_once(body), MERCHANT, api_password=PASSWORD, timeout_ms=5000, retries=0) as client:
        with pytest.raises(gw.ProtocolError, match="the field 'result' appears twice"):
            client.create_session()


def test_each_field_once_is_read():
    body = b"result=SUCCESS&session.id=SESSION0002"
    with gw.Client(answer_once(body), MERCHANT, api_password=PASSWORD, timeout_ms=5000, retries=0) as client:
        assert client.create_session()["session.id"] == "SESSION0002"
