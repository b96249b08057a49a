"""Alignment optimizers: the :class:`AlignmentOptimizer` interface and the two built in.

- :class:`InstructionOptimizer` (also ``SIMBAAlignmentOptimizer``): on mini-batches, finds where the judge
  and the people disagree, asks the optimizer model for revised rules and for demonstrations picked from
  the labelled examples, and keeps a candidate only when agreement on a validation split improves.
- :class:`MemoryOptimizer` (also ``MemAlignOptimizer``): distils guidelines from the people's rationales
  (semantic memory) and remembers the labelled examples, the most similar of which the judge is shown at
  judge time (episodic memory).

Neither changes the judge it is given: each returns a new one.
"""

from __future__ import annotations

import json
import random
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from jurist._runtime import RUNTIME
from jurist.align._learned import (
    demonstration,
    item_text,
    learned_rules,
    own_instructions,
    sections_of,
    with_learned,
)
from jurist.align._memory import DEFAULT_RETRIEVAL_K, MemoryJudge, memory_item
from jurist.errors import ConfigError, JuristError
from jurist.evaluation._labelled import LabelledExample, normalise_label, split_by_prompt
from jurist.models import ChatRequest, Message, ModelClient, ResponseSchema

#: Called as ``(what, done, total)`` while an optimizer works ("judging", "optimizing" …).
Progress = Callable[[str, int, int], None]


class AlignmentError(JuristError):
    """An alignment step failed (the optimizer model's call, or its answer); the judge is unchanged."""

    code = "ALIGNMENT_ERROR"


class AlignmentOptimizer(ABC):
    """Turns a judge and labelled examples into a new judge that agrees more with people.

    Implement :meth:`align`; ``examples`` are the training part of the labelled data (the held-out part is
    kept from the optimizer), each a :class:`LabelledExample` with the judge's ``args``, the person's
    ``label`` and ``rationale``. Return a new judge; never change the one given.

    Example:
        >>> class KeepAsIs(AlignmentOptimizer):
        ...     def align(self, judge, examples):
        ...         return judge
    """

    #: Set by ``align`` to report progress; optimizers may call it.
    on_progress: Progress | None = None

    @abstractmethod
    def align(self, judge: Any, examples: list[LabelledExample]) -> Any:
        """A new judge aligned on ``examples``."""

    def usage(self) -> dict[str, Any]:
        """What the last :meth:`align` cost (calls, tokens, dollars); empty when not counted."""
        return {}


def _prompt(name: str) -> str:
    return resources.files("jurist.align").joinpath("prompts", f"{name}.md").read_text(encoding="utf-8").strip()


@dataclass
class _Usage:
    optimizer_calls: int = 0
    judge_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0

    def add_feedback(self, feedbacks: Sequence[Any]) -> None:
        for fb in feedbacks:
            self.judge_calls += 1
            m = fb.metadata or {}
            self.input_tokens += m.get("input_tokens") or 0
            self.output_tokens += m.get("output_tokens") or 0
            self.cost_usd += m.get("cost_usd") or 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"optimizer_calls": self.optimizer_calls, "judge_calls": self.judge_calls,
                "input_tokens": self.input_tokens, "output_tokens": self.output_tokens,
                "cost_usd": round(self.cost_usd, 6)}


