#!/usr/bin/env python3
"""Man pages and their HTML rendering, generated from the sources, so that a
function added to the header gets its page with no one writing it:

    man_pages.py OUTDIR

writes
    OUTDIR/man3/gw.3          the API: the header's conventions (its opening
                              comment), the handles, every status with its
                              number and meaning, the constants, the functions
    OUTDIR/man3/gw_*.3        one page per function of include/gw.h: its
                              prototype and its comment from the header
    OUTDIR/man1/gw-sim.1      gw-sim's usage (sim/src/cli.rs) and faults
                              (sim/src/faults.rs)
    OUTDIR/html/*.html        the same pages as HTML, with index.html

Everything is read from include/gw.h (cbindgen's output, whose comments are
the Rust doc comments of src/ffi/), sim/src/cli.rs, sim/src/faults.rs and
Cargo.toml; the date is SOURCE_DATE_EPOCH's (the commit's), so the pages are
reproducible. scripts/dist.sh ships them in every artifact; `man -l
OUTDIR/man3/gw.3` reads one.
"""

from __future__ import annotations

import html
import os
import re
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def read(relative: str) -> str:
    with open(os.path.join(ROOT, relative), encoding="utf-8") as file:
        return file.read()


def version() -> str:
    return re.search(r'^version = "(.*)"', read("Cargo.toml"), re.M).group(1)


def date() -> str:
    epoch = int(os.environ.get("SOURCE_DATE_EPOCH", "0") or 0)
    return time.strftime("%Y-%m-%d", time.gmtime(epoch))


# ---------------------------------------------------------------------------
# The header: its opening comment, then (doc comment, item) pairs.


def comment_text(comment: str) -> str:
    """The text of a /* */ or /** */ comment, without the stars."""
    body = comment.strip()
    body = re.sub(r"^/\*+", "", body)
    body = re.sub(r"\*/$", "", body)
    lines = []
    for line in body.split("\n"):
        line = re.sub(r"^\s*\* ?", "", line, count=1) if re.match(r"^\s*\*", line) else line.strip()
        lines.append(line.rstrip())
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


def parse_header(text: str):
    opening = comment_text(re.match(r"\s*(/\*.*?\*/)", text, re.S).group(1))
    items = []  # (kind, name, doc, code)
    for match in re.finditer(r"/\*\*(.*?)\*/\s*\n(.*?)(?=\n\s*\n|\n/\*)", text, re.S):
        doc = comment_text("/**" + match.group(1) + "*/")
        code = match.group(2).strip()
        if code.startswith("#define "):
            parts = code.split()
            items.append(("define", parts[1], doc, code))
        elif code.startswith("typedef struct"):
            items.append(("handle", code.split()[-1].rstrip(";"), doc, code))
        elif code.startswith("typedef"):
            name = re.search(r"(\w+)\s*;\s*$|\(\s*\*\s*(\w+)\)", code)
            items.append(("type", name.group(1) or name.group(2), doc, code))
        elif code.startswith("GW_API GW_CALL"):
            prototype = code[len("GW_API GW_CALL"):].strip()
            name = re.search(r"(gw_\w+)\s*\(", prototype).group(1)
            items.append(("function", name, doc, prototype))
    return opening, items


def summary(doc: str) -> str:
    """The first sentence of a comment, for NAME lines and indexes."""
    first = doc.split("\n\n")[0].replace("\n", " ")
    sentence = re.split(r"(?<!e\.g\.)(?<!i\.e\.)(?<!\.\.)(?<=[.?])\s+(?=[A-Z`])", first, maxsplit=1)[0]
    sentence = re.sub(r"\s*\([^()]*\)", "", sentence)
    if len(sentence) > 90:
        head, colon, rest = sentence.partition(": ")
        sentence = sentence if re.fullmatch(r"[A-Z_]+", head) else re.split(r"[:;]\s", sentence, maxsplit=1)[0]
    sentence = sentence.rstrip(".:;, ")
    return sentence[:1].lower() + sentence[1:] if sentence[1:2] in (" ",) or sentence[1:2].islower() else sentence


def family(name: str) -> str:
    for prefix in ("gw_config_", "gw_client_", "gw_request_", "gw_response_", "gw_last_error", "gw_status_"):
        if name.startswith(prefix):
            return prefix
    return name


# ---------------------------------------------------------------------------
# Rendering: a page is a title, a NAME line and sections of blocks; a block is
# ("p", text), ("pre", text), ("list", [text]) or ("table", [[cells]]).


def blocks(doc: str) -> list:
    """A comment's paragraphs: markdown-ish lists ("- " items, their lines
    indented by two), headings ("# "), and indented lines kept as they are."""
    out = []
    for para in re.split(r"\n\s*\n", doc):
        if not para.strip():
            continue
        text, items, pre = [], [], []
        for line in para.split("\n"):
            if line.startswith("# ") and not text and not items:
                out.append(("h", line[2:].strip()))
            elif line.startswith("- "):
                items.append(line[2:].strip())
            elif items and line.startswith("    "):
                items[-1] += "\n" + line.strip()
            elif items and line.startswith("  "):
                items[-1] += " " + line.strip()
            elif line.startswith("  ") and not text:
                pre.append(line[2:])
            else:
                text.append(line.strip())
        if pre:
            out.append(("pre", "\n".join(pre)))
        if text:
            out.append(("p", " ".join(text)))
        if items:
            out.append(("list", items))
    return out


