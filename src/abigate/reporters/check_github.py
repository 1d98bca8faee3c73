"""``abigate check --format github``: GitHub Actions workflow commands, one per finding. Pure: returns a string.

Each finding becomes one ``::error``/``::warning``/``::notice`` line (by severity) that the Actions runner turns
into an annotation on the run and, when the file is in the pull request, on the file::

    ::error file=dist/pkg.whl,title=ABG201 missing-symbol-version::needs GLIBC_2.34 … (member pkg/_x.so)%0A…

``file`` is the outermost path on disk: the wheel or zip for anything inside one, the file itself for a member
of a scanned folder. The rest of the display path (``pkg/_x.so``, or ``inner.whl!pkg/_x.so`` when nested) is
named in the message. Details, the predicted loader error and the fix follow on further lines of the same
annotation (newlines escaped, so each finding is still one command line). Run notes and the summary come
last, as ``::notice`` lines. The order is the report's, as in the text and JSON formats.

Escaping follows the Actions toolkit (``@actions/core``, ``command.ts``): in the message ``%``, ``\\r`` and
``\\n`` become ``%25``, ``%0D`` and ``%0A``; in property values ``:`` and ``,`` also become ``%3A`` and ``%2C``.
"""

from __future__ import annotations

from abigate.findings import Finding, Report
from abigate.reporters.check_text import Verbosity, summary_line
from abigate.rules._base import Severity

__all__ = ["escape_data", "escape_property", "render_github"]

#: workflow command per severity: GitHub has error, warning and notice annotations.
_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a command's message: ``%``, CR and LF.

    >>> escape_data("50% done\\nnext")
    '50%25 done%0Anext'
    """
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a property value (``file=``, ``title=``): the message escapes plus ``:`` and ``,``.

    >>> escape_property("a,b:c")
    'a%2Cb%3Ac'
    """
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(name: str, message: str, **properties: str) -> str:
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items())
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def _location(f: Finding) -> tuple[str, str]:
    """(file on disk, the rest of the display path): ``a.zip!w.whl!x.so`` → ``("a.zip", "w.whl!x.so")``."""
    outer, _, inner = f.path.partition("!")
    return outer, inner


def _message(f: Finding, multi: bool, verbosity: Verbosity) -> str:
    inner = _location(f)[1]
    head = f.message + (f" (member {inner})" if inner else "")
    if multi:
        head += f" [{f.profile}]"
    lines = [head, *f.details]
    if verbosity == "verbose" and f.symbols:
        lines.append(f"symbols: {', '.join(f.symbols)}")
    if f.loader_message:
        lines.append(f"loader: {f.loader_message}")
    lines.append(f"fix: {f.hint}")
    if f.waived is not None:
        lines.append(f"waived: {f.waived}")
    return "\n".join(lines)


def _visible(f: Finding, verbosity: Verbosity) -> bool:
    if f.waived is not None:
        return verbosity == "verbose"
    return f.severity is Severity.ERROR or verbosity != "quiet"


def render_github(report: Report, *, verbosity: Verbosity = "normal") -> str:
    """The report as workflow commands, ending in a newline.

    ``quiet`` annotates errors only; ``verbose`` adds waived findings (as notices, with the waiver's reason)
    and every symbol. The summary notice is always there.
    """
    multi = len(report.profiles) > 1
    lines: list[str] = []
    for res in report.artifacts:
        for f in res.findings:
            if not _visible(f, verbosity):
                continue
            # An accepted finding is information, whatever the rule's severity.
            name = "notice" if f.waived is not None else _COMMAND[f.severity]
            lines.append(_command(name, _message(f, multi, verbosity), file=_location(f)[0],
                                  title=f"{f.code} {f.slug}"))
    lines.extend(_command("notice", note, title="abigate note") for note in report.notes)
    lines.append(_command("notice", summary_line(report), title="abigate summary"))
    return "\n".join(lines) + "\n"
