"""A judge with memory: learned guidelines in its instructions (semantic memory) and the labelled
examples most like the item at hand shown with it (episodic memory), retrieved by BM25.

BM25 needs no model and no dependency; the index is built from the memory on first use and kept on
the judge, never in a module global.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from jurist._runtime import RUNTIME
from jurist.align._learned import item_text, sections_of
from jurist.entities import Feedback
from jurist.errors import ConfigError
from jurist.evaluation._labelled import LabelledExample, labelled_examples
from jurist.judges._base import Call, Judge, Unit
from jurist.judges._render import fence
from jurist.models import ChatRequest, Message, ResponseSchema

DEFAULT_RETRIEVAL_K = 4
_WORD = re.compile(r"\w+", re.UNICODE)
_K1, _B = 1.5, 0.75


@dataclass(frozen=True)
class MemoryItem:
    """One remembered labelled example: its text as the judge shows items, the verdict and why."""

    id: str
    text: str
    label: Any
    rationale: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "label": self.label, "rationale": self.rationale}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> MemoryItem:
        return cls(str(d["id"]), str(d["text"]), d.get("label"), d.get("rationale"))


def tokens(text: str) -> list[str]:
    return [t for t in _WORD.findall(text.lower()) if len(t) > 1]


class BM25:
    """Okapi BM25 over a fixed list of texts."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.docs = [Counter(tokens(t)) for t in texts]
        self.lengths = [sum(d.values()) for d in self.docs]
        self.avg = (sum(self.lengths) / len(self.lengths)) if self.lengths else 0.0
        df: Counter[str] = Counter()
        for d in self.docs:
            df.update(d.keys())
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}

    def top(self, query: str, k: int) -> list[int]:
        """The indices of the ``k`` best-matching texts, best first (ties by position)."""
        q = set(tokens(query))
        scores = []
        for i, (doc, length) in enumerate(zip(self.docs, self.lengths, strict=True)):
            s = 0.0
            for t in q:
                f = doc.get(t)
                if f:
                    s += self.idf[t] * f * (_K1 + 1) / (f + _K1 * (1 - _B + _B * length / (self.avg or 1)))
            scores.append((s, -i))
        ranked = sorted(range(len(scores)), key=lambda i: scores[i], reverse=True)
        return ranked[:k]


def memory_item(judge: Any, example: LabelledExample) -> MemoryItem:
    text = item_text(sections_of(judge, example))
    return MemoryItem(hashlib.sha256(text.encode("utf-8")).hexdigest()[:16], text, example.label, example.rationale)