class _ModelOptimizer(AlignmentOptimizer):
    """What both built-in optimizers share: the optimizer model, its calls, and judging batches."""

    def __init__(self, model: str | None, concurrency: int | None, base_url: str | None = None) -> None:
        self.model = str(model) if model else None
        self.base_url = base_url
        self.concurrency = concurrency
        self._usage = _Usage()

    def usage(self) -> dict[str, Any]:
        return self._usage.to_dict()

    def _progress(self, what: str, done: int, total: int) -> None:
        if self.on_progress is not None:
            self.on_progress(what, done, total)

    async def _ask(self, model: str, system: str, user: str, schema: dict[str, Any]) -> dict[str, Any]:
        """One call of the optimizer model, its JSON answer; any failure is an AlignmentError."""
        request = ChatRequest(messages=(Message("system", system), Message("user", user)),
                              response_schema=ResponseSchema(name="proposal", schema=schema),
                              params={"temperature": 0, "seed": 0})
        try:
            resp = await ModelClient(model, base_url=self.base_url).chat(request)
        except ConfigError:
            raise
        except JuristError as e:
            raise AlignmentError(f"the optimizer model {model!r} failed ({type(e).__name__}: {e}); the judge is "
                                 f"unchanged. Check the model URI and its key, or retry") from e
        self._usage.optimizer_calls += 1
        self._usage.input_tokens += resp.usage.input_tokens or 0
        self._usage.output_tokens += resp.usage.output_tokens or 0
        self._usage.cost_usd += resp.cost_usd or 0.0
        text = (resp.text or "").strip()
        if text.startswith("```"):
            text = text.strip("`").removeprefix("json").strip()
        try:
            data = json.loads(text)
        except ValueError:
            start, end = text.find("{"), text.rfind("}")
            try:
                data = json.loads(text[start:end + 1]) if start >= 0 < end else None
            except ValueError:
                data = None
        if not isinstance(data, dict):
            raise AlignmentError(f"the optimizer model {model!r} did not answer with a JSON object (it said "
                                 f"{text[:200]!r}); the judge is unchanged. Use a stronger optimizer model")
        return data

    async def _judge(self, judge: Any, examples: Sequence[LabelledExample], what: str) -> list[Any]:
        from jurist.evaluation._meta import judge_examples

        fbs = await judge_examples(judge, examples, concurrency=self.concurrency,
                                   on_progress=lambda d, t: self._progress(what, d, t))
        self._usage.add_feedback(fbs)
        return fbs


def _agrees(judge: Any, example: LabelledExample, fb: Any) -> bool:
    if fb.error is not None or fb.value is None:
        return False
    return bool(normalise_label(fb.value, "outputs_a" in judge.arguments) == example.label)


def quick_score(judge: Any, examples: Sequence[LabelledExample], feedbacks: Sequence[Any]) -> tuple[float, float]:
    """(balanced accuracy, accuracy) of the feedback, a failed judgment counting as a disagreement."""
    by_class: dict[str, list[bool]] = {}
    for ex, fb in zip(examples, feedbacks, strict=True):
        by_class.setdefault(repr(ex.label), []).append(_agrees(judge, ex, fb))
    if not by_class:
        return 0.0, 0.0
    balanced = sum(sum(v) / len(v) for v in by_class.values()) / len(by_class)
    hits = [h for v in by_class.values() for h in v]
    return round(balanced, 6), round(sum(hits) / len(hits), 6)


def _strings(value: Any, limit: int, instructions: str = "") -> list[str]:
    """The proposed rules, each once (a small optimizer model repeats itself), without one that only restates
    the judge's own instructions, at most ``limit``."""
    if not isinstance(value, list):
        return []
    own = " ".join(own_instructions(instructions).lower().split())
    seen: dict[str, str] = {}
    for v in value:
        if not isinstance(v, (str, int, float)):
            continue
        text = str(v).strip()
        key = " ".join(text.lower().split())
        if text and key not in seen and not (own and key in own):
            seen[key] = text
    return list(seen.values())[:limit]


