"""The fast indented JSON writer gives exactly ``json.dumps(indent=2, sort_keys=True, ensure_ascii=False)``."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest

from abigate import scanreport
from abigate._jsontext import Lazy, dumps_indented, write_indented
from abigate.scan import scan_paths

ROOT = Path(__file__).resolve().parent.parent


def _reference(doc: Any) -> str:
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False)


def test_scan_report_of_every_test_binary_is_byte_identical() -> None:
    doc = scanreport.to_document(scan_paths([str(ROOT / "testdata" / "elf")], jobs=1))
    assert doc["artifacts"][0]["native_files"], "the report should hold real facts"
    assert dumps_indented(doc) == _reference(doc)


@pytest.mark.parametrize("value", [
    {}, [], "", 0, -1, 2**70, 1.5, -0.0, 1e300, float("inf"), float("-inf"), float("nan"), True, False, None,
    "tab\t \"quoted\" \\ é \u2028 \x00 \U0001f600", ["a", "b"], ("t", 1), [[], {}, [[]]],
    {"b": 1, "a": [1, "x", None], "c": {"z": {}, "y": []}},
    {3: "int key", 2.5: "float key", False: "bool key"}, {None: "none key"},
])
def test_scalars_containers_and_keys(value: Any) -> None:
    assert dumps_indented(value) == _reference(value)


def test_generated_documents() -> None:
    rng = random.Random(10)
    strings = ["", "x", "ä", "\n", "\"", "GLIBC_2.17", "lib/x.so", "\x7f", "\ud800"]

    def make(depth: int) -> Any:
        roll = rng.random()
        if depth > 4 or roll < 0.4:
            return rng.choice([*strings, 0, 7, -3, 0.25, True, False, None])
        if roll < 0.55:
            return [rng.choice(strings) for _ in range(rng.randrange(4))]  # the all-strings fast path
        if roll < 0.75:
            return [make(depth + 1) for _ in range(rng.randrange(4))]
        return {rng.choice(strings) + str(i): make(depth + 1) for i in range(rng.randrange(5))}

    for _ in range(300):
        doc = make(0)
        assert dumps_indented(doc) == _reference(doc)


@pytest.mark.parametrize("value", [{1, 2}, b"bytes", {"k": object()}, {("tuple",): 1}])
def test_what_json_refuses_is_refused(value: Any) -> None:
    with pytest.raises(TypeError):
        _reference(value)
    with pytest.raises(TypeError):
        dumps_indented(value)


def test_write_indented_hands_over_pieces_and_converts_lazily() -> None:
    """Fuzzing tier: 40,000 findings as dicts, their pieces and the whole text took 350 MB at once."""
    converted: list[int] = []

    def convert(i: int) -> dict[str, object]:
        converted.append(i)
        return {"n": i, "text": "x" * 20, "list": [i, None]}

    doc = {"b": Lazy(range(50_000), convert), "a": Lazy([], convert)}
    pieces: list[str] = []
    converted_at_piece: list[int] = []

    def sink(piece: str) -> None:
        pieces.append(piece)
        converted_at_piece.append(len(converted))

    write_indented(doc, sink)
    assert len(pieces) > 10
    assert converted_at_piece[0] < 50_000 // 2  # the first piece left before most items were made
    assert max(map(len, pieces)) < 1 << 20
    expected = {"b": [{"n": i, "text": "x" * 20, "list": [i, None]} for i in range(50_000)], "a": []}
    assert "".join(pieces) == json.dumps(expected, indent=2, sort_keys=True, ensure_ascii=False)
    assert dumps_indented(doc) == "".join(pieces)
