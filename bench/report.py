"""Turns one `make bench` run into tables, ratios, target verdicts and plots.

    report.py RESULTS_DIR BENCHMARKS_MD

Reads RESULTS_DIR/results.jsonl (one line per measured run), strace/*.txt
(strace -c -f summaries of two run lengths per client), inprocess.jsonl
(benches/throughput.rs) and machine.json; writes throughput-threads.svg and
throughput-payload.svg into RESULTS_DIR, and the figures between the
`<!-- bench:begin -->` and `<!-- bench:end -->` markers of BENCHMARKS_MD (the
text around them is kept). Every figure is the median over the rounds of
that run; every ratio is computed from figures of the same run.
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
    heap_path = os.path.join(results_dir, "heap.jsonl")
    if os.path.exists(heap_path):
        by_client = defaultdict(dict)
        for line in open(heap_path):
            if line.strip():
                h = json.loads(line)
                by_client[h["client"]][h["calls"]] = h
        hrows = []
        for client, by_n in by_client.items():
            if len(by_n) == 2:
                (n1, a), (n2, b) = sorted(by_n.items())
                hrows.append([client, (b["allocs"] - a["allocs"]) / (n2 - n1), (b["bytes"] - a["bytes"]) / (n2 - n1)])
        md += ["### Heap allocations per warm HTTP call (valgrind's heap summary, difference of two run lengths)", "",
               table(["client", "allocations/call", "bytes allocated/call"], hrows), ""]
    md += ["### In-process: validate + encode + decode per call (benches/throughput.rs, no network)", "",
           table(["what", "ns/op", "ops/s"], [[r["case"], r["ns_per_op"], r["ops_per_s"]] for r in inproc]), ""]

    profile_dir = os.path.join(results_dir, "profile")
    if os.path.isdir(profile_dir):
        md += ["### Profile of the warm HTTP call (callgrind, instructions inside client_call, 2,020 calls)", ""]
        prow = []
        for name, label in [("gw_client_sym", "gw"), ("curl_client", "libcurl")]:
            path = os.path.join(profile_dir, f"{name}.inclusive-no.txt")
            if not os.path.exists(path):
                continue
            lines = open(path).read().splitlines()
            total = next((int(l.split()[0].replace(",", "")) for l in lines if "PROGRAM TOTALS" in l), None)
            top = []
            for l in lines[lines.index(next(x for x in lines if "file:function" in x)) + 2:]:
                mt = re.match(r"\s*([\d,]+)\s+\(\s*([\d.]+)%\)\s+(.*)", l)
                if mt and len(top) < 6:
                    where = re.sub(r"\s*\[.*\]$", "", mt.group(3)).split(":", 1)[-1]
                    top.append(f"{where[:70]} {mt.group(2)}%")
            prow.append([label, None if total is None else total / 2020, "; ".join(top)])
        md += [table(["client", "instructions/call", "top self cost"], prow),
               "", "Whole listings: bench/results/profile/*.txt (inclusive-yes: with callees).", ""]

    # The same figures from a run before issue 14's transport work, if kept.
    base_dir = os.path.join(results_dir, "baseline")
    if os.path.exists(os.path.join(base_dir, "results.jsonl")):
        base, base_sc = load(base_dir), syscalls(base_dir)
        base_machine = json.load(open(os.path.join(base_dir, "machine.json")))

        def both(case, key):
            return [median(base, case, "gw", key), m(case, "gw", key)]

        def both_resumed(case):
            out = []
            for source in (base, runs):
                h = sum(r.get("handshakes_after_first", 0) for r in source.get((case, "gw"), []))
                k = sum(r.get("resumed", 0) for r in source.get((case, "gw"), []))
                out.append(f"{k} of {h}")
            return out

        brows = [
            ["CPU µs/call, warm HTTP"] + both("http-warm", "cpu_us_per_call"),
            ["CPU µs/call, warm HTTPS"] + both("https-warm", "cpu_us_per_call"),
            ["calls/s, warm HTTP"] + both("http-warm", "calls_per_s"),
            ["calls/s, warm HTTPS"] + both("https-warm", "calls_per_s"),
            ["syscalls/call, warm HTTP", base_sc.get(("http-warm", "gw"), (None,))[0], sys_per_call("http-warm", "gw")],
            ["syscalls/call, warm HTTPS", base_sc.get(("https-warm", "gw"), (None,))[0], sys_per_call("https-warm", "gw")],
            ["cold TLS 1.2: resumed after the first"] + both_resumed("cold-tls12"),
            ["cold TLS 1.3: resumed after the first"] + both_resumed("cold-tls13"),
            ["cold TLS 1.2: CPU µs/call"] + both("cold-tls12", "cpu_us_per_call"),
            ["cold TLS 1.3: CPU µs/call"] + both("cold-tls13", "cpu_us_per_call"),
            ["WAN cold TLS 1.2: median ms"] + [None if v is None else v / 1000 for v in both("wan-cold-tls12", "p50_us")],
            ["WAN cold TLS 1.3: median ms"] + [None if v is None else v / 1000 for v in both("wan-cold-tls13", "p50_us")],
        ]
        md += [f"### gw before and after the transport of issue 14 (baseline: run of {base_machine['date']}, "
               f"commit {base_machine['commit']}, same command)", "",
               table(["figure (gw)", "before", "now"], brows), ""]

    # Targets of issue 14.
    def le(a, b, k=1.0):
        return None if a is None or b is None else a <= k * b

    cpu = lambda case, c: m(case, c, "cpu_us_per_call")
    cps = lambda case, c: m(case, c, "calls_per_s")
    t_rows = []
    for case in ["http-warm", "https-warm"]:
        r = ratio(cpu(case, "gw"), cpu(case, "libcurl"))
        t_rows.append([f"CPU/call ≤ 0.8× libcurl ({case})", fmt(r, 2) + "×", verdict(le(r, 0.8))])
    r = ratio(cpu("http-warm", "gw"), cpu("http-warm", "raw"))
    t_rows.append(["CPU/call ≤ 1.8× raw socket (HTTP)", fmt(r, 2) + "×", verdict(le(r, 1.8))])
    for case in ["http-warm", "https-warm"]:
        s = sys_per_call(case, "gw")
        t_rows.append([f"≤ 3 syscalls per warm call ({case})", fmt(s, 2), verdict(le(s, 3))])
    for case in ["cold-tls12", "cold-tls13"]:
        h, k = resumed(case, "gw")
        t_rows.append([f"every handshake after the first resumed ({case})", f"{k} of {h}", verdict(h > 0 and k == h if h else None)])
        w = ratio(1 / cps(case, "gw"), 1 / cps(case, "libcurl")) if cps(case, "gw") and cps(case, "libcurl") else None
        t_rows.append([f"cold wall/call ≤ libcurl's ({case})", fmt(w, 2) + "×", verdict(le(w, 1.0))])
    for case in ["http-warm", "https-warm"]:
        r = ratio(cps(case, "gw"), cps(case, "libcurl"))
        t_rows.append([f"calls/s ≥ libcurl, one thread ({case})", fmt(r, 2) + "×", verdict(None if r is None else r >= 1)])
    ved = [r for r in inproc if r["case"].startswith("validate+encode+decode")]
    worst = max((r["ns_per_op"] for r in ved), default=None)
    t_rows.append(["validate + encode + decode ≤ 2 µs (worst payload)", fmt(None if worst is None else worst / 1000, 2) + " µs",
                   verdict(le(worst, 2000))])
    for case in ["python-http", "python-https"]:
        r = ratio(cps(case, "gw-python"), cps(case, "requests"))
        t_rows.append([f"gw Python ≥ 5× requests calls/s ({case})", fmt(r, 2) + "×", verdict(None if r is None else r >= 5)])
    if threads:
        tp = {t: cps(f"threads-{t}", "gw") for t in threads}
        cores = machine["cores"]
        grows = all(tp[b] > tp[a] for a, b in zip(threads, threads[1:]) if b <= cores)
        at_cores = max(v for t, v in tp.items() if t <= cores)
        holds = all(v >= 0.9 * at_cores for t, v in tp.items() if t > cores)
        t_rows.append([f"throughput grows up to {cores} threads, then does not fall (≥ 90%)",
                       " / ".join(f"{t}: {fmt(v)}" for t, v in tp.items()), verdict(grows and holds)])
    if rss.get("rss_kb_tenth") is not None:
        # Flat: over the last 90% of the calls the heap grows less than two
        # of glibc's 128 KiB heap steps (< 3 bytes a call over 90,000 calls).
        growth = rss["rss_kb_end"] - rss["rss_kb_tenth"]
        t_rows.append([f"RSS flat over {rss['calls']:,} calls (last 90% grow ≤ 256 KiB)",
                       f"{rss['rss_kb_after_warmup']} → {rss['rss_kb_tenth']} → {rss['rss_kb_end']} KiB",
                       verdict(growth <= 256)])
    md += ["### Targets of issue 14", "", table(["target", "measured", "verdict"], t_rows), ""]

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
    main()
