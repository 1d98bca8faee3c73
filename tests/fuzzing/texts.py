"""Inputs a user types or writes: ``profile`` (TOML profiles), ``config`` (``[tool.abigate]`` in
``pyproject.toml``) and ``cli`` (option values).

Profiles start from a real built-in profile and get one hostile change: a value of the wrong type, an
integer of thousands of digits, a control character or invalid UTF-8 in a string, arrays or tables nested
thousands deep, a huge number of libraries or keys, ``extends`` chains of hundreds or thousands of files,
diamonds (each file extending the two below it), cycles, a parent that is missing or a folder, bit flips
and truncation of the text. They run through ``profile validate``, ``profile show`` and ``check -p``.

Configurations put ``[tool.abigate]`` (or a ``tool`` key that is not a table, or bytes that are not
UTF-8) in ``pyproject.toml`` in the current folder or one above it, or pass it with ``--config``: wrong
types for every key, unknown rule names, ``--python``-style versions out of range, tens of thousands of
unknown keys or waivers. The ``cli`` family sends odd values to ``--python``, ``--select``, ``--jobs``,
``--output`` and friends, and misspelled options, which must be one-line usage errors.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from fuzzing.case import INPUT_EXITS, Case
from fuzzing.common import interesting_int
from fuzzing.seeds import ROOT, pick_elf
from fuzzing.zips import Member, build_zip

__all__ = ["gen_cli", "gen_config", "gen_profile", "toml"]

_BASES = ("debian-12", "aws-lambda-python3.12-x86_64", "alpine-3.20", "manylinux_2_28_x86_64", "google-22")
_PYTHONS = (
    "3.12",
    "3.100000",
    "3.1e5",
    "99999999999999999999.1",
    "3.12t",
    "",
    " 3.12",
    "3.",
    ".12",
    "3.-1",
    "३.१२",
    "3.12\n",
    "3.12.1",
    "4.0",
    "2.7",
    "3.6",
    "3.15",
    "3.13tt",
    "3." + "9" * 5000,
    "x" * 10000,
    "3.12\x00",
    "0x3.12",
    "3_12",
    "1e400",
    "NaN",
    "3.99",
)


def toml(value: object, *, key: str = "") -> str:
    """A TOML document for a mapping of plain values (strings, numbers, booleans, arrays, tables)."""
    assert isinstance(value, dict)
    lines: list[str] = []
    tables: list[tuple[str, dict[str, object]]] = []
    for k, v in value.items():
        if isinstance(v, dict) and all(not isinstance(x, dict) for x in v.values()) and len(str(v)) > 200:
            tables.append((k, v))
        else:
            lines.append(f"{_key(k)} = {_inline(v)}")
    out = ("\n".join(lines) + "\n") if lines else ""
    for k, v in tables:
        out += f"\n[{key + '.' if key else ''}{_key(k)}]\n" + toml(v)
    return out


def _key(k: str) -> str:
    return k if k and all(c.isalnum() or c in "-_" for c in k) and k.isascii() else _str(k)


def _str(s: str) -> str:
    out = []
    for c in s:
        if c in '"\\':
            out.append("\\" + c)
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04x}")
        elif 0xD800 <= ord(c) <= 0xDFFF:
            out.append("?")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _inline(v: object) -> str:
    if isinstance(v, Raw):
        return str.__str__(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v) if isinstance(v, float) else str(v)
    if isinstance(v, str):
        return _str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_inline(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_key(k)} = {_inline(x)}" for k, x in v.items()) + "}"
    return '""'


class Raw(str):
    """Text written into the TOML as it is (an integer of thousands of digits: ``str(int)`` refuses those)."""


def _bad_value(rng: random.Random) -> object:
    return rng.choice(
        (
            5,
            -1,
            Raw("9" * rng.choice((20, 400, 5000))),
            1.5,
            float("inf"),
            True,
            "",
            "x" * 5000,
            "\x7f",
            "\x1b[2J",
            "a\x00b",
            [],
            [1, "a"],
            {},
            {"a": {"b": 1}},
            [[[[]]]],
            "3.100000",
        )
    )


def _mutate_profile(rng: random.Random, doc: dict[str, object]) -> tuple[str, dict[str, object]]:
    kind = rng.choice(("type", "type", "control", "libraries", "many-keys", "python", "limits", "remove"))
    if kind == "type":
        doc[rng.choice(sorted(doc))] = _bad_value(rng)
    elif kind == "control":
        ch = rng.choice(("\x7f", "\x00", "\x1b", "\u2028", "\ufeff", "\x85", "\u202e"))
        doc[rng.choice(("title", "id", "description", "arch"))] = f"x{ch}y"
    elif kind == "libraries":
        n = rng.choice((10, 3000, 30000))
        doc["libraries"] = {
            f"lib{i}.so.{i}": {"versions": [f"V_{j}" for j in range(rng.choice((0, 3)))]} for i in range(n)
        }
    elif kind == "many-keys":
        for i in range(rng.choice((100, 30000))):
            doc[f"unknown_{i}"] = i
    elif kind == "python":
        doc["python"] = [{"version": rng.choice(_PYTHONS)}]
    elif kind == "limits":
        doc["limits"] = {
            "max_unzipped_bytes": interesting_int(rng, 64) * rng.choice((1, -1, 10**30)),
            "max_zipped_bytes": _bad_value(rng),
        }
    else:
        for k in rng.sample(sorted(doc), rng.randrange(1, max(2, len(doc)))):
            del doc[k]
    return kind, doc


def _profile_doc(rng: random.Random) -> dict[str, object]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib

    base = rng.choice(_BASES)
    return dict(tomllib.loads((ROOT / "src" / "abigate" / "profiles" / f"{base}.toml").read_text()))


def _text_attack(rng: random.Random, text: str) -> tuple[str, bytes]:
    kind = rng.choice(
        (
            "deep-array",
            "deep-table",
            "huge-int",
            "flip",
            "truncate",
            "non-utf8",
            "nul",
            "dup-key",
            "long-line",
        )
    )
    if kind == "deep-array":
        n = rng.choice((100, 1000, 5000, 50000))
        return kind, (text + "\nx = " + "[" * n + "]" * n + "\n").encode()
    if kind == "deep-table":
        n = rng.choice((100, 2000, 5000))
        return kind, (text + "\nx = " + "{a = " * n + "1" + "}" * n + "\n").encode()
    if kind == "huge-int":
        return kind, (text + f"\npage_size = {'9' * rng.choice((30, 5000, 100000))}\n").encode()
    if kind == "flip":
        b = bytearray(text.encode())
        for _ in range(rng.randrange(1, 10)):
            b[rng.randrange(len(b))] = rng.randrange(256)
        return kind, bytes(b)
    if kind == "truncate":
        return kind, text.encode()[: rng.randrange(len(text))]
    if kind == "non-utf8":
        return kind, b"\xff\xfe" + text.encode("utf-16-le")[
            :2000
        ] if rng.random() < 0.5 else text.encode() + b"\x80"
    if kind == "nul":
        return kind, text.encode().replace(b"\n", b"\n\0", 3)
    if kind == "dup-key":
        return kind, (text + "\nschema = 1\n").encode()
    return kind, (text + '\ntitle2 = "' + "a" * rng.choice((1 << 16, 1 << 22)) + '"\n').encode()


def _extends_files(rng: random.Random, d: Path, doc: dict[str, object]) -> tuple[str, str]:
    """Profile files whose ``extends`` form a chain, diamond or cycle; (kind, the file to use)."""
    kind = rng.choice(("chain", "diamond", "cycle", "self", "missing", "folder", "parent-bad"))
    base = {"schema": 1, "kind": "os", "title": "t"}
    if kind == "chain":
        n = rng.choice((5, 60, 300, 1500))
        for i in range(n):
            (d / f"p{i}.toml").write_text(
                toml(
                    {**base, "id": f"p{i}", "extends": f"p{i + 1}.toml"}
                    if i < n - 1
                    else {**doc, "id": f"p{i}"}
                )
            )
        return f"extends-chain-{n}", "p0.toml"
    if kind == "diamond":
        n = rng.choice((6, 12, 24))
        for i in range(n):
            parents = (
                [f"p{i + 1}.toml", f"p{i + 2}.toml"] if i < n - 2 else (["debian-12"] if i == n - 2 else [])
            )
            body = {**base, "id": f"p{i}"} if parents else {**doc, "id": f"p{i}"}
            if parents:
                body["extends"] = parents
            (d / f"p{i}.toml").write_text(toml(body))
        return f"extends-diamond-{n}", "p0.toml"
    if kind == "cycle":
        n = rng.choice((2, 3, 50))
        for i in range(n):
            (d / f"p{i}.toml").write_text(toml({**base, "id": f"p{i}", "extends": f"p{(i + 1) % n}.toml"}))
        return "extends-cycle", "p0.toml"
    if kind == "self":
        (d / "p0.toml").write_text(toml({**base, "id": "p0", "extends": ["p0.toml", "./p0.toml"]}))
        return "extends-self", "p0.toml"
    if kind == "missing":
        (d / "p0.toml").write_text(
            toml(
                {
                    **base,
                    "id": "p0",
                    "extends": rng.choice(
                        ("nope.toml", "/nonexistent/x.toml", "no-such-builtin", "", "../" * 40 + "x.toml")
                    ),
                }
            )
        )
        return "extends-missing", "p0.toml"
    if kind == "folder":
        (d / "sub.toml").mkdir()
        (d / "p0.toml").write_text(toml({**base, "id": "p0", "extends": rng.choice(("sub.toml", ".", "/"))}))
        return "extends-folder", "p0.toml"
    _, bad = _text_attack(rng, toml(doc))
    (d / "parent.toml").write_bytes(bad)
    (d / "p0.toml").write_text(toml({**base, "id": "p0", "extends": "parent.toml"}))
    return "extends-parent-bad", "p0.toml"


def _artifact(rng: random.Random, d: Path) -> str:
    _, elf = pick_elf(rng)
    (d / "a.zip").write_bytes(build_zip([Member(b"pkg/_ext.cpython-311-x86_64-linux-gnu.so", elf)]))
    return "a.zip"


def gen_profile(rng: random.Random, d: Path) -> Case:
    """A hostile profile file, validated, shown or used by ``check``."""
    doc = _profile_doc(rng)
    roll = rng.random()
    if roll < 0.4:
        kind, doc = _mutate_profile(rng, doc)
        (d / "p.toml").write_text(toml(doc))
        target = "p.toml"
    elif roll < 0.7:
        kind, data = _text_attack(rng, toml(doc))
        (d / "p.toml").write_bytes(data)
        target = "p.toml"
    else:
        kind, target = _extends_files(rng, d, doc)
    r = rng.random()
    if r < 0.45:
        argv = ["profile", "validate", target]
    elif r < 0.6:
        argv = ["profile", "show", target]
    else:
        argv = ["check", _artifact(rng, d), "-p", target, "-q"]
    return Case("profile", kind, argv, str(d), INPUT_EXITS)


def _config_table(rng: random.Random) -> dict[str, object]:
    good: dict[str, object] = {
        "profiles": ["debian-12"],
        "python": "3.12",
        "select": ["ABG"],
        "ignore": ["ABG5"],
        "fail-on": "error",
        "severity": {"ABG205": "error"},
        "waivers": [{"code": "ABG402", "path": "x/*", "reason": "r"}],
    }
    table = {k: v for k, v in good.items() if rng.random() < 0.6}
    for _ in range(rng.randrange(1, 4)):
        key = rng.choice((*good, "profile", "unknown", "Profiles", "fail_on"))
        table[key] = rng.choice(
            (
                _bad_value(rng),
                [rng.choice(_PYTHONS)],
                rng.choice(_PYTHONS),
                ["no-such-profile", "/dev/null", "../" * 30 + "x.toml"],
                ["ABG999", "ALL", "x"],
                {"ABG201": "fatal"},
                [{"code": 5}],
                [{"code": "ABG201", "reason": "r", "expires": "soon"}],
            )
        )
    return table


def gen_config(rng: random.Random, d: Path) -> Case:
    """A hostile ``pyproject.toml``, found upward from the current folder or given with ``--config``."""
    art = _artifact(rng, d)
    kind = rng.choice(("table", "table", "tool-not-table", "non-utf8", "unknown-keys", "waivers", "text"))
    if kind == "table":
        text = "[project]\nname = 'x'\n\n[tool.abigate]\n" + toml(_config_table(rng), key="tool.abigate")
        data = text.encode()
    elif kind == "tool-not-table":
        data = rng.choice(
            (
                b"tool = 5\n",
                b"tool = 'abigate'\n",
                b"[tool]\nabigate = 5\n",
                b"[tool]\nabigate = [1]\n",
                b"tool = []\n",
            )
        )
    elif kind == "non-utf8":
        data = rng.choice(
            (b"[project]\nname = '\xff'\n", b"\xff\xfe[\x00t\x00", b"[tool.black]\nx = '\xc3'\n")
        )
    elif kind == "unknown-keys":
        n = rng.choice((100, 30000))
        data = (
            "[tool.abigate]\nprofiles = ['debian-12']\n" + "".join(f"k{i} = {i}\n" for i in range(n))
        ).encode()
    elif kind == "waivers":
        n = rng.choice((100, 20000))
        data = (
            "[tool.abigate]\nprofiles = ['debian-12']\n"
            + "".join(
                f"[[tool.abigate.waivers]]\ncode = 'ABG{200 + i % 100}'\npath = 'p{i}/*'\nreason = 'r'\n"
                for i in range(n)
            )
        ).encode()
    else:
        _, data = _text_attack(rng, "[tool.abigate]\nprofiles = ['debian-12']\npython = '3.12'\n")
    where = rng.choice(("here", "above", "flag"))
    cwd = d
    if where == "above":
        cwd = d / "sub" / "dir"
        cwd.mkdir(parents=True)
        art = "../../" + art
    (d / "pyproject.toml").write_bytes(data)
    argv = ["check", art]
    if where == "flag":
        argv += ["--config", "pyproject.toml"]
    if rng.random() < 0.4:
        argv += ["-p", "debian-12"]
    return Case("config", f"{kind}-{where}", argv, str(cwd), INPUT_EXITS)


def gen_cli(rng: random.Random, d: Path) -> Case:
    """Odd option values and misspelled options: each a result or a one-line usage error."""
    art = _artifact(rng, d)
    kind = rng.choice(
        ("python", "python", "select", "jobs", "output", "option", "profile", "format", "empty")
    )
    argv = ["check", art, "-p", rng.choice(("debian-12", "aws-lambda-python3.12", "manylinux_2_28_x86_64"))]
    if kind == "python":
        argv += ["--python", rng.choice(_PYTHONS)]
    elif kind == "select":
        argv += [
            rng.choice(("--select", "--ignore")),
            rng.choice(("ABG999", "", ",", "ABG" * 3000, "ALL,x", "\x00")),
        ]
    elif kind == "jobs":
        argv += ["-j", rng.choice(("0", "-1", "100000", "99999999999999999999", "x", "1e9"))]
    elif kind == "output":
        (d / "out").mkdir()
        argv += ["-o", rng.choice(("out", "out/missing/x.json", "out/", "out/r.json"))]
    elif kind == "option":
        argv += [rng.choice(("--pythn", "--profle", "-x", "--format=xml", "--jobs", "--", "-p"))]
    elif kind == "profile":
        argv = [
            "check",
            art,
            "-p",
            rng.choice(("aws-lambda", "debian", "", "..", "/", "debian-12\n", "-" * 3000)),
        ]
    elif kind == "format":
        argv = ["scan", art, "--format", rng.choice(("xml", "", "JSON", "json\x00"))]
    else:
        argv = rng.choice(
            (
                ["check"],
                ["check", art],
                ["scan", ""],
                ["check", "", "-p", "debian-12"],
                ["profile", "validate"],
                ["profile", "show", "x" * 5000],
                ["rules", "ABG99999"],
            )
        )
    return Case("cli", kind, argv, str(d), INPUT_EXITS, outputs=["out"] if kind == "output" else [])
