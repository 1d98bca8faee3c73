"""Render scan facts for ``abigate scan``: a JSON-able document and a text report. Pure: no I/O.

The JSON document is ``{"schema": "abigate.scan/2", "abigate_version": …, "artifacts": […]}``; each
artifact carries every field of :class:`abigate.facts.ArtifactFacts` (nested artifacts inside it), plus a few
derived values the facts compute (``max_glibc``, ``exec_stack``, ``x86_isa_level``, ``min_load_alignment``…)
so that a consumer does not have to re-implement them. ``resources/scan.schema.json`` documents it and the
tests validate every document against it. Output is deterministic: the facts are sorted when they are
built and keys are sorted when dumped.

The text report is for people: per artifact a header, then per native file what the loader will ask of the
target, with long symbol lists cut short (the JSON has them all).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Literal

from abigate import __version__
from abigate._jsontext import Lazy, dumps_indented, write_indented
from abigate._records import Record, fields
from abigate.facts import ArtifactFacts, ElfFacts, MachOFacts, NativeFile, PeFacts, VersionNeed
from abigate.reporters import write_lines
from abigate.roles import assign_roles
from abigate.symver import node_key

__all__ = ["SCHEMA_ID", "SYMBOLS_SHOWN", "Verbosity", "has_failures", "render_json", "render_text",
           "to_document", "write_json", "write_text"]

#: the ``schema`` value of the JSON document; bumped only on an incompatible change (/2 added ``sha256``).
SCHEMA_ID = "abigate.scan/2"
#: symbols named per version requirement in the text report (``-v`` names them all).
SYMBOLS_SHOWN = 5

#: ``-q``: only what could not be read, and the summary; ``-v``: every symbol too.
Verbosity = Literal["quiet", "normal", "verbose"]


# -- JSON -----------------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """Records → dicts of their fields, tuples → lists; scalars unchanged."""
    if isinstance(value, Record):
        out = {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
        if isinstance(value, ElfFacts):
            out.update(_elf_derived(value))
        return out
    if isinstance(value, (tuple, list)):
        if all(type(v) is str for v in value):  # symbol and member names: most of a report, copied at C speed
            return list(value)
        return [_plain(v) for v in value]
    return value


def _elf_derived(elf: ElfFacts) -> dict[str, Any]:
    return {
        "exec_stack": elf.exec_stack,
        "x86_isa_needed": elf.x86_isa_needed,
        "x86_isa_level": elf.x86_isa_level,
        "min_load_alignment": elf.min_load_alignment,
        "max_glibc": elf.max_glibc,
        "static_tls": elf.static_tls,
    }


def _artifact(art: ArtifactFacts, lazy: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    roles = assign_roles(art)
    for f in fields(art):
        if f.name == "nested":
            out["nested"] = [_artifact(child, lazy) for child in art.nested]
        elif f.name == "native_files":
            def native(nf: NativeFile) -> dict[str, Any]:
                return {**_plain(nf), "role": roles.get(nf.member)}

            out["native_files"] = (Lazy(art.native_files, native) if lazy
                                   else [native(nf) for nf in art.native_files])
        else:
            out[f.name] = _plain(getattr(art, f.name))
    out["max_glibc"] = art.max_glibc
    return out


def to_document(artifacts: Iterable[ArtifactFacts], *, lazy: bool = False) -> dict[str, Any]:
    """The whole JSON document for *artifacts* (in the order given); *lazy*: each native file's dict is made
    as it is written."""
    return {
        "schema": SCHEMA_ID,
        "abigate_version": __version__,
        "artifacts": [_artifact(a, lazy) for a in artifacts],
    }


def render_json(artifacts: Iterable[ArtifactFacts]) -> str:
    """The JSON document as text: keys sorted, two-space indent, one trailing newline."""
    return dumps_indented(to_document(artifacts)) + "\n"


def write_json(artifacts: Iterable[ArtifactFacts], sink: Callable[[str], object]) -> None:
    """:func:`render_json`'s text handed to *sink* in pieces, each file's facts converted as it is written:
    the facts of 20,000 files are never a document and a text in memory at once."""
    write_indented(to_document(artifacts, lazy=True), sink)
    sink("\n")


def has_failures(artifacts: Iterable[ArtifactFacts]) -> bool:
    """Whether anything could not be read: a :class:`Problem` anywhere, or a native file with an error."""
    for top in artifacts:
        for art in top.walk():
            if art.problems or any(nf.error for nf in art.native_files):
                return True
    return False


# -- text -----------------------------------------------------------------------------------------------


def _size(n: int) -> str:
    """A byte count for people: ``434.2 MB``.

    >>> _size(512), _size(434184800)
    ('512 B', '434.2 MB')
    """
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _symbols(names: Sequence[str], shown: int = SYMBOLS_SHOWN) -> str:
    """``a, b, c and 7 more``.

    >>> _symbols(["a", "b", "c", "d"], shown=2)
    'a, b and 2 more'
    """
    if len(names) <= shown:
        return ", ".join(names)
    return f"{', '.join(names[:shown])} and {len(names) - shown} more"


class _Style:
    """ANSI styling for the text report when colour is on (``--color``); the identity otherwise."""

    def __init__(self, color: bool) -> None:
        self.color = color

    def __call__(self, text: str, **kw: Any) -> str:
        if not self.color:
            return text
        import click  # styling only: the module stays free of the CLI otherwise

        return click.style(text, **kw)


def _requirements(needs: Sequence[VersionNeed], shown: int = SYMBOLS_SHOWN) -> list[str]:
    """Version requirements grouped by library, highest version first, each with what forces it."""
    by_lib: dict[str, list[VersionNeed]] = {}
    for need in needs:
        by_lib.setdefault(need.library, []).append(need)
    lines = []
    for lib in sorted(by_lib):
        lines.append(f"      {lib}:")
        for need in sorted(by_lib[lib], key=lambda n: node_key(n.version), reverse=True):
            weak = " (weak)" if need.weak else ""
            forced = f": {_symbols(need.symbols, shown)}" if need.symbols else ": (no symbol; marker node)"
            lines.append(f"        {need.version}{weak}{forced}")
    return lines


def _isa(elf: ElfFacts) -> str:
    level = elf.x86_isa_level
    if level is None:
        return "not declared"
    return f"x86-64-v{level}" if level > 1 else "x86-64 baseline"


def _elf_lines(elf: ElfFacts, shown: int = SYMBOLS_SHOWN) -> list[str]:
    libc = elf.libc if not elf.libc_evidence else f"{elf.libc} ({'; '.join(elf.libc_evidence)})"
    lines = [f"    ELF{elf.elf_class} {elf.byte_order}-endian {elf.type}, {elf.arch}, libc {libc}"]
    if elf.soname:
        lines.append(f"    soname: {elf.soname}")
    if elf.interpreter:
        lines.append(f"    interpreter: {elf.interpreter}")
    lines.append(f"    needed: {', '.join(elf.needed) if elf.needed else '(none)'}")
    if elf.rpath:
        lines.append(f"    rpath: {':'.join(elf.rpath)}")
    if elf.runpath:
        lines.append(f"    runpath: {':'.join(elf.runpath)}")
    if elf.version_needs:
        lines.append("    version requirements:")
        lines.extend(_requirements(elf.version_needs, shown))
    align = elf.min_load_alignment
    lines.append(
        f"    exec stack: {'yes' if elf.exec_stack else 'no'}"
        f"{'' if elf.gnu_stack_flags is not None else ' (no PT_GNU_STACK)'}; "
        f"ISA level: {_isa(elf)}; "
        f"min PT_LOAD align: {hex(align) if align is not None else 'n/a'}; "
        f"max GLIBC: {elf.max_glibc or 'none'}"
    )
    if elf.python_init_exports:
        lines.append(f"    exports: {_symbols(elf.python_init_exports)}")
    if elf.unversioned_imports and shown > SYMBOLS_SHOWN:
        lines.append(f"    unversioned imports: {', '.join(elf.unversioned_imports)}")
    elif elf.unversioned_imports:
        lines.append(f"    unversioned imports: {len(elf.unversioned_imports)}")
    lines.extend(f"    anomaly: {a}" for a in elf.anomalies)
    return lines


def _macho_lines(macho: MachOFacts) -> list[str]:
    lines = [f"    Mach-O {'fat' if macho.fat else 'thin'}: {', '.join(a.arch for a in macho.arches) or '(no slices)'}"]
    for arch in macho.arches:
        where = f"{arch.platform or 'os'} {arch.min_os}" if arch.min_os else "no minimum OS"
        lines.append(f"    {arch.arch}: {where}; dylibs: {', '.join(arch.dylibs) if arch.dylibs else '(none)'}")
    return lines


def _pe_lines(pe: PeFacts) -> list[str]:
    return [f"    PE {pe.format or 'object'}, {pe.arch}",
            f"    imports: {', '.join(pe.imports) if pe.imports else '(none)'}"]


#: how each role reads in the text report.
_ROLE_TEXT = {
    "extension": "extension module (CPython imports it)",
    "ctypes": "ctypes/cffi library (named like a module, but no PyInit_ and no C-API import)",
    "library": "library (another file of the artifact needs it)",
    "program": "program (run, not loaded)",
    "plugin": "shared object loaded by path (plugin; nothing in the artifact needs it)",
    "object": "not loadable (relocatable object or core file)",
}


def _native_lines(nf: NativeFile, role: str | None = None, *, shown: int = SYMBOLS_SHOWN,
                  style: _Style | None = None) -> list[str]:
    style = style or _Style(False)
    lines = [f"  {style(nf.member, bold=True)}  [{nf.kind}, {_size(nf.size)}]"]
    if role is not None:
        lines.append(f"    role: {_ROLE_TEXT.get(role, role)}")
    if nf.distribution:
        lines.append(f"    distribution: {nf.distribution}")
    if nf.extension is not None:
        ext = nf.extension
        detail: list[str] = [ext.kind]
        if ext.python_version:
            detail.append(f"{ext.python_version[0]}.{ext.python_version[1]}{ext.abi_flags}")
        if ext.platform:
            detail.append(ext.platform)
        lines.append(f"    extension suffix: {ext.suffix} ({', '.join(detail)})")
    if nf.elf is not None:
        lines.extend(_elf_lines(nf.elf, shown))
    if nf.macho is not None:
        lines.extend(_macho_lines(nf.macho))
    if nf.pe is not None:
        lines.extend(_pe_lines(nf.pe))
    if nf.error:
        lines.append(f"    {style('error', fg='red', bold=True)}: {nf.error}")
    return lines


def _problem_line(problem: Any, style: _Style) -> str:
    return f"  {style('problem', fg='red', bold=True)} [{problem.kind}] {problem.path}: {problem.message}"


def _quiet_lines(art: ArtifactFacts, style: _Style) -> list[str]:
    """``-q``: the artifact's name with what could not be read in it, or nothing when all was read."""
    errors = [nf for nf in art.native_files if nf.error]
    if not art.problems and not errors:
        return []
    lines = [style(art.path, bold=True)]
    lines.extend(_problem_line(problem, style) for problem in art.problems)
    lines.extend(f"  {nf.member}: {style('error', fg='red', bold=True)}: {nf.error}" for nf in errors)
    return lines


