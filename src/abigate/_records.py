"""Record classes: slotted, keyword-only, usually frozen data, without code generated at import.

abigate's models (facts, profiles, findings, rules) were ``@dataclass(frozen=True, slots=True,
kw_only=True)`` classes. The standard decorator writes the source of ``__init__``, ``__repr__``, ``__eq__``,
``__hash__`` and the frozen ``__setattr__``/``__delattr__`` of each class, compiles it with ``exec`` when the
module is imported, and with ``slots=True`` builds the class a second time: about 0.7 ms per class on
CPython 3.11, some 35 ms of a 0.2 s ``abigate check`` of a small wheel for 47 classes, paid on every run.

A :class:`Record` behaves the same way (keyword-only ``__init__`` with defaults and factories,
``__post_init__``, field-wise ``repr``/``==``/``hash``, frozen attributes, ``__slots__``, pickling), but
from methods written once in this module that read a per-class table of fields; the metaclass builds that
table and the ``__slots__`` from the class annotations before the class is created, so nothing is compiled
and no class is built twice. Type checkers see the usual dataclass semantics through
``dataclass_transform`` (PEP 681).

Usage::

    class Need(Record):                       # frozen, keyword-only
        library: str
        nodes: tuple[str, ...] = ()
        seen: list[str] = field(default_factory=list)

    class Pending(Record, frozen=False):      # mutable (then unhashable, as a dataclass)
        name: str

    class Node(Record, kw_only=False):        # positional arguments allowed too
        prefix: str

Per instance, the generic ``__init__`` costs about 1 µs plus 0.15 µs per field; a class built in a hot loop
(one per archive member) writes its own ``__init__`` (setting fields with ``object.__setattr__`` when frozen).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, overload

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:
    def dataclass_transform(**_options: object) -> Callable[[type], type]:
        """At run time the marker does nothing (``typing`` has it only from 3.11)."""
        return lambda obj: obj

__all__ = ["FrozenRecordError", "Record", "field", "fields", "replace"]

_T = TypeVar("_T")
_R = TypeVar("_R", bound="Record")


class _Missing:
    """No default given."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


_MISSING: Any = _Missing()

_set = object.__setattr__


class FrozenRecordError(AttributeError):
    """Assigning to or deleting a field of a frozen record (``dataclasses.FrozenInstanceError`` there)."""


class Field:
    """One field of a record class, as :func:`field` declares it."""

    __slots__ = ("compare", "default", "default_factory", "init", "name", "repr")

    def __init__(self, default: Any = _MISSING, default_factory: Any = _MISSING, init: bool = True,
                 repr: bool = True, compare: bool = True) -> None:  # noqa: A002 - the dataclasses name
        if default is not _MISSING and default_factory is not _MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.compare = compare

    def __repr__(self) -> str:
        return f"Field(name={self.name!r})"


@overload
def field(*, default: _T, init: bool = ..., repr: bool = ..., compare: bool = ...) -> _T: ...


@overload
def field(*, default_factory: Callable[[], _T], init: bool = ..., repr: bool = ...,
          compare: bool = ...) -> _T: ...


@overload
def field(*, init: bool = ..., repr: bool = ..., compare: bool = ...) -> Any: ...


def field(*, default: Any = _MISSING, default_factory: Any = _MISSING, init: bool = True,
          repr: bool = True, compare: bool = True) -> Any:  # noqa: A002 - the dataclasses name
    """Declare a field with a default factory, or one left out of ``__init__``, ``repr`` or ``==``."""
    return Field(default, default_factory, init, repr, compare)


def _is_classvar(annotation: object) -> bool:
    text = annotation if isinstance(annotation, str) else repr(annotation)
    return text.startswith(("ClassVar", "typing.ClassVar"))


class _RecordMeta(type):
    """Builds each record class's field table and ``__slots__`` from its annotations, once."""

    def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, Any], *, frozen: bool = True,
                kw_only: bool = True) -> _RecordMeta:
        inherited: dict[str, Field] = {}
        for base in reversed(bases):
            for f in getattr(base, "__record_fields__", ()):
                inherited[f.name] = f
        own: dict[str, Field] = {}
        for fname, annotation in namespace.get("__annotations__", {}).items() if bases else ():
            if _is_classvar(annotation):
                continue
            value = namespace.pop(fname, _MISSING)
            f = value if isinstance(value, Field) else Field(default=value)
            f.name = fname
            own[fname] = f
        if "__slots__" not in namespace:
            namespace["__slots__"] = tuple(n for n in own if n not in inherited)
        if not bases:  # Record itself: the shared methods
            namespace.update(_METHODS)
        table = tuple({**inherited, **own}.values())
        namespace["__record_fields__"] = table
        namespace["__record_init__"] = tuple((f.name, f.default, f.default_factory) for f in table if f.init)
        namespace["__record_noinit__"] = tuple((f.name, f.default, f.default_factory) for f in table
                                               if not f.init)
        namespace["__record_kw_only__"] = kw_only
        namespace["__record_repr__"] = tuple(f.name for f in table if f.repr)
        namespace["__record_compare__"] = tuple(f.name for f in table if f.compare)
        if not kw_only:
            namespace["__match_args__"] = tuple(f.name for f in table if f.init)
        if bases:
            if frozen:
                namespace.setdefault("__setattr__", _frozen_setattr)
                namespace.setdefault("__delattr__", _frozen_delattr)
                namespace.setdefault("__hash__", _hash)
            else:
                namespace.setdefault("__hash__", None)  # mutable and compared by value: unhashable
        cls = super().__new__(mcs, name, bases, namespace)
        cls.__record_post_init__ = getattr(cls, "__post_init__", None)  # type: ignore[attr-defined]
        return cls


