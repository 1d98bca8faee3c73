#!/usr/bin/env python3
"""Generate ``src/abigate/profiles/_index.py``: the facts about every built-in profile in one Python literal.

Some questions need every built-in profile at once: the "satisfied by: …" hint of a version finding names
the built-ins that provide the missing nodes, and ``abigate profile list`` prints a row for each. Parsing,
validating and resolving the 66 TOML files (88 documents with their ``extends``) for that took about 0.3 s
of such a run; the index answers from one module whose compiled form Python caches like any other.

It holds, per profile: id, title, kind, architecture, C library and its version, the Pythons' versions, and
per library the soname, version nodes, whether they are exact, and the other file names it loads under.
Version-node sets are written once and referred to by number (104 distinct sets for 1,470 libraries).

Run ``python scripts/gen_profile_index.py`` after changing a profile (``scripts/gen_profiles.py`` runs it
too); ``--check`` exits 1 when the committed file differs, and ``tests/test_profile_index.py`` checks the
same.
"""

from __future__ import annotations

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "src"))

from abigate.profile import Profile  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "src", "abigate", "profiles",
                   "_index.py")

HEADER = '''\
"""Facts about every built-in profile, for what needs all of them at once (generated: do not edit).

The "satisfied by: …" hints and ``abigate profile list`` read this instead of parsing every TOML file; see
``abigate.profiles.builtin_summaries``. Written by ``scripts/gen_profile_index.py`` from the profiles next
to this module; ``tests/test_profile_index.py`` checks that regenerating it gives the same bytes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Literal, TypeAlias

    Row: TypeAlias = tuple[
        str, str, Literal["runtime", "os", "policy", "captured"], str, Literal["glibc", "musl"], tuple[int, ...],
        tuple[tuple[int, int, bool], ...], tuple[tuple[str, int, bool, tuple[str, ...]], ...],
    ]

'''


def _wrapped(nodes: tuple[str, ...]) -> str:
    """One tuple of strings as source, broken into lines of at most 110 columns."""
    if len(nodes) < 2:
        return f"    {nodes!r},\n"
    lines, line = [], "    ("
    for node in nodes:
        item = f"{node!r}, "
        if len(line) + len(item) > 110:
            lines.append(line.rstrip())
            line = "     "
        line += item
    lines.append(line.rstrip().rstrip(",") + "),")
    return "\n".join(lines) + "\n"


def render(profiles: list[Profile]) -> str:
    """The module text for *profiles* (fully resolved, sorted by id); deterministic."""
    sets: dict[tuple[str, ...], int] = {}
    rows: list[str] = []
    for p in profiles:
        libs = []
        for soname in sorted(p.libraries):
            lib = p.libraries[soname]
            nodes = tuple(sorted(lib.versions))
            number = sets.setdefault(nodes, len(sets))
            libs.append(f"        ({soname!r}, {number}, {lib.exact!r}, {tuple(sorted(lib.files))!r}),\n")
        pythons = tuple((py.version[0], py.version[1], py.free_threaded) for py in p.pythons)
        rows.append(f"    ({p.id!r}, {p.title!r},\n"
                    f"     {p.kind!r}, {p.arch!r}, {p.libc!r}, {p.libc_version!r}, {pythons!r}, (\n"
                    + "".join(libs) + "    )),\n")
    out = [HEADER]
    out.append("#: version-node sets (each sorted), referred to by number from the libraries below.\n")
    out.append("VERSION_SETS: tuple[tuple[str, ...], ...] = (\n")
    out.extend(_wrapped(nodes) for nodes in sets)
    out.append(")\n\n")
    out.append("#: one row per built-in profile, sorted by id: (id, title, kind, arch, libc, libc version,\n")
    out.append("#: Pythons as (major, minor, free-threaded), libraries as (soname, version set, exact,\n")
    out.append("#: files)).\n")
    out.append("PROFILES: tuple[Row, ...] = (\n")
    out.extend(rows)
    out.append(")\n")
    return "".join(out)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file differs")
    args = parser.parse_args(argv)
    from abigate.profiles import list_profiles

    text = render(list_profiles())
    old = None
    if os.path.exists(OUT):
        with open(OUT, encoding="utf-8") as fh:
            old = fh.read()
    if args.check:
        if old != text:
            print(f"out of date: {os.path.relpath(OUT)} (run scripts/gen_profile_index.py)")
            return 1
        return 0
    if old != text:
        with open(OUT, "w", encoding="utf-8") as fh:
            fh.write(text)
    print(f"{os.path.relpath(OUT)}: {len(text)} bytes, {'written' if old != text else 'unchanged'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