class MemoryJudge(Judge):
    """A judge (``base``, whose instructions hold the learned guidelines) that shows the ``retrieval_k``
    remembered examples most like each item, with the people's verdicts, before the item itself.

    Example:
        >>> aligned = judge.align(labelled, optimizer=MemAlignOptimizer(model="openai:/gpt-4o"))  # doctest: +SKIP
        >>> len(aligned.memory), aligned.retrieval_k                                             # doctest: +SKIP
        (120, 4)
        >>> smaller = aligned.unalign(labelled[:10])                                             # doctest: +SKIP
    """

    def __init__(self, *, base: Judge, memory: Sequence[MemoryItem] = (), retrieval_k: int = DEFAULT_RETRIEVAL_K) -> None:
        if isinstance(base, MemoryJudge):
            raise ConfigError("a MemoryJudge's base is a plain judge, not another MemoryJudge")
        if not isinstance(retrieval_k, int) or isinstance(retrieval_k, bool) or retrieval_k < 0:
            raise ConfigError(f"retrieval_k must be a whole number of at least 0, got {retrieval_k!r}")
        self.base = base
        super().__init__(name=base.name, instructions=base.instructions, model=base.model,
                         feedback_value_type=base.feedback_value_type, inference_params=base.inference_params,
                         base_url=base.base_url, extra_headers=base.extra_headers, description=base.description,
                         aggregations=base.aggregations, max_field_chars=base.max_field_chars)
        self.arguments = base.arguments
        self.required = base.required  # type: ignore[misc]
        self.per_span = base.per_span  # type: ignore[misc]
        self.injection_defence = base.injection_defence
        self.memory: tuple[MemoryItem, ...] = tuple(memory)
        self.retrieval_k = retrieval_k
        self._index: BM25 | None = None

    # -- the prompt: the base judge's, with the nearest examples before the item ------------------
    def units(self, **kwargs: Any) -> list[Unit]:
        return self.base.units(**kwargs)

    def system_prompt(self) -> str:
        return self.base.system_prompt()

    def response_schema(self) -> ResponseSchema:
        return self.base.response_schema()

    def retrieve(self, unit: Unit) -> list[MemoryItem]:
        """The remembered examples most like the unit's item, best first."""
        if not self.memory or self.retrieval_k == 0:
            return []
        if self._index is None:
            self._index = BM25([m.text for m in self.memory])
        query = "\n".join(text for _, text in unit.sections)
        return [self.memory[i] for i in self._index.top(query, self.retrieval_k)]

    def request(self, unit: Unit, overrides: Mapping[str, Any] | None = None) -> ChatRequest:
        req = self.base.request(unit, overrides)
        found = self.retrieve(unit)
        if not found:
            return req
        shown = []
        for i, m in enumerate(found, 1):
            why = f"\nWhy: {m.rationale}" if m.rationale else ""
            shown.append(f"Example {i}\n{m.text}\nPeople's verdict: {m.label}{why}")
        block = fence("\n\n".join(shown), ("examples", "example"))
        intro = ("Items people judged before, the most similar first. Where the item below is alike, "
                 "judge it as they did.")
        system, user = req.messages[0], req.messages[-1]
        content = f"<examples>\n{intro}\n\n{block}\n</examples>\n\n{user.content}"
        return dataclasses.replace(req, messages=(system, *req.messages[1:-1], Message("user", content)))

    def calls(self, unit: Unit) -> list[Call]:
        return self.base.calls(unit)

    def reduce(self, unit: Unit, calls: Sequence[Call], feedbacks: Sequence[Feedback]) -> Feedback:
        return self.base.reduce(unit, calls, feedbacks)

    async def judge_unit(self, unit: Unit) -> Feedback:
        if unit.trace is not None:  # a long trace is explored with tools: the base judge does that
            return await self.base.judge_unit(unit)
        return await super().judge_unit(unit)

    # -- calling with whatever the base judge takes (pairwise judges take outputs_a/outputs_b) ------
    async def acall(self, **kwargs: Any) -> Any:
        feedbacks = await self._run(**kwargs)
        return feedbacks if self.per_span else feedbacks[0]

    def __call__(self, **kwargs: Any) -> Any:
        return RUNTIME.run(self.acall(**kwargs))

    # -- memory -----------------------------------------------------------------------------------
    def with_memory(self, items: Sequence[MemoryItem], base: Judge | None = None) -> MemoryJudge:
        """A new MemoryJudge with ``items`` added (an item already remembered is kept once)."""
        merged = {m.id: m for m in self.memory}
        for m in items:
            merged.setdefault(m.id, m)
        return MemoryJudge(base=base or self.base, memory=list(merged.values()), retrieval_k=self.retrieval_k)

    def unalign(self, examples: Any) -> MemoryJudge:
        """A new MemoryJudge that no longer remembers ``examples`` (rows, traces or labelled examples as
        :meth:`Judge.align` takes them); the learned guidelines stay."""
        found = labelled_examples(examples, self.name, pairwise="outputs_a" in self.arguments)
        gone = {memory_item(self.base, e).id for e in found}
        return MemoryJudge(base=self.base, memory=[m for m in self.memory if m.id not in gone],
                           retrieval_k=self.retrieval_k)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "MemoryJudge", "name": self.name, "base": self.base.to_dict(),
                "retrieval_k": self.retrieval_k, "memory": [m.to_dict() for m in self.memory]}

    def __repr__(self) -> str:
        return f"MemoryJudge(name={self.name!r}, model={self.model!r}, memory={len(self.memory)})"


def memory_from_dict(data: Mapping[str, Any]) -> MemoryJudge:
    from jurist.judges._make_judge import judge_from_dict

    if not isinstance(data.get("base"), Mapping):
        raise ConfigError("a MemoryJudge's data needs 'base': the data of the judge it wraps")
    return MemoryJudge(base=judge_from_dict(data["base"]),
                       memory=[MemoryItem.from_dict(m) for m in data.get("memory") or []],
                       retrieval_k=int(data.get("retrieval_k", DEFAULT_RETRIEVAL_K)))
