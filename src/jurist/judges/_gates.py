"""The literal words a regular expression needs, read from its parse tree: a cheap test before the search.

A pattern such as ``\\b(?:ignore|forget)\\b.{0,40}(?:previous|prior)`` can only match a text that holds
``ignore`` or ``forget``, and ``previous`` or ``prior``. :func:`gate` derives those sets of words from
the pattern's parse tree (``re._parser``), lower-cased, so that ``word in text.lower()`` decides, for
most texts, that the search cannot match without running it. A gate is sound, never exact: it may open
for a text the pattern does not match, never stay closed for one it does, as long as the text holds no
character of :func:`odd_chars` (where ``str.lower()`` and the pattern's IGNORECASE matching part ways).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, TypeGuard

try:  # Python 3.11+
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser as _p  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python 3.10
    import sre_constants as _c
    import sre_parse as _p

#: A pattern's gate: every set must have a word in the lower-cased text, else the pattern cannot match.
Gate = tuple[frozenset[str], ...]

#: The most strings a set of exact spellings is grown to before it is cut into separate requirements.
_MAX_EXACT = 256
#: The widest character range read as its characters (``[A-F]``).
_MAX_RANGE = 32


def plain(ch: str) -> bool:
    """A character whose ``str.lower()`` is one character whatever stands around it (not ``İ``, ``Σ``)."""
    low = ch.lower()
    return len(low) == 1 and f"a{ch}".lower()[1:] == low and f"a{ch} ".lower()[1:-1] == low


class _Info:
    """What a piece of a pattern matches: its exact spellings (None: too many, or unknown), and the sets
    of words it needs (each set: one of its words is in any text the piece matches)."""

    __slots__ = ("exact", "needs")

    def __init__(self, exact: frozenset[str] | None, needs: list[frozenset[str]] | None = None) -> None:
        self.exact = exact
        self.needs = needs or []


def _score(words: frozenset[str]) -> tuple[int, int]:
    """How selective a set is: longer shortest word first (in UTF-8 bytes: a word of two Chinese
    characters is rarer than one of two Latin letters), then fewer words."""
    return (min(len(w.encode()) for w in words), -len(words))


def _useful(words: frozenset[str] | None) -> TypeGuard[frozenset[str]]:
    """A set that says something: a text always holds the empty word."""
    return words is not None and bool(words) and "" not in words


def _best(info: _Info) -> frozenset[str] | None:
    sets = [*info.needs, *([info.exact] if info.exact is not None and _useful(info.exact) else [])]
    return max(sets, key=_score) if sets else None


def _chars(items: Iterable[tuple[Any, Any]]) -> frozenset[str] | None:
    """The characters of a class ``[...]`` lower-cased, or None when it is negated, a category or wide."""
    out: set[str] = set()
    for op, av in items:
        if op is _c.LITERAL:
            chars = [chr(av)]
        elif op is _c.RANGE and av[1] - av[0] < _MAX_RANGE:
            chars = [chr(c) for c in range(av[0], av[1] + 1)]
        else:
            return None
        if not all(plain(ch) for ch in chars):
            return None
        out.update(ch.lower() for ch in chars)
    return frozenset(out)


def _seq(items: Iterable[tuple[Any, Any]]) -> _Info:
    needs: list[frozenset[str]] = []
    cur: frozenset[str] | None = frozenset({""})
    whole = True
    for op, av in items:
        part = _node(op, av)
        needs += part.needs
        if cur is not None and part.exact is not None and len(cur) * len(part.exact) <= _MAX_EXACT:
            cur = frozenset(a + b for a in cur for b in part.exact)
            continue
        whole = False
        if _useful(cur):
            needs.append(cur)
        cur = part.exact
    if not whole and _useful(cur):
        needs.append(cur)
    return _Info(cur if whole else None, needs)


def _node(op: Any, av: Any) -> _Info:
    if op is _c.LITERAL:
        ch = chr(av)
        return _Info(frozenset({ch.lower()}) if plain(ch) else None)
    if op is _c.IN:
        return _Info(_chars(av))
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        return _Info(frozenset({""}))  # matches no character of the text
    if op is _c.SUBPATTERN:
        return _seq(av[-1])
    if op is _c.BRANCH:
        alternatives = [_seq(alt) for alt in av[1]]
        exact: frozenset[str] | None = None
        if all(a.exact is not None for a in alternatives):
            exact = frozenset().union(*(a.exact for a in alternatives if a.exact is not None))
            if len(exact) > _MAX_EXACT:
                exact = None
        bests = [b for b in map(_best, alternatives) if b is not None]
        needs = [frozenset().union(*bests)] if exact is None and len(bests) == len(alternatives) else []
        return _Info(exact, needs)
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
        lo, hi, body = av
        part = _seq(body)
        if lo == 0:
            return _Info(frozenset({"", *part.exact}) if part.exact is not None and hi == 1 else None)
        best = _best(part)
        return _Info(part.exact if lo == hi == 1 else None, [best] if best is not None else [])
    return _Info(None)  # any character, a category, a back-reference: nothing known


def minimal(words: frozenset[str]) -> frozenset[str]:
    """The words that hold no other word of the set: a text holds one of them exactly when it holds one
    of the set (``grader`` is in every text that holds ``graders``)."""
    return frozenset(w for w in words if not any(v != w and v in w for v in words))


def _trie(words: list[str]) -> str:
    if "" in words:
        return ""
    heads: dict[str, list[str]] = {}
    for w in sorted(words):
        heads.setdefault(w[0], []).append(w[1:])
    alts = [re.escape(head) + _trie(rest) for head, rest in heads.items()]
    return alts[0] if len(alts) == 1 else f"(?:{'|'.join(alts)})"


def matcher(words: Iterable[str]) -> re.Pattern[str]:
    """A pattern that finds any of ``words`` (case-sensitive: give lower-cased text), written as a trie:
    a search tries a few first letters at each place instead of every word (an empty set: never)."""
    words = sorted(minimal(frozenset(words)))
    return re.compile(_trie(words) if words else r"\A(?!)")  # \A: a search tries the start alone


def gate(pattern: str | re.Pattern[str], flags: int = 0) -> Gate:
    """The sets of lower-cased words ``pattern`` needs, most selective first (empty: nothing known).

    Example:
        >>> [sorted(words) for words in gate(r"\\b(?:ignore|forget)\\b.{0,40}previous")]
        [['previous'], ['forget', 'ignore']]
    """
    source, flags = (pattern.pattern, pattern.flags) if isinstance(pattern, re.Pattern) else (pattern, flags)
    info = _seq(_p.parse(source, flags))
    sets = {minimal(s) for s in [*info.needs, *([info.exact] if _useful(info.exact) else [])]}
    return tuple(sorted(sets, key=lambda s: (_score(s), sorted(s)), reverse=True))


def literal_chars(pattern: str | re.Pattern[str], flags: int = 0) -> frozenset[str]:
    """Every character the pattern names as a literal (in a class too): what a gate's words are made of."""
    source, flags = (pattern.pattern, pattern.flags) if isinstance(pattern, re.Pattern) else (pattern, flags)
    out: set[str] = set()

    def walk(items: Iterable[tuple[Any, Any]]) -> None:
        for op, av in items:
            if op is _c.LITERAL:
                out.add(chr(av))
            elif op is _c.IN:
                for iop, iav in av:
                    if iop is _c.LITERAL:
                        out.add(chr(iav))
                    elif iop is _c.RANGE and iav[1] - iav[0] < _MAX_RANGE:
                        out.update(chr(c) for c in range(iav[0], iav[1] + 1))
            elif op is _c.SUBPATTERN:
                walk(av[-1])
            elif op is _c.BRANCH:
                for alt in av[1]:
                    walk(alt)
            elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", None)):
                walk(av[2])
            elif op in (_c.ASSERT, _c.ASSERT_NOT):
                walk(av[1])

    walk(_p.parse(source, flags))
    return frozenset(out)


def odd_chars(literals: Iterable[str], flags: int = re.IGNORECASE) -> frozenset[str]:
    """The characters of all of Unicode that a pattern literal of ``literals`` matches under ``flags``
    while ``str.lower()`` does not turn them into that literal's lower case (``ſ`` matches ``s``, ``İ``
    matches ``i``): a text that holds one is searched without gates. Slow (a pass over all of Unicode
    per literal): for tests, and to write down the set a module keeps."""
    universe = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    odd: set[str] = set()
    for ch in {c for c in literals if plain(c)}:
        for t in re.findall(re.escape(ch), universe, flags):
            if not (plain(t) and plain(ch) and t.lower() == ch.lower()):
                odd.add(t)
    return frozenset(odd)
