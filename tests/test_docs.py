"""The documentation and the code agree: links resolve, rule citations exist, tables match the data.

A rule's documentation is only trustworthy if the page it cites for the loader's behaviour is there and has
the section it names; the runtime table a user reads before choosing a profile must say what the profile
holds. Everything here reads files of the checkout; nothing is downloaded.
"""

from __future__ import annotations

import re
import shlex
import unicodedata
from collections.abc import Iterable
from pathlib import Path

import pytest

from abigate.glibc_versions import _GCC_LIBSTDCXX
from abigate.profiles import list_profiles
from abigate.rules import RULES

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]

_FENCE = re.compile(r"^(```|~~~)")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
_LINK = re.compile(r"\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _prose_lines(text: str) -> list[str]:
    """The lines of a Markdown page outside fenced code blocks (links there are not links)."""
    out: list[str] = []
    fenced = False
    for line in text.splitlines():
        if _FENCE.match(line.lstrip()):
            fenced = not fenced
            continue
        if not fenced:
            out.append(line)
    return out


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: rendered text, lower case, punctuation dropped, spaces → '-'."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    text = text.replace("`", "").replace("*", "")
    text = unicodedata.normalize("NFC", text).lower()
    text = "".join(ch for ch in text if ch.isalnum() or ch in " -_")
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every anchor a page defines, numbered as GitHub numbers repeated headings (``x``, ``x-1``, …)."""
    seen: dict[str, int] = {}
    out: set[str] = set()
    for line in _prose_lines(page.read_text(encoding="utf-8")):
        m = _HEADING.match(line)
        if not m:
            continue
        slug = github_slug(m.group(2))
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        out.add(slug if n == 0 else f"{slug}-{n}")
    return out


def relative_links(page: Path) -> list[str]:
    """The targets of the page's Markdown links that point into the repository (not URLs, not mail)."""
    out: list[str] = []
    for line in _prose_lines(page.read_text(encoding="utf-8")):
        for m in _LINK.finditer(_INLINE_CODE.sub("", line)):
            target = m.group(1)
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # http:, https:, mailto:
                continue
            out.append(target)
    return out


def broken(page: Path, target: str) -> str | None:
    """Why ``target`` (as written in ``page``) does not resolve, or None."""
    path_part, _, anchor = target.partition("#")
    dest = (page.parent / path_part).resolve() if path_part else page
    if not dest.exists():
        return f"{target}: no file {dest}"
    if anchor and dest.suffix == ".md" and anchor not in anchors(dest):
        return f"{target}: no heading with anchor #{anchor} in {dest}"
    return None


def test_github_slug_matches_githubs_rules() -> None:
    """The slug function itself: GitHub keeps letters, digits, '-' and '_', drops the rest."""
    assert github_slug("Executable stack") == "executable-stack"
    assert github_slug("C++, Fortran and OpenMP runtimes") == "c-fortran-and-openmp-runtimes"
    assert github_slug("Marker version nodes and DT_RELR") == "marker-version-nodes-and-dt_relr"
    assert github_slug("`abigate check` and the [loader](x.md)") == "abigate-check-and-the-loader"
    assert github_slug("x86-64 ISA level") == "x86-64-isa-level"


def test_broken_detects_missing_files_and_anchors(tmp_path: Path) -> None:
    """The checker can fail: a missing page and a missing heading are both reported."""
    page = tmp_path / "a.md"
    page.write_text("# Top\n\n## Same\n\n## Same\n\n[x](b.md#nope) [y](#same-1) [z](missing.md)\n")
    (tmp_path / "b.md").write_text("# Only heading\n")
    found = {t: broken(page, t) for t in relative_links(page)}
    assert found["#same-1"] is None
    assert found["b.md#nope"] is not None and "no heading" in found["b.md#nope"]
    assert found["missing.md"] is not None and "no file" in found["missing.md"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    problems = [why for t in relative_links(page) if (why := broken(page, t))]
    assert not problems, f"{page.relative_to(ROOT)}: " + "; ".join(problems)


#: a file a docstring or comment cites: ``docs/loader.md#static-tls``, ``loader.md §3``, ``CHANGELOG.md``.
_CITED_FILE = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w.-]+\.md)(#[\w-]+)?")


def cited_files(text: str) -> list[tuple[str, str]]:
    """(path, anchor) of every Markdown file named in ``text``."""
    return [(m.group(1), (m.group(2) or "").lstrip("#")) for m in _CITED_FILE.finditer(text)]


def test_rule_citations_name_files_in_the_repository() -> None:
    """Every ``*.md`` a rule's documentation (or a comment in the rule code) cites exists, with its section.

    Paths are read from the repository root, or from ``docs/`` for a bare page name. ``loader.md §2`` used to
    point at notes outside the repository; this is the test that would have caught it.
    """
    texts = [(f"{r.code} docstring", r.doc) for r in RULES]
    texts += [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8"))
              for p in sorted((ROOT / "src/abigate/rules").glob("*.py"))]
    problems: list[str] = []
    count = 0
    for where, text in texts:
        for path, anchor in cited_files(text):
            count += 1
            dest = next((c for c in (ROOT / path, DOCS / path) if c.is_file()), None)
            if dest is None:
                problems.append(f"{where}: cites {path}, not in the repository")
            elif anchor and anchor not in anchors(dest):
                problems.append(f"{where}: cites {path}#{anchor}, no such heading")
            elif re.search(re.escape(path) + r"\s*§", text):
                problems.append(f"{where}: cites {path} by § number; link the section's anchor instead")
    assert count > 30, "the rule docs are expected to cite the loader pages"
    assert not problems, "\n".join(problems)


def test_every_rule_cites_its_sources() -> None:
    """A rule whose loader behaviour is documented in docs/loader.md links the section explaining it."""
    # ABG1xx–4xx mirror a loader or import check; ABG307 is conda's installer refusing a package, no loader.
    loader_rules = [r for r in RULES if r.code[3] in "1234" and r.code != "ABG307"]
    missing = [r.code for r in loader_rules if "docs/loader.md#" not in r.sections().get("References", "")]
    assert not missing, f"rules without a docs/loader.md section in References: {missing}"


def _table_rows(page: Path, header_prefix: str) -> list[list[str]]:
    """The cells of the Markdown table whose header line starts with ``header_prefix``."""
    lines = page.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_prefix))
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


def _top(versions: Iterable[str], prefix: str) -> str:
    """The highest numeric node with ``prefix`` (``GLIBCXX_3.4.30``), or a dash."""
    nums = [tuple(int(x) for x in v[len(prefix):].split(".")) for v in versions
            if v.startswith(prefix) and v[len(prefix):].replace(".", "").isdigit()]
    return prefix + ".".join(map(str, max(nums))) if nums else "—"


def test_runtime_table_matches_the_builtin_profiles() -> None:
    """docs/runtimes.md's table says what each built-in profile holds, with the profile's own confidence."""
    rows = {r[0].strip("`"): r for r in _table_rows(DOCS / "runtimes.md", "| profile | libc |")}
    profiles = {p.id: p for p in list_profiles()}
    main = {i for i in profiles if not i.endswith(("-arm64", "_aarch64"))}
    assert set(rows) == main, f"table and built-in profiles differ: {sorted(set(rows) ^ main)}"
    for pid, (_, libc, libc_prov, pythons, libstdcxx) in rows.items():
        p = profiles[pid]
        assert libc == f"{p.libc} {'.'.join(map(str, p.libc_version))}", pid
        prov = p.provenance["libc"]
        assert libc_prov == prov.confidence + (": " + ", ".join(prov.sources) if prov.sources else ""), pid
        want = []
        for py in p.pythons:
            v = ".".join(map(str, py.version))
            pv = p.provenance[f"python.{v}"]
            want.append(f"{v} ({pv.confidence}" + (": " + ", ".join(pv.sources) if pv.sources else "") + ")")
        assert pythons == ("; ".join(want) or "—"), pid
        lib = p.libraries.get("libstdc++.so.6")
        assert libstdcxx == (_top(lib.versions, "GLIBCXX_") if lib else "—"), pid


def test_runtime_sources_are_listed() -> None:
    """Every source key the runtime table uses is defined under Sources with the profile's URL."""
    text = (DOCS / "runtimes.md").read_text(encoding="utf-8")
    urls = {s.id: s.url for p in list_profiles() for s in p.sources}
    rows = _table_rows(DOCS / "runtimes.md", "| profile | libc |")
    keys = {k for r in rows for cell in r[2:4] for k in re.findall(r"\b[A-Z][A-Z0-9]*\b", cell)}
    assert keys
    for key in keys:
        assert re.search(rf"^- \*\*{key}\*\* .*\n?\s*{re.escape(urls[key])}", text, re.MULTILINE), key


def test_gcc_table_matches_the_hint_table() -> None:
    """The GCC → libstdc++ table in docs/runtimes.md is the one ABG201's hints use."""
    rows = _table_rows(DOCS / "runtimes.md", "| GCC | GLIBCXX | CXXABI |")
    want = [[f"{a}.{b}", f"3.4.{g}", f"1.3.{c}"] for (a, b), g, c in _GCC_LIBSTDCXX]
    assert rows == want


def _console_command(readme: str, after: str) -> str:
    """The ``$ …`` command of the first console block after the line containing ``after``."""
    tail = readme[readme.index(after):]
    m = re.search(r"```console\n\$ (.+)\n", tail)
    assert m, after
    return m.group(1)


def test_ci_runs_exactly_the_readme_test_command() -> None:
    """.ci/run does what the README tells a newcomer to run, step by step and in order."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    steps = [s.strip() for s in _console_command(readme, "Install and run the test suite").split("&&")]
    ci = [line.strip() for line in (ROOT / ".ci/run").read_text(encoding="utf-8").splitlines()
          if line.strip() and not line.lstrip().startswith("#")]
    positions = []
    for step in steps:
        words = shlex.split(step)
        # .ci/run may add --quiet to pip; every word of the README's step must be there, in a later line
        match = next((i for i, line in enumerate(ci) if all(w in shlex.split(line) for w in words)), None)
        assert match is not None, f".ci/run lacks the README step {step!r}"
        positions.append(match)
    assert positions == sorted(positions), "the steps run in another order than the README's"


def test_quick_start_uses_a_virtual_environment() -> None:
    """The first command works on Debian's system Python (PEP 668): it installs into a venv, not the system."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = _console_command(readme, "## Quick start")
    steps = [s.strip() for s in first.split("&&")]
    assert steps[0].startswith("python3 -m venv "), first
    install = next(s for s in steps if "pip install" in s)
    assert steps.index(install) > 1 and install.startswith("python -m pip"), first
    assert "python3-venv" in readme[readme.index("## Quick start"):readme.index("```console")]
