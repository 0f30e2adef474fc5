"""One Client shared by many Python threads."""

import re
import threading

import gw

from conftest import MERCHANT, PASSWORD

THREADS = 8
ROUNDS = 5


def run_threads(target):
    errors = []

    def guarded(index):
        try:
            target(index)
        except BaseException as err:  # noqa: BLE001 - reported below
            errors.append((index, err))

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    assert not errors, errors


def test_eight_threads_share_one_client(client, visa):
    results = {}

    def work(index):
        for round_ in range(ROUNDS):
            session = client.create_session()["session.id"]
            token = client.tokenize_p2pe(**visa)["token"]
            results[(index, round_)] = (session, token)

    run_threads(work)
    assert len(results) == THREADS * ROUNDS
    sessions = [session for session, _ in results.values()]
    assert len(set(sessions)) == len(sessions)
    assert all(re.fullmatch(r"9\d{15}", token) for _, token in results.values())


def test_each_thread_sees_its_own_error(client, visa):
    """gw's last error is per thread: errors raised concurrently name each thread's own field."""
    bad = {
        0: ("initialization_vector", "XX"),
        1: ("card_bin", "ABC"),
        2: ("key_serial_number", "00"),
        3: ("token", "!"),
    }

    def work(index):
        argument, value = bad[index % 4]
        for _ in range(ROUNDS):
            try:
                client.tokenize_p2pe(**{**visa, argument: value})
            except gw.ValidationError as err:
                assert err.argument == argument, (err.argument, argument)
            else:
                raise AssertionError("no ValidationError")
            assert client.create_session().result == "SUCCESS"

    run_threads(work)


def test_threads_with_their_own_clients_and_failures(base_url, closed_url):
    def work(index):
        if index % 2:
            with gw.Client(base_url, MERCHANT, api_password="bad-" + PASSWORD) as own:
                try:
                    own.create_session()
                except gw.AuthenticationError:
                    return
                raise AssertionError("no AuthenticationError")
        with gw.Client(closed_url, MERCHANT, api_password=PASSWORD, retries=0) as own:
            try:
                own.create_session()
            except gw.ConnectError:
                return
            raise AssertionError("no ConnectError")

    run_threads(work)


def test_close_while_calls_run_waits_for_them(base_url):
    in_flight = threading.Event()
    # gw logs at debug level from inside the call, before sending: the call is running.
    client = gw.Client(base_url, MERCHANT, api_password=PASSWORD, timeout_ms=5000,
                       log=lambda level, message: in_flight.set(), log_level="debug")
    outcome = []

    def slow():
        outcome.append(client.execute("CREATE_SESSION", {"correlationId": "gw-sim:fault=delay,ms=300"}).result)

    thread = threading.Thread(target=slow)
    thread.start()
    assert in_flight.wait(10)
    client.close()  # must not free the C client under the running call
    thread.join(10)
    assert outcome == ["SUCCESS"]
    assert gw.live_handles() == 0


def test_calls_run_in_parallel_without_the_gil(client):
    """8 calls of 400 ms each on one client take about 400 ms, not 3.2 s:
    ctypes releases the GIL and the client serves threads at once."""
    import time

    started = time.monotonic()
    run_threads(lambda index: client.execute("CREATE_SESSION", {"correlationId": "gw-sim:fault=delay,ms=400"}))
    elapsed = time.monotonic() - started
    assert elapsed < 1.6, f"8 delayed calls took {elapsed:.2f} s: serialized?"
