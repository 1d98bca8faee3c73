"""docs/configuration.md and src/abigate/config.py describe the same keys, and the page's examples are valid.

The reference is written by hand (a key's meaning is prose), so this test is what keeps it from drifting:
a key added to the code without a section here fails, as does a section for a key the code does not accept;
every TOML example on the page must pass the real parser, each key's own example must use that key, and
the glob table's example paths must match (or not) as the table says.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from abigate import config
from abigate._records import fields
from abigate.cli import cli
from abigate.evaluate import Waiver
from abigate.pathglob import glob_matches

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "configuration.md"
TOP = "## Keys of `[tool.abigate]`"
WAIVER = "## Keys of a waiver: `[[tool.abigate.waivers]]`"


def _sections(heading: str) -> dict[str, str]:
    """``### `key` `` sections under the ``##`` *heading*: key → its text."""
    text = PAGE.read_text(encoding="utf-8")
    assert heading in text, f"{PAGE.name} lost its heading {heading!r}"
    body = re.split(r"^## ", text.split(heading, 1)[1], flags=re.MULTILINE)[0]
    parts = re.split(r"^### `([^`]+)`\s*$", body, flags=re.MULTILINE)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _toml_blocks(text: str) -> list[str]:
    return re.findall(r"^```toml\n(.*?)^```", text, flags=re.MULTILINE | re.DOTALL)


def _table(block: str) -> dict[str, Any]:
    data = tomllib.loads(block)
    table: dict[str, Any] = data["tool"]["abigate"]
    return table


def test_every_key_of_the_code_is_documented_and_no_other() -> None:
    assert set(_sections(TOP)) == set(config._KEYS)
    assert set(_sections(WAIVER)) == set(config._WAIVER_KEYS)


def test_the_waiver_keys_are_the_waiver_fields() -> None:
    """_WAIVER_KEYS is what the docs are checked against; it must be what a Waiver holds."""
    assert set(config._WAIVER_KEYS) == {f.name for f in fields(Waiver)}


@pytest.mark.parametrize(("heading", "key"), [(TOP, k) for k in sorted(config._KEYS)]
                         + [(WAIVER, k) for k in sorted(config._WAIVER_KEYS)])
def test_each_key_has_type_default_meaning_and_an_example_using_it(heading: str, key: str) -> None:
    text = _sections(heading)[key]
    assert re.search(r"^- \*\*Type\*\*: \S", text, flags=re.MULTILINE), key
    assert re.search(r"^- \*\*Default\*\*: \S", text, flags=re.MULTILINE), key
    if heading == TOP:
        assert re.search(r"^- \*\*Command line\*\*: \S", text, flags=re.MULTILINE), key
    prose = [ln for ln in text.splitlines() if ln and not ln.startswith(("- **", "```"))]
    assert len(" ".join(prose)) > 80, f"{key}: say what it means"
    blocks = _toml_blocks(text)
    assert blocks, f"{key}: needs an example"
    for block in blocks:
        table = _table(block)
        if heading == TOP:
            assert key in table, f"the example of {key!r} does not set it"
        else:
            assert any(key in w for w in table["waivers"]), f"the example of waiver {key!r} does not set it"


def test_every_example_on_the_page_is_a_valid_configuration() -> None:
    blocks = _toml_blocks(PAGE.read_text(encoding="utf-8"))
    assert len(blocks) >= len(config._KEYS) + len(config._WAIVER_KEYS) + 1
    for block in blocks:
        config.parse_config(_table(block), source="docs/configuration.md")


def test_documented_defaults_are_the_codes() -> None:
    waiver_path = next(f.default for f in fields(Waiver) if f.name == "path")
    assert f'- **Default**: `"{waiver_path}"`' in _sections(WAIVER)["path"]
    assert config.Config().select is None  # "not set": check then runs every rule, as documented
    assert "- **Default**: `[\"ABG\"]`" in _sections(TOP)["select"]


def _glob_rows() -> list[tuple[str, list[str], str | None]]:
    """(pattern, example paths it matches, a path it does not match) of the table's plain rows."""
    text = PAGE.read_text(encoding="utf-8").split("## Path globs", 1)[1]
    rows = []
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not re.fullmatch(r"`[^`]+`( \(no `/`\))?", cells[0]):
            continue
        pattern = re.match(r"`([^`]+)`", cells[0])
        assert pattern is not None
        matches = re.findall(r"`([^`]+)`", cells[1]) if re.fullmatch(r"`[^`]+`(, `[^`]+`)*( in any folder)?",
                                                                      cells[1]) else []
        negative = re.match(r"`([^`]+)`", cells[2])
        rows.append((pattern.group(1), matches, negative.group(1) if negative else None))
    return rows


def test_the_glob_table_says_what_the_matcher_does() -> None:
    rows = _glob_rows()
    assert len(rows) >= 6
    for pattern, matches, negative in rows:
        for path in matches:
            assert glob_matches(pattern, path), (pattern, path)
        if negative is not None:
            assert not glob_matches(pattern, negative), (pattern, negative)


def test_readme_and_check_help_point_to_the_reference() -> None:
    assert "(docs/configuration.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--help"], terminal_width=200)
    assert result.exit_code == 0 and "docs/configuration.md" in result.output
