"""bindings/python/README.md stays the complete reference of gw.Client and the exception tree."""

import inspect
import re
from pathlib import Path

import gw

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def public_methods():
    return [name for name, _ in inspect.getmembers(gw.Client) if not name.startswith("_")]


def test_every_client_argument_has_a_row():
    for name in inspect.signature(gw.Client.__init__).parameters:
        if name != "self":
            assert re.search(rf"^\| `{name}` \|", README, re.M), f"README: no row for Client argument {name!r}"


def plain(function) -> str:
    """A signature as the README writes it: names, defaults and `*`, no annotations."""
    parts, star = [], False
    for p in inspect.signature(function).parameters.values():
        if p.name == "self":
            continue
        if p.kind is p.KEYWORD_ONLY and not star:
            parts.append("*")
            star = True
        parts.append(p.name if p.default is p.empty else f"{p.name}={p.default!r}".replace("'", '"'))
    return "(" + ", ".join(parts) + ")"


def test_the_reference_signatures_are_the_real_ones():
    flat = re.sub(r"\s+", " ", README).replace("( ", "(")
    assert f"gw.Client{plain(gw.Client.__init__)}" in flat, plain(gw.Client.__init__)
    for name in public_methods():
        member = getattr(gw.Client, name)
        entry = f"`{name}{plain(member)}`" if callable(member) else f"`{name}`"
        assert re.search(rf"^\| {re.escape(entry)} \|", README, re.M), f"README: no row {entry}"


def test_every_exception_class_is_in_the_tree():
    tree = README.split("## Exceptions", 1)[1]
    for name in gw.__all__:
        member = getattr(gw, name)
        if isinstance(member, type) and issubclass(member, gw.Error) and member is not gw.Error:
            line = next((l for l in tree.splitlines() if re.search(rf"── {name}\b", l)), None)
            assert line, f"README: {name} is missing from the exception tree"
            # The indentation says the parent: one level deeper than its base class.
            depth = line.index("──") // 4
            base = member.__bases__[0]
            assert depth == (0 if base is gw.Error else 1), f"README: {name} drawn at the wrong level"