def _frozen_setattr(self: Record, name: str, value: object) -> None:
    raise FrozenRecordError(f"cannot assign to field {name!r}")


def _frozen_delattr(self: Record, name: str) -> None:
    raise FrozenRecordError(f"cannot delete field {name!r}")


def _init(self: Record, *args: Any, **kwargs: Any) -> None:
    cls = type(self)
    spec = cls.__record_init__
    if args:
        if cls.__record_kw_only__ or len(args) > len(spec):
            allowed = 0 if cls.__record_kw_only__ else len(spec)
            raise TypeError(f"{cls.__name__}() takes {allowed} positional arguments but {len(args)} were "
                            "given")
        for (fname, _, _), value in zip(spec, args):
            if fname in kwargs:
                raise TypeError(f"{cls.__name__}() got multiple values for argument {fname!r}")
            kwargs[fname] = value
    pop = kwargs.pop
    for fname, default, factory in spec:
        value = pop(fname, default)
        if value is _MISSING:
            if factory is _MISSING:
                raise TypeError(f"{cls.__name__}() missing required argument: {fname!r}")
            value = factory()
        _set(self, fname, value)
    if kwargs:
        raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {next(iter(kwargs))!r}")
    for fname, default, factory in cls.__record_noinit__:
        if factory is not _MISSING:
            _set(self, fname, factory())
        elif default is not _MISSING:
            _set(self, fname, default)
    post = cls.__record_post_init__
    if post is not None:
        post(self)


def _values(self: Record) -> tuple[Any, ...]:
    return tuple([getattr(self, n) for n in type(self).__record_compare__])


def _eq(self: Record, other: object) -> bool:
    if other.__class__ is not self.__class__ or not isinstance(other, Record):
        return NotImplemented  # type: ignore[no-any-return]
    return _values(self) == _values(other)


def _hash(self: Record) -> int:
    return hash(_values(self))


def _repr(self: Record) -> str:
    cls = type(self)
    inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in cls.__record_repr__)
    return f"{cls.__qualname__}({inner})"


def _getstate(self: Record) -> tuple[Any, ...]:
    return tuple(getattr(self, f.name) for f in type(self).__record_fields__)


def _setstate(self: Record, state: tuple[Any, ...]) -> None:
    for f, value in zip(type(self).__record_fields__, state):
        _set(self, f.name, value)


_METHODS: dict[str, Any] = {
    "__init__": _init, "__eq__": _eq, "__hash__": _hash, "__repr__": _repr,
    "__getstate__": _getstate, "__setstate__": _setstate,
}


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(field, Field))
class Record(metaclass=_RecordMeta):
    """Base of abigate's data classes; class keywords ``frozen`` (default True) and ``kw_only`` (True)."""

    __slots__ = ()
    __record_fields__: tuple[Field, ...]
    __record_init__: tuple[tuple[str, Any, Any], ...]
    __record_noinit__: tuple[tuple[str, Any, Any], ...]
    __record_kw_only__: bool
    __record_repr__: tuple[str, ...]
    __record_compare__: tuple[str, ...]
    __record_post_init__: Callable[[Any], None] | None


def fields(record: Record | type[Record]) -> tuple[Field, ...]:
    """The fields of a record (instance or class), in declaration order (``dataclasses.fields``)."""
    return record.__record_fields__


def replace(record: _R, /, **changes: Any) -> _R:
    """A copy of *record* with some fields changed, through ``__init__`` (``dataclasses.replace``)."""
    cls = type(record)
    spec = cls.__record_init__
    if cls.__record_post_init__ is None and not cls.__record_noinit__:
        # Nothing runs in __init__ but the assignments: copy the slots (the resolver makes 40,000 copies
        # for 20,000 files, and going through __init__ took twice as long).
        new = cls.__new__(cls)
        left = len(changes)
        for name, _, _ in spec:
            if name in changes:
                _set(new, name, changes[name])
                left -= 1
            else:
                _set(new, name, getattr(record, name))
        if left:
            bad = next(n for n in changes if n not in {name for name, _, _ in spec})
            raise TypeError(f"{cls.__name__}: {bad!r} is not a field that __init__ takes")
        return new
    values = {name: getattr(record, name) for name, _, _ in spec}
    for name in changes:
        if name not in values:
            raise TypeError(f"{cls.__name__}: {name!r} is not a field that __init__ takes")
    values.update(changes)
    return cls(**values)
