"""What alignment adds to a judge's instructions: rules learned from people, and demonstrations.

The learned part is one block after the judge's own instructions, opened by :data:`LEARNED_HEADING`, so
aligning again replaces it instead of stacking a second one, and the judge stays plain data (its
instructions are text, its kind is unchanged).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from jurist.evaluation._labelled import LabelledExample
from jurist.judges._render import fence

LEARNED_HEADING = "## Learned from human labels"
#: The most characters of one item shown as a demonstration or a remembered example.
ITEM_CHARS = 1000
_TEMPLATE = re.compile(r"({{|}}|{%|%})")


def own_instructions(instructions: str) -> str:
    """The instructions without a block learned earlier."""
    head, _, _ = instructions.partition(f"\n\n{LEARNED_HEADING}")
    return head.rstrip()


def learned_rules(instructions: str) -> list[str]:
    """The rules of the learned block, as a list (empty when there is none)."""
    _, found, tail = instructions.partition(f"\n\n{LEARNED_HEADING}")
    if not found:
        return []
    rules_part = tail.split("\n\n### ", 1)[0]
    return [line[2:].strip() for line in rules_part.splitlines() if line.startswith("- ")]


def _untemplated(text: str) -> str:
    """Text that cannot be read as a template variable or block of ``make_judge`` instructions."""
    return _TEMPLATE.sub(lambda m: " ".join(m.group(1)), text)


def item_text(sections: Sequence[tuple[str, str]], limit: int = ITEM_CHARS) -> str:
    """An item's prompt sections as ``tag: text`` lines, each value cut to ``limit`` characters."""
    lines = []
    for tag, text in sections:
        t = text if len(text) <= limit else text[:limit] + " …[cut]"
        lines.append(f"{tag}: {t}")
    return "\n".join(lines)


def sections_of(judge: Any, example: LabelledExample) -> tuple[tuple[str, str], ...]:
    """The prompt sections the judge would show for ``example`` (its first unit's)."""
    units = judge.units(**{k: example.args.get(k) for k in judge.arguments if k in example.args})
    return tuple(units[0].sections) if units else ()


def demonstration(judge: Any, example: LabelledExample) -> str:
    why = f"\nWhy: {example.rationale}" if example.rationale else ""
    return f"{item_text(sections_of(judge, example))}\nPeople's verdict: {example.label}{why}"


def learned_block(rules: Sequence[str], demonstrations: Sequence[str]) -> str:
    if not rules and not demonstrations:
        return ""
    parts = [LEARNED_HEADING, "People who checked this judge's verdicts hold to these rules; follow them."]
    parts.append("\n".join(f"- {r.strip()}" for r in rules if r.strip()))
    for i, d in enumerate(demonstrations, 1):
        parts.append(f"### Example {i} judged by people\n{d}")
    text = "\n\n".join(p for p in parts if p)
    return _untemplated(fence(text, ("examples", "example")))


def with_learned(judge: Any, rules: Sequence[str], demonstrations: Sequence[str] = ()) -> Any:
    """A new judge like ``judge`` whose instructions end with the learned rules and demonstrations (any
    learned block it had is replaced). ``judge`` itself is not changed."""
    from jurist.judges._make_judge import judge_from_dict

    block = learned_block(rules, demonstrations)
    text = own_instructions(judge.instructions)
    data = {**judge.to_dict(), "instructions": f"{text}\n\n{block}" if block else text}
    new = judge_from_dict(data)
    new.extra_headers = dict(getattr(judge, "extra_headers", {}) or {})
    return new
