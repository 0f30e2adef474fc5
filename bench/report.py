"""Turns one `make bench` run into tables, ratios, target verdicts and plots.

    report.py RESULTS_DIR BENCHMARKS_MD
    report.py --parts CALLER_TREE CALLS OUT.json

Reads RESULTS_DIR/results.jsonl (one line per measured run), strace/*.txt
(strace -c -f summaries of two run lengths per client), heap.jsonl
(valgrind), inprocess.jsonl (benches/throughput.rs), profile/ (callgrind,
with BENCH_CALLGRIND=1) and machine.json; writes throughput-threads.svg and
throughput-payload.svg into RESULTS_DIR, and the figures between the
`<!-- bench:begin -->` and `<!-- bench:end -->` markers of BENCHMARKS_MD (the
text around them is kept), with issue 20's targets met or not and, when
RESULTS_DIR/baseline-20/ holds a run of main before issue 20, gw's figures
then and now. Every figure is the median over the rounds of that run; every
ratio is computed from figures of the same run.

--parts sums a callgrind caller tree by part of gw's call (PARTS below).
"""
import glob
import json
import os
import re
import statistics
import sys
from collections import defaultdict

BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def load(results_dir):
    runs = defaultdict(list)
    with open(os.path.join(results_dir, "results.jsonl")) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                runs[(r["case"], r["client"])].append(r)
    return runs


def median(runs, case, client, key):
    values = [r[key] for r in runs.get((case, client), []) if key in r]
    return statistics.median(values) if values else None


def syscalls(results_dir):
    """Per (case, client): system calls per call and the per-call breakdown,
    from the difference of the two run lengths (start-up cancels out)."""
    table = defaultdict(dict)
    for path in glob.glob(os.path.join(results_dir, "strace", "*.txt")):
        case, client, calls, _ = os.path.basename(path).rsplit(".", 3)
        counts = {}
        with open(path) as f:
            for line in f:
                fields = line.split()
                # "% time  seconds  usecs/call  calls  [errors]  syscall"
                if len(fields) >= 5 and re.match(r"^[\d.]+$", fields[0]) and fields[-1] != "total":
                    counts[fields[-1]] = (int(fields[3]), int(fields[4]) if len(fields) == 6 else 0)
        table[(case, client)][int(calls)] = counts
    out = {}
    for key, by_n in table.items():
        if len(by_n) < 2:
            continue
        (n1, c1), (n2, c2) = sorted(by_n.items())
        per = {}
        for name in set(c1) | set(c2):
            calls = (c2.get(name, (0, 0))[0] - c1.get(name, (0, 0))[0]) / (n2 - n1)
            errors = (c2.get(name, (0, 0))[1] - c1.get(name, (0, 0))[1]) / (n2 - n1)
            if abs(calls) >= 0.005:
                per[name] = (calls, errors)
        out[key] = (sum(c for c, _ in per.values()), per)
    return out


# Parts of gw's warm call, for "where gw's instructions go". A function whose
# name (or, for gw's own files, source file) matches a part is that part's;
# anything else (memcpy, iterators, formatting, hash maps: code any part may
# call) is charged to its callers in proportion to what each call arc cost,
# up the call graph until a part matches: callgrind keeps caller/callee arcs,
# not stacks, so a shared helper's cost is split by its callers' share of it,
# as gprof does. First match wins, so the allocator rows come first: memset
# called by gw::wipe is the wipe's, not the caller's of free.
PARTS = [
    ("glibc malloc, free, realloc", r"^\./malloc/"),
    ("gw::wipe and Rust's allocation path (wipe-on-free's memset, Vec growth)",
     r":(__rustc::)?__(rust|rdl|rg)_(alloc|dealloc|realloc|alloc_zeroed)\b|gw::wipe::|RawVec|raw_vec::|finish_grow|"
     r"do_reserve_and_handle|handle_alloc_error|Vec<u8>>::reserve"),
    ("zeroize: gw wiping its own buffers", r"[Zz]eroize"),
    ("ureq, ureq-proto, http, httparse: the HTTP/1.1 exchange", r":(<)?(ureq|ureq_proto|http|httparse|bytes)::|<(ureq|ureq_proto|http|httparse|bytes)::"),
    ("gw transport: pool, peek, socket, system call wrappers",
     r"gw::transport::|^src/transport|:(__libc_)?(recv|recvfrom|send|sendto|sendmsg|writev|poll|__poll)$"),
    ("decode the answer: nvp::decode_each, unescape, Response", r"gw::nvp::(decode|unescape|Charset)|gw::response::|^src/response\.rs:"),
    ("encode the request: nvp::encode, escape_into", r"gw::nvp::(encode|escape|is_plain)|serde_urlencoded|form_urlencoded"),
    ("build and check the request: Request::set, rules", r"gw::(rules|request|operations)::|^src/(rules|request|operations)\.rs:"),
    ("the rest of gw: FFI, Client::execute, retries, masking", r"(^|[:<])gw(::|_)"),
    ("the benchmark's client_call", r":(client_call|bench_\w+)$"),
    # Last: generic code (iterator folds) whose lines are nvp.rs's but whose
    # callers callgrind lost to its recursion split (a "fold'2" has no arcs).
    ("encode or decode: generic code inlined from src/nvp.rs", r"^src/nvp\.rs:"),
]