class InstructionOptimizer(_ModelOptimizer):
    """Revises a judge's rules and demonstrations where it disagrees with people (SIMBA-like).

    Each of ``max_rounds`` rounds judges a mini-batch of ``batch_size`` training examples, shows the
    optimizer model the disagreements, and asks it for the revised rules and up to ``max_demonstrations``
    demonstrations; the candidate judge is kept only when its balanced accuracy on a validation split (a
    ``validation_fraction`` of the training examples, split by prompt) beats the best so far. At most
    ``max_rounds`` optimizer calls and ``(max_rounds + 1) × validation + max_rounds × batch_size`` judge
    calls.

    ``model`` is the optimizer model's URI (default: the judge's own model).

    Example:
        >>> aligned = judge.align(labelled, optimizer=InstructionOptimizer(model="openai:/gpt-4o"))  # doctest: +SKIP
    """

    def __init__(self, model: str | None = None, *, max_rounds: int = 4, batch_size: int = 8,
                 max_demonstrations: int = 3, max_rules: int = 8, validation_fraction: float = 0.35, seed: int = 0,
                 concurrency: int | None = None, base_url: str | None = None) -> None:
        for name, v in (("max_rounds", max_rounds), ("batch_size", batch_size)):
            if not isinstance(v, int) or v < 1:
                raise ConfigError(f"{name} must be a whole number of at least 1, got {v!r}")
        super().__init__(model, concurrency, base_url)
        self.max_rounds = max_rounds
        self.batch_size = batch_size
        self.max_demonstrations = max(0, int(max_demonstrations))
        self.max_rules = max(1, int(max_rules))
        self.validation_fraction = validation_fraction
        self.seed = seed
        #: Per round: the validation score of the candidate and whether it was kept.
        self.history: list[dict[str, Any]] = []

    def align(self, judge: Any, examples: list[LabelledExample]) -> Any:
        return RUNTIME.run(self.aalign(judge, examples))

    def _user(self, judge: Any, rules: Sequence[str], misses: Sequence[tuple[LabelledExample, Any]],
              pool: Sequence[LabelledExample]) -> str:
        parts = [f"<instructions>\n{own_instructions(judge.instructions)}\n</instructions>",
                 "<rules>\n" + ("\n".join(f"- {r}" for r in rules) or "(none yet)") + "\n</rules>"]
        shown = []
        for ex, fb in misses:
            said = f"error: {fb.error.error_message}" if fb.error is not None else f"{fb.value}"
            why = f"\nThe judge's reason: {fb.rationale}" if fb.rationale else ""
            people = f"\nThe people's reason: {ex.rationale}" if ex.rationale else ""
            shown.append(f"{item_text(sections_of(judge, ex))}\nThe judge said: {said}{why}\n"
                         f"The people said: {ex.label}{people}")
        parts.append("<disagreements>\n" + "\n\n".join(shown) + "\n</disagreements>")
        listed = [f"[{i}] {demonstration(judge, ex)}" for i, ex in enumerate(pool, 1)]
        parts.append("<pool>\n" + "\n\n".join(listed) + "\n</pool>")
        return "\n\n".join(parts)

    async def aalign(self, judge: Any, examples: list[LabelledExample]) -> Any:
        self._usage = _Usage()
        self.history = []
        model = self.model or judge.model
        opt, val = split_by_prompt(examples, self.validation_fraction, salt="jurist-align-validation")
        if not val or not opt:
            opt = val = list(examples)
        best = judge
        best_score = quick_score(judge, val, await self._judge(judge, val, "validating"))
        rules = learned_rules(judge.instructions)
        order = list(opt)
        random.Random(self.seed).shuffle(order)
        system = _prompt("instruction_optimizer").format(max_rules=self.max_rules,
                                                         max_demonstrations=self.max_demonstrations)
        schema = {"type": "object", "properties": {
            "rules": {"type": "array", "items": {"type": "string"}},
            "demonstrations": {"type": "array", "items": {"type": "integer"}}}, "required": ["rules", "demonstrations"]}
        start = 0
        for round_no in range(1, self.max_rounds + 1):
            if best_score[0] >= 1.0:  # nothing left to gain on the validation split
                break
            self._progress("optimizing", round_no - 1, self.max_rounds)
            batch = [order[(start + i) % len(order)] for i in range(min(self.batch_size, len(order)))]
            start += len(batch)
            fbs = await self._judge(best, batch, "judging")
            misses = [(ex, fb) for ex, fb in zip(batch, fbs, strict=True) if not _agrees(best, ex, fb)]
            if not misses:
                self.history.append({"round": round_no, "disagreements": 0, "kept": False})
                continue
            answer = await self._ask(model, system, self._user(best, rules, misses, batch), schema)
            new_rules = _strings(answer.get("rules"), self.max_rules, judge.instructions)
            picks = [int(p) for p in answer.get("demonstrations") or [] if isinstance(p, int) and 1 <= p <= len(batch)]
            demos = [demonstration(judge, batch[p - 1]) for p in dict.fromkeys(picks)][: self.max_demonstrations]
            if not new_rules and not demos:
                self.history.append({"round": round_no, "disagreements": len(misses), "kept": False})
                continue
            candidate = with_learned(judge, new_rules, demos)
            score = quick_score(candidate, val, await self._judge(candidate, val, "validating"))
            kept = score > best_score
            self.history.append({"round": round_no, "disagreements": len(misses), "validation": score[0],
                                 "kept": kept})
            if kept:
                best, best_score, rules = candidate, score, new_rules
        self._progress("optimizing", self.max_rounds, self.max_rounds)
        return best


