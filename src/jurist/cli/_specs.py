"""Scorer specs, as ``--scorer`` takes them, turned into built-in judges.

A spec is ``[NAME=]JUDGE[:TEXT]``:

- ``JUDGE`` is a built-in judge's scorer name (its ``default_name``: ``correctness``,
  ``relevance_to_query``, ``safety``, ``guidelines`` …); its class name (``RelevanceToQuery``) and
  dashes for underscores (``relevance-to-query``) are accepted too.
- ``:TEXT`` gives a guideline, for the judges that take ``guidelines=`` (``guidelines``,
  ``conversational_guidelines``). Several specs for the same judge and name are merged into *one*
  judge with a list of guidelines, which passes only when the answer meets them all (as
  ``Guidelines(guidelines=[...])`` does).
- ``NAME=`` names the scorer (its metrics are ``NAME/pass_rate`` …). Give guidelines different names
  to judge each on its own: ``english=guidelines:Answer in English`` and ``polite=guidelines:Be polite``.

Example:
    >>> judges = build_scorers(["correctness", "guidelines:Answer in English"])  # doctest: +SKIP
    >>> [j.name for j in judges]                                                  # doctest: +SKIP
    ['correctness', 'guidelines']
"""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jurist.errors import ConfigError

if TYPE_CHECKING:
    from jurist.judges import Judge

#: The scorers ``jurist evaluate`` runs when no ``--scorer`` is given.
DEFAULT_SCORERS: tuple[str, ...] = ("correctness", "relevance_to_query", "safety")

_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")


@dataclass(frozen=True)
class ScorerSpec:
    """One parsed ``--scorer`` value."""

    judge: str
    name: str | None = None
    text: str | None = None


def judge_classes() -> dict[str, type[Judge]]:
    """Every built-in judge class by its scorer name (``default_name``), in the order of ``BUILTIN``."""
    from jurist.judges import builtin_judges

    return {getattr(cls, "default_name", "") or name: cls for name, cls in builtin_judges().items()}


def takes_guidelines(cls: type[Judge]) -> bool:
    """Whether the judge is built with ``guidelines=`` (and so takes ``JUDGE:TEXT`` specs)."""
    return "guidelines" in inspect.signature(cls).parameters


def _key(name: str) -> str:
    return name.strip().lower().replace("-", "_")


def resolve(judge: str, classes: dict[str, type[Judge]]) -> str:
    """The scorer name ``judge`` refers to; ConfigError naming the known scorers if none."""
    key = _key(judge)
    for scorer_name, cls in classes.items():
        if key in (scorer_name, cls.__name__.lower()):
            return scorer_name
    known = list(classes)
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    raise ConfigError(f"unknown scorer {judge.strip()!r}.{hint} Known scorers: {', '.join(known)}.")


def parse_spec(spec: str) -> ScorerSpec:
    """Split ``[NAME=]JUDGE[:TEXT]``; the judge name is not checked here (see :func:`build_scorers`)."""
    head, colon, text = spec.partition(":")
    name: str | None = None
    if "=" in head:
        name, _, head = head.partition("=")
        name = name.strip()
        if not _NAME.match(name):
            raise ConfigError(
                f"scorer name {name!r} in --scorer {spec!r} may use only letters, digits, '_', '-' and '.'"
            )
    if not head.strip():
        raise ConfigError(f"--scorer {spec!r} names no judge; write e.g. 'correctness' or 'guidelines:TEXT'")
    if colon and not text.strip():
        raise ConfigError(f"--scorer {spec!r} has no text after ':'; write e.g. 'guidelines:Answer in English'")
    return ScorerSpec(judge=head.strip(), name=name, text=text.strip() if colon else None)


def build_scorers(specs: Sequence[str], *, model: str | None = None) -> list[Judge]:
    """The judges for ``specs`` (see the module docstring), each on ``model`` when given.

    Raises:
        ConfigError: an unknown judge (the message lists the known ones), text for a judge that takes
            none, a guideline judge without text, or two different scorers with the same name.
    """
    classes = judge_classes()
    guideline_judges = [n for n, c in classes.items() if takes_guidelines(c)]
    # (scorer name) -> (judge, guideline texts); dicts keep the order the specs came in.
    wanted: dict[str, tuple[str, list[str]]] = {}
    for raw in specs:
        spec = parse_spec(raw)
        judge = resolve(spec.judge, classes)
        name = spec.name or judge
        if judge in guideline_judges:
            if spec.text is None:
                raise ConfigError(
                    f"scorer {judge!r} needs the guideline to judge by: --scorer '{judge}:TEXT', "
                    f"e.g. '{judge}:Answer in English'"
                )
        elif spec.text is not None:
            raise ConfigError(
                f"scorer {judge!r} takes no text after ':' (only {', '.join(guideline_judges)} do); "
                f"got --scorer {raw!r}"
            )
        if name in wanted and wanted[name][0] != judge:
            raise ConfigError(
                f"two scorers are named {name!r} ({wanted[name][0]} and {judge}); "
                f"name one with --scorer 'NAME={judge}...'"
            )
        texts = wanted.setdefault(name, (judge, []))[1]
        if spec.text is not None and spec.text not in texts:
            texts.append(spec.text)

    judges: list[Judge] = []
    for name, (judge, texts) in wanted.items():
        cls = classes[judge]
        if texts:
            guidelines: str | list[str] = texts[0] if len(texts) == 1 else texts
            judges.append(cls(name=name, model=model, guidelines=guidelines))  # type: ignore[call-arg]
        else:
            judges.append(cls(name=name, model=model))  # type: ignore[call-arg]
    return judges
