"""TOKENIZE calls from Python: gw's binding or requests.Session, the same POST.

    py_client.py gw|requests --url URL [--ca FILE] [--calls N] [--warmup N] [--payload HEX] ...

Prints the same JSON object as the C clients (bench.h): calls/s, median and
p99 latency, CPU per call from getrusage around the timed calls, peak RSS.
"""
import argparse
import json
import resource
import sys
import time


def parse():
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=["gw", "requests"])
    p.add_argument("--url", required=True)
    p.add_argument("--path", default="/api/nvp/version/50")
    p.add_argument("--ca")
    p.add_argument("--merchant", default="BENCH01")
    p.add_argument("--password", default="bench-password")
    p.add_argument("--ksn", default="FFFF9876543210E00001")
    p.add_argument("--payload", default="2DA68FDCFD61C04C57CFB20318DCDBB1")
    p.add_argument("--bin", default="476173")
    p.add_argument("--calls", type=int, default=1000)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--threads", type=int, default=1)
    return p.parse_args()


def gw_call(args):
    import gw

    client = gw.Client(args.url, args.merchant, args.password, ca_bundle=args.ca)

    def call():
        return client.tokenize_p2pe(args.ksn, args.payload, card_bin=args.bin)["token"]

    return call


def requests_call(args):
    import requests

    session = requests.Session()
    url = args.url + args.path
    verify = args.ca if args.ca else True
    p2pe = "sourceOfFunds.provided.card.p2pe."

    def call():
        answer = session.post(url, data={
            "apiOperation": "TOKENIZE",
            "merchant": args.merchant,
            "apiUsername": "merchant." + args.merchant,
            "apiPassword": args.password,
            "sourceOfFunds.type": "CARD",
            p2pe + "keySerialNumber": args.ksn,
            p2pe + "payload": args.payload,
            p2pe + "cardBin": args.bin,
        }, verify=verify, timeout=60)
        fields = dict(pair.split("=", 1) for pair in answer.text.split("&"))
        if fields.get("result") != "SUCCESS":
            raise RuntimeError(f"HTTP {answer.status_code}: {answer.text[:200]}")
        return fields["token"]

    return call


def cpu():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def main():
    args = parse()
    call = gw_call(args) if args.mode == "gw" else requests_call(args)
    for _ in range(args.warmup):
        call()
    latency = [0] * args.calls
    clock = time.perf_counter_ns
    cpu0, t0 = cpu(), clock()
    for i in range(args.calls):
        started = clock()
        call()
        latency[i] = clock() - started
    wall = (clock() - t0) / 1e9
    used = cpu() - cpu0
    latency.sort()
    print(json.dumps({
        "calls": args.calls, "threads": 1, "failures": 0, "wall_s": wall, "calls_per_s": args.calls / wall,
        "p50_us": latency[args.calls // 2] / 1e3, "p99_us": latency[min(args.calls - 1, int(args.calls * 0.99))] / 1e3,
        "cpu_us_per_call": used * 1e6 / args.calls,
        "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
    }))


if __name__ == "__main__":
    sys.exit(main())