def callgrind_parts(listing, parts=PARTS):
    """Self instructions by part from `callgrind_annotate --tree=caller
    --inclusive=no` output: {part: instructions}, "other" for what reaches
    no part (start-up outside the toggled function)."""
    selfs, callers, key = {}, defaultdict(list), None
    row = re.compile(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+([<*>])\s+(.*)")
    for line in open(listing):
        mt = row.match(line)
        if not mt:
            continue
        cost, kind = int(mt.group(1).replace(",", "")), mt.group(2)
        # "file:function (Nx) [object]": the object and call count go.
        name = re.sub(r"(\s+\([\d,]+x\))?(\s+\[[^\]]*\])?\s*$", "", mt.group(3))
        if kind == "*":
            key = name
            selfs[key] = selfs.get(key, 0) + cost
            pending = [(c, n) for c, n in callers.pop(None, [])]
            callers[key] += pending
        elif kind == "<":
            callers[None].append((cost, name))
    patterns = [(label, re.compile(rx)) for label, rx in parts]

    # A function callgrind split by recursion ("fold'2") or by inlined file
    # may have no caller arcs of its own: then the arcs into every variant of
    # the same function name stand in for them.
    def base(name):
        return re.sub(r"'\d+$", "", name.split(":", 1)[-1])

    variants = defaultdict(list)
    for name, arcs in callers.items():
        if name is not None:
            variants[base(name)] += arcs

    def own(name):
        return next((label for label, rx in patterns if rx.search(name)), None)

    share_memo = {}

    def share(name, seen=()):
        """The parts `name`'s cost belongs to, as fractions."""
        if name in share_memo:
            return share_memo[name]
        label = own(name)
        if label:
            out = {label: 1.0}
        else:
            arcs = callers.get(name) or variants.get(base(name), [])
            arcs = [(c, n) for c, n in arcs if n not in seen and n != name]
            weight = sum(c for c, _ in arcs)
            out = defaultdict(float)
            if weight == 0:
                out["other"] = 1.0
            for c, n in arcs:
                for part, f in share(n, seen + (name,)).items():
                    out[part] += f * c / weight
            out = dict(out)
        if not seen:  # results under a cycle guard depend on the path: not kept
            share_memo[name] = out
        return out

    totals = defaultdict(float)
    for name, cost in selfs.items():
        for part, f in share(name).items():
            totals[part] += f * cost
    return dict(totals)


def fmt(value, digits=1):
    if value is None:
        return "–"
    if isinstance(value, str):
        return value
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def ratio(a, b):
    return None if a is None or b in (None, 0) else a / b


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(fmt(c) if not isinstance(c, str) else c for c in row) + " |" for row in rows]
    return "\n".join(lines)