def roff_escape(text: str) -> str:
    text = text.replace("\\", "\\e").replace("-", "\\-")
    # groff reads ASCII: anything else by its code point.
    text = "".join(c if ord(c) < 128 else f"\\[u{ord(c):04X}]" for c in text)
    text = re.sub(r"`([^`]+)`", lambda m: "\\fB" + m.group(1) + "\\fR", text)
    return text


def roff_line(text: str) -> str:
    text = roff_escape(text)
    return "\\&" + text if text.startswith((".", "'")) else text


def render_roff(page) -> str:
    title, section, name_line, sections = page
    out = [f'.TH "{title.upper()}" "{section}" "{date()}" "gw {version()}" "gw manual"', ".SH NAME",
           roff_line(name_line)]
    for heading, content in sections:
        out.append(f".SH {heading}")
        for kind, value in content:
            if kind == "p":
                out += [".PP", roff_line(value)]
            elif kind == "h":
                out += [f".SS {roff_escape(value)}"]
            elif kind == "pre":
                out += [".PP", ".nf", ".RS 4", *(roff_line(line) if line else "" for line in value.split("\n")),
                        ".RE", ".fi"]
            elif kind == "list":
                for item in value:
                    first, *rest = item.split("\n")
                    out += [".IP \\(bu 2", roff_line(first)]
                    if rest:
                        out += [".nf", *(roff_line(line) for line in rest), ".fi"]
            elif kind == "table":
                for row in value:
                    out += [".TP", "\\fB" + roff_escape("  ".join(row[:-1])) + "\\fR", roff_line(row[-1])]
            elif kind == "refs":
                out += [".PP", ",\n".join(f".BR {ref} ({sec})" for ref, sec in value)]
    return "\n".join(out) + "\n"


def html_inline(text: str, names: set) -> str:
    text = html.escape(text, quote=False)
    text = re.sub(r"`([^`]+)`", lambda m: "<code>" + m.group(1) + "</code>", text)
    return re.sub(r"\b(gw_[a-z0-9_]+)\b(?=\(|</code>|\s|,|\.|\)|$)",
                  lambda m: f'<a href="{m.group(1)}.3.html">{m.group(1)}</a>' if m.group(1) in names else m.group(1),
                  text)