def _artifact_lines(art: ArtifactFacts, *, shown: int = SYMBOLS_SHOWN,
                    style: _Style | None = None) -> Iterator[str]:
    """The artifact's block, line by line (20,000 native files make one block of 600,000 lines)."""
    style = style or _Style(False)
    lines = [
        style(art.path, bold=True),
        f"  read as {art.read_as or art.kind}, {_plural(art.member_count, 'member')}, {_size(art.total_size)} uncompressed, "
        f"{_plural(len(art.native_files), 'native file')}"
        + (f", {_plural(len(art.nested), 'nested archive')}" if art.nested else ""),
    ]
    if art.wheel is not None:
        w = art.wheel
        lines.append(f"  wheel: {w.name} {w.version}{f' build {w.build}' if w.build else ''}; "
                     f"filename tags: {', '.join(w.filename_tags)}")
        purelib = "" if w.root_is_purelib is None else f"; Root-Is-Purelib: {str(w.root_is_purelib).lower()}"
        lines.append(f"  WHEEL tags: {', '.join(w.metadata_tags) if w.metadata_tags else '(none)'}{purelib}")
    if art.conda is not None:
        c = art.conda
        lines.append(f"  conda: {c.name} {c.version} build {c.build or '(none)'}; subdir {c.subdir or '(none)'}; "
                     f"depends: {', '.join(c.depends) if c.depends else '(none)'}")
    lines.extend(f"  note: {note}" for note in art.notes)
    for dist in art.distributions:
        record = "no RECORD" if dist.record is None else f"{_plural(len(dist.record), 'file')} in RECORD"
        tags = f"; tags {', '.join(dist.wheel_tags)}" if dist.wheel_tags else ""
        lines.append(f"  distribution: {dist.key} at {dist.dist_info} (root {dist.root or '/'}; {record}{tags})")
    lines.append(f"  max GLIBC: {art.max_glibc or 'none'}" + (" (nested archives included)" if art.nested else ""))
    yield from lines
    for link in art.links:
        where = link.resolved if link.resolved is not None else "outside the artifact"
        yield f"  link: {link.member} -> {link.target} ({where})"
    for problem in art.problems:
        yield _problem_line(problem, style)
    roles = assign_roles(art)
    for nf in art.native_files:
        yield ""
        yield from _native_lines(nf, roles.get(nf.member), shown=shown, style=style)