def svg_plot(path, title, xlabel, ylabel, xs, series, log_x=False):
    """A small line plot: series is [(name, colour, [y per x])]."""
    import math

    w, h, left, right, top, bottom = 640, 360, 80, 150, 40, 50
    pw, ph = w - left - right, h - top - bottom
    top_value = max((y for _, _, ys in series for y in ys if y is not None), default=1)
    magnitude = 10 ** math.floor(math.log10(top_value / 5)) if top_value > 5 else 1
    step = next(k * magnitude for k in (1, 2, 2.5, 5, 10) if k * magnitude * 5 >= top_value)
    ymax = step * 5
    fx = (lambda x: math.log2(x)) if log_x else (lambda x: x)
    x0, x1 = fx(xs[0]), fx(xs[-1])

    def px(x):
        return left + (fx(x) - x0) / ((x1 - x0) or 1) * pw

    def py(y):
        return top + ph - y / ymax * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{w / 2 - right / 2}" y="22" text-anchor="middle" font-size="15">{title}</text>',
           f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="black"/>',
           f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="black"/>',
           f'<text x="{left + pw / 2}" y="{h - 10}" text-anchor="middle">{xlabel}</text>',
           f'<text x="18" y="{top + ph / 2}" text-anchor="middle" transform="rotate(-90 18 {top + ph / 2})">{ylabel}</text>']
    for x in xs:
        out.append(f'<line x1="{px(x):.1f}" y1="{top + ph}" x2="{px(x):.1f}" y2="{top + ph + 5}" stroke="black"/>')
        out.append(f'<text x="{px(x):.1f}" y="{top + ph + 18}" text-anchor="middle">{x}</text>')
    for i in range(6):
        y = ymax * i / 5
        out.append(f'<line x1="{left - 5}" y1="{py(y):.1f}" x2="{left + pw}" y2="{py(y):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 8}" y="{py(y) + 4:.1f}" text-anchor="end">{y:,.0f}</text>')
    for k, (name, colour, ys) in enumerate(series):
        points = [(px(x), py(y)) for x, y in zip(xs, ys) if y is not None]
        out.append('<polyline fill="none" stroke-width="2" stroke="{}" points="{}"/>'.format(
            colour, " ".join(f"{a:.1f},{b:.1f}" for a, b in points)))
        out += [f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3" fill="{colour}"/>' for a, b in points]
        ly = top + 10 + k * 20
        out.append(f'<line x1="{left + pw + 15}" y1="{ly}" x2="{left + pw + 40}" y2="{ly}" stroke="{colour}" stroke-width="2"/>')
        out.append(f'<text x="{left + pw + 45}" y="{ly + 4}">{name}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def verdict(ok):
    return "–" if ok is None else ("**met**" if ok else "**not met**")


def heap_per_call(results_dir):
    """Per client: (allocations, bytes) per warm HTTP call from valgrind's
    heap summaries of two run lengths."""
    path = os.path.join(results_dir, "heap.jsonl")
    by_client = defaultdict(dict)
    if os.path.exists(path):
        for line in open(path):
            if line.strip():
                h = json.loads(line)
                by_client[h["client"]][h["calls"]] = h
    out = {}
    for client, by_n in by_client.items():
        if len(by_n) == 2:
            (n1, a), (n2, b) = sorted(by_n.items())
            out[client] = ((b["allocs"] - a["allocs"]) / (n2 - n1), (b["bytes"] - a["bytes"]) / (n2 - n1))
    return out


def profile_instructions(results_dir):
    """Instructions per warm call inside client_call, per client, from the
    callgrind listings (2,000 calls and 20 of warm-up), if the run made them."""
    out = {}
    for name, label in [("gw_client_sym", "gw"), ("curl_client", "libcurl")]:
        path = os.path.join(results_dir, "profile", f"{name}.inclusive-no.txt")
        if os.path.exists(path):
            for line in open(path):
                if "PROGRAM TOTALS" in line:
                    out[label] = int(line.split()[0].replace(",", "")) / 2020
    return out


def run_figures(results_dir):
    """The figures issue 20's targets and the before/after table need, of one run."""
    runs, sc = load(results_dir), syscalls(results_dir)

    def m(case, client, key):
        return median(runs, case, client, key)

    inproc = []
    if os.path.exists(os.path.join(results_dir, "inprocess.jsonl")):
        inproc = [json.loads(l) for l in open(os.path.join(results_dir, "inprocess.jsonl")) if l.strip()]
    ved = {}
    for r in inproc:
        mt = re.match(r"validate\+encode\+decode a TOKENIZE, payload (\d+)$", r["case"])
        if mt:
            ved[int(mt.group(1))] = r["ns_per_op"]
    parts = {}
    parts_path = os.path.join(results_dir, "profile", "gw_client_sym.parts.json")
    if os.path.exists(parts_path):
        p = json.load(open(parts_path))
        parts = {label: v / p["calls"] for label, v in p["parts"].items()}

    def resumed(case):
        h = sum(r.get("handshakes_after_first", 0) for r in runs.get((case, "gw"), []))
        k = sum(r.get("resumed", 0) for r in runs.get((case, "gw"), []))
        return h, k

    def inverse(v):
        return None if not v else 1 / v

    cases = ["http-warm", "https-warm", "cold-tls12", "cold-tls13"]
    return {
        "machine": json.load(open(os.path.join(results_dir, "machine.json"))),
        "gw_cpu": {c: m(c, "gw", "cpu_us_per_call") for c in cases},
        "gw_cps": {c: m(c, "gw", "calls_per_s") for c in cases},
        "cpu_vs_libcurl": {c: ratio(m(c, "gw", "cpu_us_per_call"), m(c, "libcurl", "cpu_us_per_call")) for c in cases},
        "cpu_vs_raw": ratio(m("http-warm", "gw", "cpu_us_per_call"), m("http-warm", "raw", "cpu_us_per_call")),
        "syscalls": {c: sc.get((c, "gw"), (None,))[0] for c in cases},
        "instructions": profile_instructions(results_dir),
        "allocs": {c: v[0] for c, v in heap_per_call(results_dir).items()},
        "inprocess": ved,
        "resumed": {c: resumed(c) for c in ["cold-tls12", "cold-tls13"]},
        "cold_wall_vs_libcurl": {c: ratio(inverse(m(c, "gw", "calls_per_s")), inverse(m(c, "libcurl", "calls_per_s")))
                                 for c in ["cold-tls12", "cold-tls13"]},
        "rss": runs.get(("rss", "gw"), [{}])[0],
        "python_vs_requests": {c: ratio(m(c, "gw-python", "calls_per_s"), m(c, "requests", "calls_per_s"))
                               for c in ["python-http", "python-https"]},
        "parts": parts,
    }


def main():
    results_dir, md_path = sys.argv[1], sys.argv[2]
    runs = load(results_dir)
    sc = syscalls(results_dir)
    machine = json.load(open(os.path.join(results_dir, "machine.json")))
    inproc = []
    if os.path.exists(os.path.join(results_dir, "inprocess.jsonl")):
        inproc = [json.loads(l) for l in open(os.path.join(results_dir, "inprocess.jsonl")) if l.strip()]

    def m(case, client, key):
        return median(runs, case, client, key)

    def sys_per_call(case, client):
        return sc.get((case, client), (None, {}))[0]

    md = []
    md.append(f"Run of {machine['date']} (commit {machine['commit']}, {machine['profile']} build"
              f"{', QUICK smoke form' if machine['quick'] else ''}): {machine['rounds']} rounds, "
              f"{machine['calls']} warm calls per run, {machine['cold_calls']} cold calls, "
              f"{machine['py_calls']} Python calls, {machine['wan_calls']} WAN calls; medians over the rounds.")
    md.append("")
    md.append(f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['os']}, Linux {machine['kernel']}; "
              f"nginx {machine['nginx']}, {machine['curl']} (OpenSSL), {machine['rustc']}, {machine['cc']}, "
              f"{machine['python']}, requests {machine['requests']}. Load at the end of the run: `{machine['uptime']}`.")
    md.append("")

    cols = ["client", "calls/s", "median µs", "p99 µs", "CPU µs/call", "syscalls/call", "peak RSS KiB"]

    def rows(case, clients):
        return [[c, m(case, c, "calls_per_s"), m(case, c, "p50_us"), m(case, c, "p99_us"),
                 m(case, c, "cpu_us_per_call"), sys_per_call(case, c), m(case, c, "maxrss_kb")]
                for c in clients if (case, c) in runs]

    def ratios(case, a, b):
        return (ratio(m(case, a, "cpu_us_per_call"), m(case, b, "cpu_us_per_call")),
                ratio(m(case, a, "calls_per_s"), m(case, b, "calls_per_s")),
                ratio(m(case, a, "p50_us"), m(case, b, "p50_us")))

    md.append("### Warm keep-alive TOKENIZE, one thread")
    for case, title, clients in [("http-warm", "plain HTTP (nginx)", ["gw", "libcurl", "raw"]),
                                 ("https-warm", "HTTPS (nginx, TLS 1.3)", ["gw", "libcurl"]),
                                 ("gw-sim-http", "plain HTTP to gw-sim (real DUKPT decrypt per call)", ["gw", "libcurl"])]:
        md += ["", f"{title}:", "", table(cols, rows(case, clients))]
    pay_rows = [[case] + r for case in ("gw-sim-http", "gw-sim-pay") for r in rows(case, ["gw"])]
    if pay_rows:
        md += ["", "Warm P2PE PAY beside TOKENIZE, gw from C against gw-sim (a new order per PAY; both decrypt the "
               "DUKPT payload, PAY also records the sale in gw-sim's ledger):", "", table(["case"] + cols, pay_rows)]
    md += ["", "Ratios (same run): CPU per call, calls/s, median latency.", ""]
    ratio_rows = []
    for case, a, b in [("http-warm", "gw", "libcurl"), ("https-warm", "gw", "libcurl"), ("http-warm", "gw", "raw"),
                       ("gw-sim-http", "gw", "libcurl"), ("python-http", "gw-python", "requests"),
                       ("python-https", "gw-python", "requests")]:
        cpu, cps, lat = ratios(case, a, b)
        ratio_rows.append([case, f"{a} ÷ {b}", cpu, cps, lat])
    md.append(table(["case", "ratio", "CPU/call", "calls/s", "median latency"],
                    [[r[0], r[1]] + [None if v is None else f"{v:.2f}×" for v in r[2:]] for r in ratio_rows]))

    md += ["", "### Python: gw's binding against requests.Session", ""]
    for case in ["python-http", "python-https"]:
        md += [f"{case}:", "", table(cols, rows(case, ["gw-python", "requests"])), ""]

    md += ["### System calls per warm call (strace -c -f; difference of two run lengths)", ""]
    srows = []
    for key in sorted(sc):
        total, per = sc[key]
        detail = ", ".join(f"{name} {c:.2f}" + (f" ({e:.2f} failed)" if e >= 0.005 else "")
                           for name, (c, e) in sorted(per.items(), key=lambda kv: -kv[1][0]))
        srows.append([key[0], key[1], total, detail])
    md += [table(["case", "client", "per call", "which"], srows), ""]

    threads = [int(c.split("-")[1]) for c, cl in runs if c.startswith("threads-")]
    threads = sorted(set(threads))
    md += ["### Threads sharing one gw client (plain HTTP, nginx with one worker per core)", "",
           table(["threads", "calls/s", "median µs", "p99 µs", "CPU µs/call", "peak RSS KiB"],
                 [[str(t), m(f"threads-{t}", "gw", "calls_per_s"), m(f"threads-{t}", "gw", "p50_us"),
                   m(f"threads-{t}", "gw", "p99_us"), m(f"threads-{t}", "gw", "cpu_us_per_call"),
                   m(f"threads-{t}", "gw", "maxrss_kb")] for t in threads]),
           "", "![throughput vs threads](bench/results/throughput-threads.svg)", ""]
    if threads:
        svg_plot(os.path.join(results_dir, "throughput-threads.svg"), "gw: TOKENIZE calls/s vs threads (one client)",
                 "threads", "calls/s", threads, [("gw", "#1f77b4", [m(f"threads-{t}", "gw", "calls_per_s") for t in threads])],
                 log_x=True)

    sizes = sorted({int(c.split("-")[1]) for c, cl in runs if c.startswith("payload-")})
    prow = []
    for s in sizes:
        case = f"payload-{s}"
        prow.append([str(s)] + [m(case, c, "calls_per_s") for c in ["gw", "libcurl", "raw"]]
                    + [m(case, c, "cpu_us_per_call") for c in ["gw", "libcurl", "raw"]]
                    + [fmt(ratio(m(case, "gw", "cpu_us_per_call"), m(case, "libcurl", "cpu_us_per_call")), 2) + "×"])
    md += ["### Payload size (hex digits of the encrypted card), plain HTTP", "",
           table(["payload", "gw calls/s", "libcurl calls/s", "raw calls/s", "gw CPU µs", "libcurl CPU µs", "raw CPU µs",
                  "gw ÷ libcurl CPU"], prow),
           "", "![throughput vs payload](bench/results/throughput-payload.svg)", ""]
    if sizes:
        svg_plot(os.path.join(results_dir, "throughput-payload.svg"), "TOKENIZE calls/s vs payload size (HTTP)",
                 "payload hex digits", "calls/s", sizes,
                 [(label, colour, [m(f"payload-{s}", c, "calls_per_s") for s in sizes])
                  for c, label, colour in [("gw", "gw", "#1f77b4"), ("libcurl", "libcurl", "#d62728"),
                                           ("raw", "raw socket", "#7f7f7f")]],
                 log_x=True)

    def resumed(case, client):
        h = sum(r.get("handshakes_after_first", 0) for r in runs.get((case, client), []))
        k = sum(r.get("resumed", 0) for r in runs.get((case, client), []))
        return h, k

    ccols = ["case", "client", "calls/s", "wall ms/call", "median ms", "p99 ms", "CPU µs/call", "syscalls/call",
             "resumed after the first"]
    crow = []
    for case in ["cold-tls12", "cold-tls13", "wan-cold-tls12", "wan-cold-tls13", "wan-https-warm"]:
        for c in ["gw", "libcurl"]:
            if (case, c) not in runs:
                continue
            h, k = resumed(case, c)
            cps = m(case, c, "calls_per_s")
            crow.append([case, c, cps, 1000 / cps if cps else None, m(case, c, "p50_us") / 1000,
                         m(case, c, "p99_us") / 1000, m(case, c, "cpu_us_per_call"), sys_per_call(case, c),
                         f"{k} of {h}" if h else "–"])
    md += ["### Cold calls: nginx closes every connection (HTTPS)", "",
           f"`wan-*`: {machine['wan_how']}. The resumed count is nginx's `$ssl_session_reused` over every round.", "",
           table(ccols, crow), ""]
    md.append(table(["case", "gw ÷ libcurl wall/call", "gw ÷ libcurl CPU/call"],
                    [[case, fmt(ratio(1 / m(case, "gw", "calls_per_s"), 1 / m(case, "libcurl", "calls_per_s")), 2) + "×",
                      fmt(ratio(m(case, "gw", "cpu_us_per_call"), m(case, "libcurl", "cpu_us_per_call")), 2) + "×"]
                     for case in ["cold-tls12", "cold-tls13", "wan-cold-tls12", "wan-cold-tls13", "wan-https-warm"]
                     if (case, "gw") in runs and (case, "libcurl") in runs]))
    md.append("")

    rss = runs.get(("rss", "gw"), [{}])[0]
    built = machine["profile"] + (', `strip = "symbols"`' if machine["profile"] == "release" else "")
    md += ["### Memory and size", "",
           "- RSS is read from /proc/self/statm after the warm-up, a tenth of the way and after the last call; "
           "glibc grows its heap by at least 128 KiB at a time (M_TOP_PAD), so growth below two steps is no trend.",
           f"- RSS over {rss.get('calls', '?'):,} keep-alive calls (gw, HTTP): {rss.get('rss_kb_after_warmup', '?')} KiB "
           f"after the warm-up, {rss.get('rss_kb_tenth', '?')} KiB a tenth of the way, {rss.get('rss_kb_end', '?')} KiB at the end (peak {rss.get('maxrss_kb', '?')} KiB).",
           f"- libgw.so as built ({built}): {machine['so_bytes']:,} bytes; "
           f"after `strip --strip-all`: {machine['so_stripped_all_bytes']:,} bytes.", ""]
    heap = heap_per_call(results_dir)
    if heap:
        md += ["### Heap allocations per warm HTTP call (valgrind's heap summary, difference of two run lengths)", "",
               table(["client", "allocations/call", "bytes allocated/call"], [[c, a, b] for c, (a, b) in heap.items()]),
               ""]
    md += ["### In-process: validate + encode + decode per call (benches/throughput.rs, no network)", "",
           table(["what", "ns/op", "ops/s"], [[r["case"], r["ns_per_op"], r["ops_per_s"]] for r in inproc]), ""]

    fig = run_figures(results_dir)
    if fig["instructions"]:
        md += ["### Profile of the warm HTTP call (callgrind, instructions inside client_call, 2,020 calls)", ""]
        prow = []
        for name, label in [("gw_client_sym", "gw"), ("curl_client", "libcurl")]:
            path = os.path.join(results_dir, "profile", f"{name}.inclusive-no.txt")
            if label not in fig["instructions"] or not os.path.exists(path):
                continue
            lines = open(path).read().splitlines()
            top = []
            for l in lines[lines.index(next(x for x in lines if "file:function" in x)) + 2:]:
                mt = re.match(r"\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(.*)", l)
                if mt and len(top) < 6:
                    where = re.sub(r"\s*\[.*\]?$", "", mt.group(3)).split(":", 1)[-1]
                    top.append(f"{where[:70]} {mt.group(2)}%")
            prow.append([label, fig["instructions"][label], "; ".join(top)])
        md += [table(["client", "instructions/call", "top self cost"], prow), ""]
        if fig["parts"]:
            total = sum(fig["parts"].values())
            md += ["Where gw's instructions go, per warm HTTP call: each function's own instructions, charged to the "
                   "part its name (or gw source file) belongs to; code shared by every part (memcpy, iterators, hash "
                   "maps, formatting) charged to its callers in proportion to what each call of it cost "
                   "(`bench/report.py` PARTS, from callgrind's caller arcs). The allocator rows hold every malloc, "
                   "free and wipe whoever asked for it.", "",
                   table(["part of gw's call", "instructions/call", "share"],
                         [[label, v, f"{100 * v / total:.1f}%"] for label, v in
                          sorted(fig["parts"].items(), key=lambda kv: -kv[1])]
                         + [["total", total, "100%"]]), ""]
        md += ["Listings (the first 150 lines of each): bench/results/profile/*.txt (inclusive-yes: with callees); "
               "gw_client_sym.parts.json: the table above.", ""]

    # Issue 20's targets, each from this run's own figures.
    def le(a, b, k=1.0):
        return None if a is None or b is None else a <= k * b

    def x(v):
        return "–" if v is None else f"{v:.2f}×"

    t_rows = []
    for case, label in [("http-warm", "HTTP"), ("https-warm", "HTTPS")]:
        r = fig["cpu_vs_libcurl"][case]
        t_rows.append([f"warm call client CPU ≤ 0.8× libcurl ({label})", x(r), "≤ 0.80×", verdict(le(r, 0.8))])
    r = fig["cpu_vs_raw"]
    t_rows.append(["warm call client CPU ≤ 1.8× the raw socket (HTTP)", x(r), "≤ 1.80×", verdict(le(r, 1.8))])
    gi, ci = fig["instructions"].get("gw"), fig["instructions"].get("libcurl")
    t_rows.append(["instructions per warm HTTP call ≤ 0.8× libcurl's (callgrind)",
                   f"{fmt(gi)} ÷ {fmt(ci)} = {x(ratio(gi, ci))}" if gi and ci else "– (no profile: BENCH_CALLGRIND=1)",
                   "≤ 0.80×", verdict(le(ratio(gi, ci), 0.8))])
    ga, ca = fig["allocs"].get("gw"), fig["allocs"].get("libcurl")
    t_rows.append(["heap allocations per warm HTTP call ≤ libcurl's", f"{fmt(ga)} (libcurl {fmt(ca)})",
                   f"≤ {fmt(ca)}", verdict(le(ga, ca))])
    ved = fig["inprocess"]
    worst = max(ved.values()) if ved else None
    t_rows.append(["validate + encode + decode of a TOKENIZE ≤ 2 µs, every payload "
                   + ("–".join(str(n) for n in (min(ved), max(ved))) if ved else "") + " hex digits (in process)",
                   " / ".join(f"{ved[n] / 1000:.2f}" for n in sorted(ved)) + " µs" if ved else "–",
                   "≤ 2.00 µs (worst)", verdict(le(worst, 2000))])
    for case, label in [("http-warm", "HTTP"), ("https-warm", "HTTPS")]:
        v = fig["syscalls"][case]
        t_rows.append([f"system calls per warm call ≤ 3, the peek included ({label})", fmt(v, 2), "≤ 3",
                       verdict(le(v, 3.005))])
    for case in ["cold-tls12", "cold-tls13"]:
        h, k = fig["resumed"][case]
        w = fig["cold_wall_vs_libcurl"][case]
        t_rows.append([f"cold calls resumed and wall/call ≤ libcurl's ({case})", f"{k} of {h} resumed; {x(w)}",
                       "all; ≤ 1.00×", verdict(None if not h or w is None else k == h and w <= 1.0)])
    rss = fig["rss"]
    if rss.get("rss_kb_tenth") is not None:
        # Flat: over the last 90% of the calls the heap grows less than two
        # of glibc's 128 KiB heap steps (< 3 bytes a call over 90,000 calls).
        growth = rss["rss_kb_end"] - rss["rss_kb_tenth"]
        t_rows.append([f"RSS flat over {rss['calls']:,} calls",
                       f"{rss['rss_kb_after_warmup']} → {rss['rss_kb_tenth']} → {rss['rss_kb_end']} KiB",
                       "last 90% grow ≤ 256 KiB", verdict(growth <= 256)])
    for case in ["python-http", "python-https"]:
        r = fig["python_vs_requests"][case]
        t_rows.append([f"gw from Python ≥ 5× requests, calls/s ({case})", x(r), "≥ 5.00×",
                       verdict(None if r is None else r >= 5)])
    md += ["### Targets of issue 20", "",
           "Every figure from this run. The instruction, allocation and system-call counts are exact (they do not "
           "move between runs of the same code); the CPU ratios move with the load of the machine's two cores, "
           "which nginx and other work share with the client.", "",
           table(["target", "measured", "target", "verdict"], t_rows), ""]

    # The same figures from main before issue 20's work, if kept.
    base_dir = os.path.join(results_dir, "baseline-20")
    if os.path.exists(os.path.join(base_dir, "results.jsonl")):
        base = run_figures(base_dir)
        bm = base["machine"]

        def pair(label, f, digits=1):
            a, b = f(base), f(fig)
            change = "–" if a in (None, 0) or b is None else f"{b / a:.2f}×"
            return [label, fmt(a, digits), fmt(b, digits), change]

        brows = [
            pair("CPU µs/call, warm HTTP", lambda f: f["gw_cpu"]["http-warm"]),
            pair("CPU µs/call, warm HTTPS", lambda f: f["gw_cpu"]["https-warm"]),
            pair("CPU ÷ libcurl's, warm HTTP", lambda f: f["cpu_vs_libcurl"]["http-warm"], 2),
            pair("CPU ÷ libcurl's, warm HTTPS", lambda f: f["cpu_vs_libcurl"]["https-warm"], 2),
            pair("CPU ÷ the raw socket's, warm HTTP", lambda f: f["cpu_vs_raw"], 2),
            pair("calls/s, warm HTTP", lambda f: f["gw_cps"]["http-warm"]),
            pair("calls/s, warm HTTPS", lambda f: f["gw_cps"]["https-warm"]),
            pair("system calls/call, warm HTTP", lambda f: f["syscalls"]["http-warm"], 2),
            pair("system calls/call, warm HTTPS", lambda f: f["syscalls"]["https-warm"], 2),
            pair("instructions/call, warm HTTP (callgrind)", lambda f: f["instructions"].get("gw")),
            pair("heap allocations/call, warm HTTP", lambda f: f["allocs"].get("gw")),
        ]
        for n in sorted(set(base["inprocess"]) | set(fig["inprocess"])):
            brows.append(pair(f"validate + encode + decode, payload {n}: ns", lambda f: f["inprocess"].get(n)))
        brows += [pair("cold TLS 1.2: CPU µs/call", lambda f: f["gw_cpu"]["cold-tls12"]),
                  pair("cold TLS 1.3: CPU µs/call", lambda f: f["gw_cpu"]["cold-tls13"])]
        for part in sorted(set(base["parts"]) | set(fig["parts"]), key=lambda p: -base["parts"].get(p, 0)):
            brows.append(pair(f"instructions/call: {part}", lambda f: f["parts"].get(part)))
        md += [f"### gw before and after issue 20 (before: run of {bm['date']}, commit {bm['commit']}, "
               "the same command with BENCH_CALLGRIND=1, kept in bench/results/baseline-20/)", "",
               table(["figure (gw)", "before", "now", "now ÷ before"], brows), ""]

    text = "\n".join(md)
    if os.path.exists(md_path):
        doc = open(md_path).read()
    else:
        doc = f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in doc:
        doc += f"\n{BEGIN}\n{END}\n"
    head, rest = doc.split(BEGIN, 1)
    tail = rest.split(END, 1)[1] if END in rest else ""
    with open(md_path, "w") as f:
        f.write(f"{head}{BEGIN}\n<!-- written by bench/report.py from bench/results: do not edit by hand -->\n\n{text}\n{END}{tail}")
    print(text)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--parts"]:
        # report.py --parts LISTING CALLS OUT.json: run.sh, on the whole
        # caller tree (too long to keep; the table is what is kept).
        listing, calls, out_path = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        with open(out_path, "w") as f:
            json.dump({"calls": calls, "parts": {k: round(v) for k, v in callgrind_parts(listing).items()}}, f, indent=1)
            f.write("\n")
    else:
        main()
