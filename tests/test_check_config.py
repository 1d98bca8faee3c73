"""[tool.abigate]: parsing (every mistake at once), waivers with reasons and expiry, discovery upward."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from abigate.config import Config, find_config, load_config, parse_config
from abigate.errors import ConfigError
from abigate.rules import Severity


def test_full_table() -> None:
    cfg = parse_config(
        {
            "profiles": ["aws-lambda-python3.12-arm64", "debian-12"],
            "python": "3.12",
            "select": ["ABG2", "glibc-private"],
            "ignore": "ABG5",
            "fail-on": "warning",
            "severity": {"executable-stack": "error"},
            "waivers": [
                {
                    "code": "ABG201",
                    "path": "*/libfoo.so*",
                    "reason": "GPU image only",
                    "expires": date(2026, 12, 31),
                },
                {
                    "code": "ABG4",
                    "reason": "layer provides it",
                    "expires": "2027-01-01",
                    "profile": "debian-12",
                },
            ],
        },
        source="pyproject.toml",
    )
    assert cfg.profiles == ("aws-lambda-python3.12-arm64", "debian-12")
    assert cfg.select == ("ABG2", "ABG202") and cfg.ignore == ("ABG5",)
    assert cfg.fail_on is Severity.WARNING and dict(cfg.severity) == {"ABG110": Severity.ERROR}
    assert [(w.code, w.path, w.expires, w.profile) for w in cfg.waivers] == [
        ("ABG201", "*/libfoo.so*", date(2026, 12, 31), None),
        ("ABG4", "*", date(2027, 1, 1), "debian-12"),
    ]


def test_single_profile_key_and_defaults() -> None:
    cfg = parse_config({"profile": "debian-12"})
    assert cfg.profiles == ("debian-12",) and cfg.select is None and cfg.waivers == ()


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(
            {
                "profile": "a",
                "profiles": ["b"],
                "selekt": ["ABG"],
                "select": ["ABG999"],
                "fail-on": "never",
                "severity": {"ABG201": "fatal"},
                "waivers": [
                    {"code": "ABG201"},
                    {"code": "NOPE", "reason": "x"},
                    {"reason": "x", "expires": "soon"},
                    {"code": "ABG1", "reason": " ", "extra": 1},
                ],
            },
            source="pyproject.toml",
        )
    problems = info.value.problems  # type: ignore[attr-defined]
    text = "\n".join(problems)
    for expected in [
        "unknown key 'selekt'",
        "either 'profile' or 'profiles'",
        "ABG999",
        "fail-on",
        "severity.ABG201",
        "waivers[0]: 'reason' is required",
        "waivers[1]: unknown rule",
        "waivers[2]: 'code' is required",
        "waivers[2]: 'expires' must be a date",
        "waivers[3]: unknown key 'extra'",
        "waivers[3]: 'reason' is required",
    ]:
        assert expected in text, expected
    assert str(info.value) == "pyproject.toml: invalid [tool.abigate] configuration"


def test_discovery_walks_up_to_the_first_pyproject_with_the_table(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.abigate]\nprofile = "debian-12"\n', encoding="utf-8")
    inner = tmp_path / "pkg"
    (inner / "deep").mkdir(parents=True)
    (inner / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert find_config(inner / "deep") == tmp_path / "pyproject.toml"
    assert load_config(start=inner / "deep").profiles == ("debian-12",)


def test_no_config_anywhere_and_named_file_without_table(tmp_path: Path) -> None:
    assert find_config(tmp_path) is None
    plain = tmp_path / "other.toml"
    plain.write_text("[tool.black]\n", encoding="utf-8")
    assert load_config(plain) == Config(source=str(plain))


def test_invalid_toml_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "pyproject.toml"
    bad.write_text("[tool.abigate\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_config(bad)
