"""``[tool.abigate]`` in ``pyproject.toml``: default profiles, rule selection, severities and waivers.

Found by walking up from the working directory to the first ``pyproject.toml`` that has a ``[tool.abigate]``
table (``--config FILE`` names one, ``--no-config`` skips it). Command-line options override it. Unknown keys
are errors, and every mistake is reported at once (exit 2)::

    [tool.abigate]
    profiles = ["aws-lambda-python3.12-arm64"]   # or profile = "…"
    artifacts = ["dist/*.whl"]                   # what `abigate check` with no argument checks
    python = "3.12"
    select = ["ABG"]                             # codes, prefixes or slugs
    ignore = ["ABG5"]
    fail-on = "error"                            # or "warning"
    severity = { ABG110 = "error" }

    [[tool.abigate.waivers]]
    code = "ABG201"
    path = "torch/lib/libfoo.so*"                # path glob: * within a folder, ** across folders
    reason = "loaded only on the GPU image"       # required
    expires = 2026-12-31                         # optional; expired waivers stop applying and say so

Every key, with its type, default and meaning, is described in ``docs/configuration.md``
(``tests/test_configuration_doc.py`` keeps that page and ``_KEYS`` / ``_WAIVER_KEYS`` in step).

Reading the file is the only I/O here; :func:`parse_config` is pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Any

from abigate._records import Record, field
from abigate.errors import ConfigError
from abigate.evaluate import Waiver
from abigate.inputfile import MAX_CONFIG_BYTES, MAX_WAIVERS, InputRefused, bounded_lines, load_toml_file
from abigate.pathglob import compile_glob
from abigate.rules import Severity, UnknownRuleError, resolve_selector

__all__ = ["Config", "find_config", "load_config", "parse_config"]

_KEYS = frozenset({"artifacts", "profile", "profiles", "python", "select", "ignore", "fail-on", "severity",
                   "waivers"})
_WAIVER_KEYS = frozenset({"code", "path", "reason", "expires", "profile"})


class Config(Record):
    """The ``[tool.abigate]`` settings; ``None``/empty means "not set" (the command line or defaults decide)."""

    profiles: tuple[str, ...] = ()
    python: str | None = None
    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    fail_on: Severity | None = None
    severity: Mapping[str, Severity] = field(default_factory=lambda: MappingProxyType({}))
    waivers: tuple[Waiver, ...] = ()
    #: the file it came from (``None`` when no configuration was used).
    source: str | None = None
    #: path globs of what ``abigate check`` checks when given no argument, relative to the file's folder.
    artifacts: tuple[str, ...] = ()


def _strings(value: Any, key: str, problems: list[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    problems.append(f"{key}: expected a string or a list of strings, got {type(value).__name__}")
    return ()


def _selectors(value: Any, key: str, problems: list[str]) -> tuple[str, ...]:
    out = []
    for item in _strings(value, key, problems):
        try:
            out.append(resolve_selector(item))
        except UnknownRuleError as exc:
            problems.append(f"{key}: {exc}")
    return tuple(out)


def _waiver(index: int, raw: Any, problems: list[str]) -> Waiver | None:
    where = f"waivers[{index}]"
    if not isinstance(raw, dict):
        problems.append(f'{where}: expected a table like {{code = "ABG201", reason = "…"}}')
        return None
    for key in sorted(set(raw) - _WAIVER_KEYS):
        problems.append(f"{where}: unknown key {key!r} (allowed: {', '.join(sorted(_WAIVER_KEYS))})")
    code, reason, path = raw.get("code"), raw.get("reason"), raw.get("path", "*")
    ok = True
    if not isinstance(code, str):
        problems.append(f"{where}: 'code' is required (a rule code, prefix or slug)")
        ok = False
    else:
        try:
            resolve_selector(code)
        except UnknownRuleError as exc:
            problems.append(f"{where}: {exc}")
            ok = False
    if not isinstance(reason, str) or not reason.strip():
        problems.append(f"{where}: 'reason' is required: say why this finding is accepted")
        ok = False
    if not isinstance(path, str) or not path:
        problems.append(f"{where}: 'path' must be a non-empty glob")
        ok = False
    else:
        try:
            compile_glob(path)
        except ValueError as exc:
            problems.append(f"{where}: path {exc}")
            ok = False
    expires = raw.get("expires")
    if isinstance(expires, str):
        try:
            expires = date.fromisoformat(expires)
        except ValueError:
            problems.append(f"{where}: 'expires' must be a date like 2026-12-31, got {expires!r}")
            ok = False
    elif expires is not None and (not isinstance(expires, date) or hasattr(expires, "hour")):
        problems.append(f"{where}: 'expires' must be a date like 2026-12-31")
        ok = False
    profile = raw.get("profile")
    if profile is not None and not isinstance(profile, str):
        problems.append(f"{where}: 'profile' must be a profile id")
        ok = False
    elif profile is not None:
        profile = _canonical_profile_id(profile)
    if not ok or not isinstance(code, str) or not isinstance(reason, str) or not isinstance(path, str):
        return None
    return Waiver(
        code=code,
        path=path,
        reason=reason.strip(),
        expires=expires if isinstance(expires, date) else None,
        profile=profile,
    )


def _canonical_profile_id(name: str) -> str:
    """The built-in id *name* stands for (``aws-lambda-python3.11`` → ``…-x86_64``), else *name* itself.

    Findings carry the id of the profile that was loaded, and ``-p`` accepts the same short spellings: a
    waiver written with one must not silently match nothing.
    """
    from abigate.profiles._resolve import _alias, builtin_ids, looks_like_path

    if looks_like_path(name):
        return name
    return _alias(name, builtin_ids()) or name


def parse_config(table: Mapping[str, Any], source: str | None = None) -> Config:
    """Validate a ``[tool.abigate]`` table. Raises :class:`ConfigError` listing every problem."""
    problems: list[str] = []
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        # Named a few at a time: a table of 30,000 stray keys must not become 30,000 lines.
        shown = ", ".join(repr(k) for k in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        problems.append(f"unknown key{'s' if len(unknown) > 1 else ''} {shown}{more} "
                        f"(allowed: {', '.join(sorted(_KEYS))})")
    if "profile" in table and "profiles" in table:
        problems.append("use either 'profile' or 'profiles', not both")
    profiles = _strings(table.get("profiles", table.get("profile", [])), "profiles", problems)
    artifacts = _strings(table.get("artifacts", []), "artifacts", problems)
    if any(not a.strip() for a in artifacts):
        problems.append("artifacts: a glob must not be empty")
    python = table.get("python")
    if python is not None and (not isinstance(python, str) or len(python) > 16):
        problems.append('python: expected a version string such as "3.12"')
        python = None
    select = _selectors(table["select"], "select", problems) if "select" in table else None
    ignore = _selectors(table.get("ignore", []), "ignore", problems)
    fail_on = None
    if "fail-on" in table:
        raw = table["fail-on"]
        if raw not in ("error", "warning"):
            problems.append(f'fail-on: expected "error" or "warning", got {raw!r}')
        else:
            fail_on = Severity(raw)
    severity: dict[str, Severity] = {}
    raw_sev = table.get("severity", {})
    if not isinstance(raw_sev, dict):
        problems.append('severity: expected a table of code = "error" | "warning" | "info"')
    else:
        from abigate.rules import by_code

        for code, value in raw_sev.items():
            try:
                rule = by_code(code)
                severity[rule.code] = Severity.parse(str(value))
            except ValueError as exc:
                problems.append(f"severity.{code}: {exc}")
    raw_waivers = table.get("waivers", [])
    waivers: list[Waiver] = []
    if not isinstance(raw_waivers, list):
        problems.append("waivers: expected an array of tables ([[tool.abigate.waivers]])")
    elif len(raw_waivers) > MAX_WAIVERS:
        problems.append(f"waivers: {len(raw_waivers)} waivers, more than the {MAX_WAIVERS} abigate accepts; "
                        "a path glob such as 'vendor/**' covers many files in one waiver")
    else:
        for i, raw in enumerate(raw_waivers):
            w = _waiver(i, raw, problems)
            if w is not None:
                waivers.append(w)
    if problems:
        where = source or "[tool.abigate]"
        error = ConfigError(f"{where}: invalid [tool.abigate] configuration")
        # printed one per line by abigate.cli
        error.problems = bounded_lines(problems)  # type: ignore[attr-defined]
        raise error
    return Config(
        profiles=profiles,
        python=python,
        select=select,
        ignore=ignore,
        fail_on=fail_on,
        severity=MappingProxyType(severity),
        waivers=tuple(waivers),
        source=source,
        artifacts=artifacts,
    )


def find_config(start: Path) -> Path | None:
    """The first ``pyproject.toml`` with a ``[tool.abigate]`` table in *start* or a parent folder.

    A ``pyproject.toml`` on the way that cannot be read as TOML stops the search with a :class:`ConfigError`
    naming it (exit 2), as pip and ruff do: silently skipping it could apply the settings of a folder further
    up. A path named ``pyproject.toml`` that is not a regular file (a FIFO, a folder) is not a project file.
    """
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            data = _read(candidate)
            if "abigate" in _tool_table(data, candidate):
                return candidate
    return None


def _tool_table(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """The ``[tool]`` table of a ``pyproject.toml`` (empty when absent); ``tool = 5`` is a ConfigError."""
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: 'tool' must be a table ([tool.abigate]), got {_toml_type(tool)}")
    return tool


def _toml_type(value: Any) -> str:
    """The TOML word for the type of *value*, for messages (``integer``, ``string``, ``array``…)."""
    names = {bool: "boolean", int: "integer", float: "float", str: "string", list: "array", dict: "table"}
    return names.get(type(value), "a date or time")


def _read(path: Path) -> dict[str, Any]:
    try:
        return load_toml_file(str(path), cap=MAX_CONFIG_BYTES, what="configuration file")
    except InputRefused as exc:
        raise ConfigError(exc.message) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None


def load_config(path: Path | None = None, *, start: Path | None = None) -> Config:
    """Read ``[tool.abigate]`` from *path*, or from the file :func:`find_config` finds from *start*.

    A named file without ``[tool.abigate]`` is an empty configuration; no file at all is too.
    """
    if path is None:
        path = find_config(start or Path.cwd())
        if path is None:
            return Config()
    data = _read(path)
    table = _tool_table(data, path).get("abigate")
    if table is None:
        return Config(source=str(path))
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.abigate] must be a table")
    return parse_config(table, source=str(path))
