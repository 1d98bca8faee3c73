"""Records behave as the frozen, slotted, keyword-only dataclasses they replace (``abigate._records``)."""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import Any

import pytest

from abigate._records import _MISSING, FrozenRecordError, Record, field, fields, replace
from abigate.archive import Entry
from abigate.facts import VersionNeed
from abigate.profile import Library, Profile


class Need(Record):
    library: str
    nodes: tuple[str, ...] = ()
    seen: list[str] = field(default_factory=list)
    note: str = field(default="", compare=False, repr=False)


class Pending(Record, frozen=False):
    name: str
    count: int = 0


class Node(Record, kw_only=False):
    prefix: str
    numbers: tuple[int, ...] = ()


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class NeedDC:
    library: str
    nodes: tuple[str, ...] = ()
    seen: list[str] = dataclasses.field(default_factory=list)
    note: str = dataclasses.field(default="", compare=False, repr=False)


def test_init_defaults_factories_repr_and_equality_match_a_dataclass() -> None:
    a = Need(library="libc.so.6", nodes=("GLIBC_2.17",))
    d = NeedDC(library="libc.so.6", nodes=("GLIBC_2.17",))
    assert repr(a).replace("Need(", "NeedDC(") == repr(d)
    assert a.seen == [] and a.seen is not Need(library="x").seen  # a fresh list per instance
    assert a == Need(library="libc.so.6", nodes=("GLIBC_2.17",), note="ignored by ==")
    assert a != Need(library="libc.so.6")
    assert a != d  # type: ignore[comparison-overlap]  # another class is never equal
    assert [f.name for f in fields(a)] == [f.name for f in dataclasses.fields(d)]


def test_frozen_records_refuse_assignment_and_hash_by_value() -> None:
    node = Node("GLIBC", (2, 17))
    with pytest.raises(FrozenRecordError):
        node.prefix = "X"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del node.prefix
    with pytest.raises(AttributeError):
        node.other = 1  # type: ignore[attr-defined]  # slots: no instance dict
    assert hash(node) == hash(Node("GLIBC", (2, 17))) and len({node, Node("GLIBC", (2, 17))}) == 1
    assert not hasattr(node, "__dict__") and Node.__match_args__ == ("prefix", "numbers")


def test_mutable_records_assign_and_are_unhashable_like_dataclasses() -> None:
    p = Pending(name="a")
    p.count += 1
    assert p == Pending(name="a", count=1)
    with pytest.raises(TypeError):
        hash(p)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Need("libc.so.6"), "positional"),  # type: ignore[call-arg]
        (lambda: Need(), "missing required argument: 'library'"),  # type: ignore[call-arg]
        (lambda: Need(library="a", bogus=1), "unexpected keyword argument 'bogus'"),  # type: ignore[call-arg]
        (lambda: Node("a", (1,), "extra"), "positional"),  # type: ignore[call-arg]
        (lambda: Node("a", prefix="b"), "multiple values for argument 'prefix'"),  # type: ignore[misc]
    ],
)
def test_wrong_arguments_are_type_errors(make: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        make()


def test_pickle_copy_and_replace_round_trip() -> None:
    need = VersionNeed(library="libc.so.6", version="GLIBC_2.34", hash=0x69691234, weak=False, index=3,
                       symbols=("memcpy",))
    for clone in (pickle.loads(pickle.dumps(need)), copy.copy(need), copy.deepcopy(need)):
        assert clone == need and clone is not need
    moved = replace(need, version="GLIBC_2.17")
    assert moved.version == "GLIBC_2.17" and moved.symbols == need.symbols and need.version == "GLIBC_2.34"
    with pytest.raises(TypeError):
        replace(need, nonsense=1)
    entry = Entry(name="a.so", index=0, type="file", size=1)
    assert pickle.loads(pickle.dumps(entry)) == entry and entry.problems == []


def test_post_init_and_fields_left_out_of_init() -> None:
    profile = Profile(id="p", title="t", kind="os", arch="x86_64", libc="glibc", libc_version=(2, 36),
                      libraries={"libgomp.so.1": Library(soname="libgomp.so.1",
                                                         files=frozenset({"libgomp.so.1.0.0"}))})
    # the file-name index is built in __post_init__
    assert profile.library("libgomp.so.1.0.0") is profile.libraries["libgomp.so.1"]
    assert "_by_file" not in repr(profile)
    assert replace(profile, id="q").library("libgomp.so.1.0.0") is not None


def _record_classes() -> list[type[Record]]:
    import importlib
    import pkgutil

    import abigate

    for info in pkgutil.walk_packages(abigate.__path__, "abigate."):
        if not info.name.endswith("__main__"):
            importlib.import_module(info.name)
    out: list[type[Record]] = []
    todo = list(Record.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("abigate."):
            out.append(cls)
    return sorted(out, key=lambda c: (c.__module__, c.__qualname__))


WRITTEN_OUT = [cls for cls in _record_classes() if "__init__" in vars(cls)]


def test_the_hot_classes_write_their_own_init() -> None:
    # Kept as a list so that removing one is a decision: these are made thousands of times per artifact.
    names = {f"{c.__module__}.{c.__qualname__}" for c in WRITTEN_OUT}
    assert {"abigate.archive.Entry", "abigate.facts.VersionNeed", "abigate.findings.Finding",
            "abigate.resolve.Resolved"} <= names


@pytest.mark.parametrize("cls", WRITTEN_OUT, ids=lambda c: c.__qualname__)
def test_a_written_out_init_takes_exactly_the_fields_with_their_defaults(cls: type[Record]) -> None:
    """A hand-written ``__init__`` must not drift from the class's fields: same keyword-only names, same
    defaults, and every field set from its argument."""
    import inspect

    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    table = [f for f in fields(cls) if f.init]
    assert [p.name for p in params] == [f.name for f in table]
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params)
    kwargs: dict[str, object] = {p.name: object() for p in params if p.default is inspect.Parameter.empty}
    for p, f in zip(params, table):
        if f.default_factory is not _MISSING:
            assert p.default is None, f.name  # a mutable default given as None and made in __init__
            assert getattr(cls(**kwargs), f.name) == f.default_factory()
            continue
        if p.default is inspect.Parameter.empty:
            assert f.default is _MISSING, f.name
        else:
            assert p.default == f.default and type(p.default) is type(f.default), f.name
    made = cls(**kwargs)
    for name, value in kwargs.items():
        assert getattr(made, name) is value
    for p, f in zip(params, table):
        if p.name not in kwargs and f.default_factory is _MISSING:
            assert getattr(made, p.name) is p.default
