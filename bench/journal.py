"""What the payment journal costs per payment (BENCHMARKS.md, "The payment
journal"): N warm PAYs through the Python binding against a gw-sim, with or
without a journal; prints wall time and this process's CPU time per payment.
Count the synced writes with strace around it:

    GW_LIBRARY=target/release/libgw.so strace -f -c -e trace=fsync,fdatasync \\
        python3 bench/journal.py target/release/gw-sim 100 /tmp/j.db
"""

import os
import resource
import subprocess
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bindings", "python", "src"))
import gw  # noqa: E402


def main() -> None:
    sim, n = sys.argv[1], int(sys.argv[2])
    journal = sys.argv[3] if len(sys.argv) > 3 else None
    merchant, password = "BENCHJOURNAL", "bench-journal-pass-0123"
    process = subprocess.Popen([sim, "serve", "--merchant", merchant, "--password", password, "--quiet"],
                               stdout=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().strip()
        terminal = subprocess.run([sim, "terminal", "--pan", "4761739001010010", "--expiry", "1229"],
                                  capture_output=True, text=True, check=True).stdout
        card = dict(line.split("=", 1) for line in terminal.split())
        kw = {"key_serial_number": card["GW_P2PE_KSN"], "payload": card["GW_P2PE_PAYLOAD"]}
        with gw.Client(url, merchant, api_password=password, api_version=100, journal=journal) as client:
            client.pay_p2pe("warm-" + uuid.uuid4().hex[:8], "1", "1.00", "USD", **kw)
            r0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
            for _ in range(n):
                client.pay_p2pe("b-" + uuid.uuid4().hex[:20], "1", "1.00", "USD", **kw)
            r1, t1 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
        cpu = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
        print(f"journal={'yes' if journal else 'no'} payments={n} wall/payment={(t1 - t0) / n * 1e3:.3f} ms "
              f"cpu/payment={cpu / n * 1e3:.3f} ms")
    finally:
        process.kill()
        process.wait()


if __name__ == "__main__":
    main()
