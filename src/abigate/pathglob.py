"""Path-aware globs for waivers: ``*`` stays inside one path segment, ``**`` spans any number of them.

``fnmatch`` lets ``*`` cross ``/``, so a waiver for ``numpy/*`` (the files directly in ``numpy/``) also
waived everything under ``numpy/_core/`` -- a gate that quietly accepts more than its author wrote. The
rules here are the ones people know from ``.gitignore`` and most build tools:

* ``*`` matches any run of characters except a separator, ``?`` one such character, ``[abc]`` / ``[a-z]``
  / ``[!abc]`` one character of (or not of) a set; a set never matches a separator either;
* ``**`` as a whole segment matches any number of segments, none included: ``numpy/**`` is everything
  under ``numpy/``, ``**/libfoo.so`` is ``libfoo.so`` in any folder, ``a/**/b.so`` is ``a/b.so``,
  ``a/x/b.so``, ``a/x/y/b.so``; ``**`` inside a segment (``numpy**``) is an error rather than a guess;
* separators are ``/`` and ``!`` (what abigate puts between an archive and a file inside it:
  ``fn.zip!pkg.whl!pkg/_x.so``);
* a pattern without a separator is matched against the last segment (the file name) wherever it is:
  ``libfoo.so*`` and ``*.so`` match at any depth, and ``*`` matches every path. A pattern with one is
  matched against the whole path.
"""

from __future__ import annotations

import functools
import re

__all__ = ["compile_glob", "glob_matches"]

_SEPARATORS = "/!"
_NOT_SEPARATOR = "[^/!]"


@functools.lru_cache(maxsize=512)
def compile_glob(pattern: str) -> re.Pattern[str]:
    """The regular expression *pattern* stands for (matched with ``fullmatch``).

    :raises ValueError: an empty pattern, or ``**`` that is not a whole segment.
    """
    if not pattern:
        raise ValueError("a path glob must not be empty")
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if pattern.startswith("**", i):
            at_start = i == 0 or pattern[i - 1] in _SEPARATORS
            end = i + 2
            while end < n and pattern[end] == "*":
                end += 1
            if not at_start or (end < n and pattern[end] not in _SEPARATORS):
                raise ValueError(f"{pattern!r}: '**' must be a whole path segment, as in 'numpy/**' or "
                                 "'**/libfoo.so' (use '*' within a name)")
            if end < n:  # "**/": any number of whole segments, each with its separator
                out.append("(?:.*[/!])?")
                i = end + 1
            else:  # trailing "**": anything below
                out.append(".*")
                i = end
            continue
        if char == "*":
            out.append(_NOT_SEPARATOR + "*")
        elif char == "?":
            out.append(_NOT_SEPARATOR)
        elif char == "[":
            cls, i = _char_class(pattern, i)
            out.append(cls)
            continue
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def _char_class(pattern: str, start: int) -> tuple[str, int]:
    """Translate the ``[...]`` at *start*; returns the regex and the index after it.

    An unclosed ``[`` is a literal bracket, as in ``fnmatch``.
    """
    j = start + 1
    if j < len(pattern) and pattern[j] in "!^":
        j += 1
    if j < len(pattern) and pattern[j] == "]":
        j += 1
    close = pattern.find("]", j)
    if close < 0:
        return re.escape("["), start + 1
    body = pattern[start + 1:close]
    negate = body[:1] in ("!", "^")
    if negate:
        body = body[1:]
    body = re.sub(r"([\\&~|\[^])", r"\\\1", body)
    if negate:
        return f"[^{body}/!]", close + 1
    return f"(?![/!])[{body}]", close + 1


def glob_matches(pattern: str, path: str) -> bool:
    """Whether *path* matches *pattern* under the rules in the module docstring."""
    regex = compile_glob(pattern)
    if not any(sep in pattern for sep in _SEPARATORS):
        path = re.split(r"[/!]", path)[-1]
    return regex.fullmatch(path) is not None