def render_text(artifacts: Iterable[ArtifactFacts], *, color: bool = False,
                verbosity: Verbosity = "normal") -> str:
    """The text report: one block per artifact (nested ones after their parent), blank lines between.

    *verbosity* ``quiet`` keeps only the artifacts with something unreadable (and the summary), for a CI
    log; ``verbose`` names every symbol and unversioned import instead of the first few.
    """
    return "\n".join(_text_lines(artifacts, color, verbosity)) + "\n"


def write_text(artifacts: Iterable[ArtifactFacts], sink: Callable[[str], object], *, color: bool = False,
               verbosity: Verbosity = "normal") -> None:
    """:func:`render_text`'s text handed to *sink* a few thousand lines at a time (``scan -v`` of 20,000
    files is some 90 MB of text, never whole in memory)."""
    write_lines(_text_lines(artifacts, color, verbosity), sink)


def _text_lines(artifacts: Iterable[ArtifactFacts], color: bool, verbosity: Verbosity) -> Iterator[str]:
    """The report's lines: each artifact's block and a blank line, then the summary."""
    style = _Style(color)
    shown = 1 << 30 if verbosity == "verbose" else SYMBOLS_SHOWN
    count = 0
    failures = 0
    for top in artifacts:
        for art in top.walk():
            count += 1
            failures += len(art.problems) + sum(1 for nf in art.native_files if nf.error)
            lines = _quiet_lines(art, style) if verbosity == "quiet" else _artifact_lines(art, shown=shown,
                                                                                            style=style)
            empty = True
            for line in lines:
                empty = False
                yield line
            if not empty:
                yield ""
    yield (f"{_plural(count, 'artifact')} scanned; "
           + (style("everything was read", fg="green") if not failures
              else style(f"{_plural(failures, 'problem')} reading them", fg="red", bold=True)))