class MemoryOptimizer(_ModelOptimizer):
    """Aligns a judge with two memories (MemAlign-like): guidelines distilled from the people's rationales
    by the optimizer model (semantic), and the labelled examples themselves, ``retrieval_k`` of which,
    the most similar by BM25, are shown with each item at judge time (episodic).

    It calls the optimizer model at most ``max_calls`` times (``batch_size`` examples each) and never
    the judge. Aligning a :class:`MemoryJudge` again adds to its memory; :meth:`unalign` removes examples.

    ``model`` (MLflow's ``reflection_lm``) is the optimizer model's URI (default: the judge's own model).

    Example:
        >>> aligned = judge.align(labelled, optimizer=MemoryOptimizer(model="openai:/gpt-4o"))  # doctest: +SKIP
        >>> aligned.to_dict()["memory"][0]["label"]                                          # doctest: +SKIP
        'no'
    """

    def __init__(self, model: str | None = None, *, retrieval_k: int = DEFAULT_RETRIEVAL_K, max_rules: int = 8,
                 batch_size: int = 12, max_calls: int = 3, reflection_lm: str | None = None,
                 concurrency: int | None = None, base_url: str | None = None) -> None:
        super().__init__(model or reflection_lm, concurrency, base_url)
        if not isinstance(retrieval_k, int) or retrieval_k < 0:
            raise ConfigError(f"retrieval_k must be a whole number of at least 0, got {retrieval_k!r}")
        self.retrieval_k = retrieval_k
        self.max_rules = max(1, int(max_rules))
        self.batch_size = max(1, int(batch_size))
        self.max_calls = max(0, int(max_calls))

    def align(self, judge: Any, examples: list[LabelledExample]) -> Any:
        return RUNTIME.run(self.aalign(judge, examples))

    async def aalign(self, judge: Any, examples: list[LabelledExample]) -> MemoryJudge:
        self._usage = _Usage()
        base = judge.base if isinstance(judge, MemoryJudge) else judge
        model = self.model or base.model
        guidelines = learned_rules(base.instructions)
        # The examples with a reason say most about how people judge: they go first.
        ordered = sorted(examples, key=lambda e: (e.rationale is None, e.key))
        batches = [ordered[i:i + self.batch_size] for i in range(0, len(ordered), self.batch_size)][: self.max_calls]
        system = _prompt("memory_optimizer").format(max_rules=self.max_rules)
        schema = {"type": "object", "properties": {"guidelines": {"type": "array", "items": {"type": "string"}}},
                  "required": ["guidelines"]}
        for i, batch in enumerate(batches):
            self._progress("distilling", i, len(batches))
            user = "\n\n".join([
                f"<instructions>\n{own_instructions(base.instructions)}\n</instructions>",
                "<guidelines>\n" + ("\n".join(f"- {g}" for g in guidelines) or "(none yet)") + "\n</guidelines>",
                "<items>\n" + "\n\n".join(demonstration(base, ex) for ex in batch) + "\n</items>"])
            answer = await self._ask(model, system, user, schema)
            guidelines = _strings(answer.get("guidelines"), self.max_rules, base.instructions) or guidelines
        self._progress("distilling", len(batches), len(batches))
        new_base = with_learned(base, guidelines)
        items = [memory_item(new_base, e) for e in examples]
        if isinstance(judge, MemoryJudge):
            aligned = judge.with_memory(items, base=new_base)
            aligned.retrieval_k = self.retrieval_k
            return aligned
        return MemoryJudge(base=new_base, memory=items, retrieval_k=self.retrieval_k)

    def unalign(self, judge: MemoryJudge, examples: Any) -> MemoryJudge:
        """``judge`` without the memory of ``examples`` (MLflow's ``optimizer.unalign(judge, traces)``)."""
        if not isinstance(judge, MemoryJudge):
            raise ConfigError(f"unalign takes a judge aligned by the memory optimizer, got {type(judge).__name__}")
        return judge.unalign(examples)


#: MLflow's names.
SIMBAAlignmentOptimizer = InstructionOptimizer
MemAlignOptimizer = MemoryOptimizer