def render_html(page, names: set) -> str:
    title, section, name_line, sections = page
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{html.escape(title)}({section}): gw {version()}</title>",
           "<style>body{max-width:50em;margin:2em auto;font-family:sans-serif;line-height:1.4}"
           "pre{background:#f4f4f4;padding:.5em;overflow-x:auto}td{vertical-align:top;padding:.2em .5em}</style>",
           "</head><body>", f'<p><a href="index.html">gw {version()} reference</a></p>',
           f"<h1>{html.escape(title)}({section})</h1>", "<h2>NAME</h2>", f"<p>{html_inline(name_line, names)}</p>"]
    for heading, content in sections:
        out.append(f"<h2>{html.escape(heading)}</h2>")
        for kind, value in content:
            if kind == "p":
                out.append(f"<p>{html_inline(value, names)}</p>")
            elif kind == "h":
                out.append(f"<h3>{html.escape(value)}</h3>")
            elif kind == "pre":
                out.append(f"<pre>{html_inline(value, names)}</pre>")
            elif kind == "list":
                out.append("<ul>" + "".join(f"<li>{html_inline(item, names)}</li>" for item in value) + "</ul>")
            elif kind == "table":
                out.append("<table>" + "".join(
                    "<tr>" + "".join(f"<td>{html_inline(cell, names)}</td>" for cell in row) + "</tr>"
                    for row in value) + "</table>")
            elif kind == "refs":
                out.append("<p>" + ", ".join(
                    f'<a href="{ref}.{sec}.html">{ref}({sec})</a>' for ref, sec in value) + "</p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------------------
# The pages.


def api_pages(header: str) -> list:
    opening, items = parse_header(header)
    functions = [item for item in items if item[0] == "function"]
    statuses = [(code.split()[2], name, doc) for kind, name, doc, code in items
                if kind == "define" and re.match(r"GW_(OK|ERR_|DECLINED|PENDING|UNKNOWN|GATEWAY_)", name)]
    constants = [(name, code.split()[2], doc) for kind, name, doc, code in items
                 if kind == "define" and name not in {s[1] for s in statuses}]
    handles = [(name, doc) for kind, name, doc, _ in items if kind in ("handle", "type")]
    intro = opening.split("\n\n")
    main = [
        ("SYNOPSIS", [("pre", "#include <gw.h>\n\ncc till.c $(pkg-config --cflags --libs gw)")]),
        ("DESCRIPTION", [b for para in intro for b in blocks(para)]),
        ("HANDLES AND TYPES", [b for name, doc in handles for b in [("h", name), *blocks(doc)]]),
        ("STATUS CODES", [("p", "Every fallible call returns one of these (gw_status, a uint32_t); numbers are "
                                "never reused. gw_status_str(3) describes one, gw_status_name(3) names it."),
                          ("table", [[number, name, " ".join(doc.split())] for number, name, doc in statuses])]),
        ("CONSTANTS", [("table", [[name, value, " ".join(doc.split())] for name, value, doc in constants])]),
        ("FUNCTIONS", [("table", [[name, summary(doc)] for _, name, doc, _ in functions])]),
        ("FILES", [("p", "The README, CHANGELOG, the guides (docs/), the C examples with their Makefile "
                         "(examples-c/) and the third-party licences travel with every release file: "
                         "share/doc/gw/ in the Linux tarball, /usr/share/doc/libgw-dev/ from the .deb, "
                         "doc/ in the Windows zips.")]),
        ("SEE ALSO", [("refs", [("gw-sim", 1)] + [(name, 3) for _, name, _, _ in functions])]),
    ]
    pages = [("gw", 3, "gw - Mastercard Gateway (MPGS) NVP API client library for point-of-sale software", main)]
    for _, name, doc, prototype in functions:
        related = [other for _, other, _, _ in functions if other != name and family(other) == family(name)]
        pages.append((name, 3, f"{name} - {summary(doc)}", [
            ("SYNOPSIS", [("pre", "#include <gw.h>\n\n" + prototype)]),
            ("DESCRIPTION", blocks(doc)),
            ("SEE ALSO", [("refs", [("gw", 3)] + [(other, 3) for other in related])]),
        ]))
    return pages


def sim_page() -> tuple:
    cli = read("sim/src/cli.rs")
    usage = re.search(r'const USAGE: &str = "\\\n(.*?)";', cli, re.S).group(1).replace('\\"', '"')
    faults = re.findall(r'^\s*"([a-z0-9-]+)",', re.search(r"pub const NAMES: &\[&str\] = &\[(.*?)\];",
                                                            read("sim/src/faults.rs"), re.S).group(1), re.M)
    head, _, rest = usage.partition("USAGE:\n")
    synopsis, _, defaults = rest.partition("\nDefaults:")
    commands = []
    for part in re.split(r"\n(?=  gw-sim )", synopsis.strip("\n")):
        lines = part.split("\n")
        # Synopsis lines: the command's, and those going on with "[".
        syn = [line.strip() for line in lines if not line.startswith("      ") or line.strip().startswith("[")]
        text = " ".join(line.strip() for line in lines
                        if line.startswith("      ") and not line.strip().startswith("["))
        commands.append(("pre", "\n".join(syn)))
        if text:
            commands.append(("p", text))
    return ("gw-sim", 1, "gw-sim - " + " ".join(head.split(":", 1)[1].split()), [
        ("SYNOPSIS", [("pre", "gw-sim serve --merchant ID --password PW [options]\ngw-sim terminal --pan PAN [options]\n"
                              "gw-sim dukpt encrypt|decrypt --ksn KSN [options] HEX\ngw-sim help\ngw-sim --version")]),
        ("DESCRIPTION", [("p", "gw-sim answers like the Mastercard Gateway's NVP API on the local machine, "
                               "decrypts DUKPT payloads and injects faults, so till software using gw can be tried "
                               "and tested with no credentials and no network. `gw-sim COMMAND --help` prints one "
                               "command's usage.")]),
        ("COMMANDS", commands),
        ("DEFAULTS", [("p", " ".join(defaults.split()))]),
        ("FAULTS", [("p", "--fault NAME[,ms=N] on serve, or per request correlationId=gw-sim:fault=NAME[,ms=N]:"),
                    ("list", faults)]),
        ("SEE ALSO", [("refs", [("gw", 3)])]),
    ])


def main(argv: list) -> None:
    if len(argv) != 1:
        sys.exit(__doc__)
    out = argv[0]
    pages = api_pages(read("include/gw.h")) + [sim_page()]
    names = {page[0] for page in pages}
    for sub in ("man1", "man3", "html"):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    index = []
    for page in pages:
        title, section = page[0], page[1]
        with open(os.path.join(out, f"man{section}", f"{title}.{section}"), "w", encoding="utf-8") as file:
            file.write(render_roff(page))
        with open(os.path.join(out, "html", f"{title}.{section}.html"), "w", encoding="utf-8") as file:
            file.write(render_html(page, names))
        index.append(["`" + title + f"({section})`", page[2].split(" - ", 1)[1]])
    index_page = ("index", 7, f"gw {version()} reference: the manual pages", [
        ("PAGES", [("table", index)])])
    with open(os.path.join(out, "html", "index.html"), "w", encoding="utf-8") as file:
        file.write(render_html(index_page, names).replace('href="index.7.html"', 'href="index.html"'))
    print(f"{len(pages)} pages in {out}/man1, man3 and html")


if __name__ == "__main__":
    main(sys.argv[1:])
