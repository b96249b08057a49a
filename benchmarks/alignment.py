"""Aligning the embedded local judge with people: agreement before and after each optimizer, on held-out items.

Reads ``../shared/data/`` (or ``--data``), one labelled set at a time:

- ``halueval``: HaluEval "general" (ChatGPT answers to Alpaca instructions, a person's hallucination
  label, and the hallucinated spans, used as the people's rationale). Judged for correctness without a
  reference: ``yes`` unless the answer states something false or made up.
- ``faithdial``: FaithDial's audit (BEGIN labels of dialogue responses against a knowledge snippet),
  judged for groundedness. Grounded = entailment/uncooperative, not grounded = (partial) hallucination;
  ``generic`` is left out.
- ``llmbar``: LLMBar Natural + Adversarial pairs, judged by ``PairwisePreference`` (both orders).

A seeded sample of ``--n`` items, half of each class, is split by prompt (``--held-out`` of the prompts
kept out); each optimizer aligns the judge on the rest and the judge is measured on the held-out items
before and after: accuracy, balanced accuracy, Cohen's κ (95 % bootstrap intervals), the optimizer's
and the judge's calls, tokens and wall time. Answers are cached, so the "before" judgments are made once.
``calibration`` (alone, or after another: ``memory+calibration``) fits per-verdict offsets on the judge's
log-probabilities; its result holds the fitted offsets and the training split's balanced accuracy.

Usage::

    python benchmarks/alignment.py                                   # halueval, 30 items, both optimizers
    python benchmarks/alignment.py --set faithdial --n 60 --optimizer memory --out alignment.json
    python benchmarks/alignment.py --optimizer-model openai:/gpt-4o  # a stronger optimizer model
    python benchmarks/alignment.py --optimizer calibration,instruction+calibration
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Literal

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"

CORRECTNESS = ("Judge whether the response in {{ outputs }} to the user's request in {{ inputs }} is correct: "
               "every fact it states is true, and it invents nothing (no made-up names, numbers, events or "
               "sources). Answer yes when it is correct and free of hallucination, no when any claim is false "
               "or fabricated.")
GROUNDED = ("The conversation and the knowledge snippet are in {{ inputs }}; the reply is in {{ outputs }}. Judge "
            "whether the reply is grounded in the knowledge: everything it states as fact is supported by the "
            "snippet, with no added facts, opinions or personal experiences presented as fact. Answer yes when "
            "it is grounded, no when it is not.")


def _balanced_sample(items: list[dict[str, Any]], n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    by: dict[str, list[dict[str, Any]]] = {}
    for it in items:
        by.setdefault(str(it["label"]), []).append(it)
    out: list[dict[str, Any]] = []
    classes = sorted(by)
    for i, c in enumerate(classes):
        want = n // len(classes) + (1 if i < n % len(classes) else 0)
        out.extend(rng.sample(by[c], min(want, len(by[c]))))
    rng.shuffle(out)
    return out


def load_halueval(data: Path) -> list[dict[str, Any]]:
    rows = []
    for line in (data / "halueval_general" / "general_data.json").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        d = json.loads(line)
        bad = str(d["hallucination"]).strip().lower() == "yes"
        spans = [s for s in d.get("hallucination_spans") or [] if isinstance(s, str) and s.strip()]
        why = ("False or made-up: " + "; ".join(spans)) if bad and spans else (None if bad else "No hallucination found.")
        rows.append({"inputs": {"request": d["user_query"]}, "outputs": d["chatgpt_response"],
                     "label": "no" if bad else "yes", "rationale": why})
    return rows


_GROUNDED = {"entailment", "entailment,uncooperative", "uncooperative"}
_NOT = {"hallucination", "partial hallucination", "entailment,hallucination"}
_TYPOS = {"entailmentt": "entailment", "entailment. uncooperative": "entailment,uncooperative",
          "hallucinated": "hallucination"}


def load_faithdial(data: Path) -> list[dict[str, Any]]:
    rows = []
    root = data / "faithdial_audit"
    for path in sorted(root.glob("*/*.csv")):
        with path.open(encoding="utf-8", newline="") as f:
            for rec in csv.DictReader(f):
                raw = (rec.get("BEGIN") or rec.get("begin_label") or "").strip().lower().replace(", ", ",")
                label = _TYPOS.get(raw, raw)
                if label not in _GROUNDED | _NOT:
                    continue
                knowledge = rec.get("evidence") or rec.get("knowledge") or ""
                response = rec.get("response") or next((rec[k] for k in rec if k.lower() in ("gpt2", "doha", "ctrl")), "")
                if not knowledge or not response:
                    continue
                rows.append({"inputs": {"knowledge": knowledge, "conversation": rec.get("history") or ""},
                             "outputs": response, "label": "yes" if label in _GROUNDED else "no",
                             "rationale": f"Labelled {label} against the knowledge snippet."})
    return rows


def load_llmbar(data: Path) -> list[dict[str, Any]]:
    rows = []
    for sub in ("LLMBar/Natural", "LLMBar/Adversarial/Neighbor", "LLMBar/Adversarial/GPTInst",
                "LLMBar/Adversarial/GPTOut", "LLMBar/Adversarial/Manual"):
        for d in json.loads((data / "llmbar" / sub / "dataset.json").read_text(encoding="utf-8")):
            rows.append({"inputs": {"instruction": d["input"]}, "outputs_a": d["output_1"], "outputs_b": d["output_2"],
                         "label": int(d["label"])})
    return rows


def make(kind: str, model: str, rationale: str) -> Any:
    from jurist.judges import PairwisePreference, make_judge

    params = {"rationale": rationale}
    if kind == "llmbar":
        return PairwisePreference(model=model, inference_params=params)
    return make_judge(name="correctness" if kind == "halueval" else "groundedness",
                      instructions=CORRECTNESS if kind == "halueval" else GROUNDED,
                      feedback_value_type=Literal["yes", "no"], model=model, inference_params=params)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", choices=("halueval", "faithdial", "llmbar"), default="halueval")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--n", type=int, default=30, help="labelled items in the sample (half of each class)")
    ap.add_argument("--held-out", type=float, default=0.5, help="share of prompts kept out for measuring")
    ap.add_argument("--model", default="local:/default", help="the judge's model")
    ap.add_argument("--optimizer-model", default=None, help="the optimizer's model (default: the judge's)")
    ap.add_argument("--optimizer", default="memory,instruction",
                    help="comma-separated: memory, instruction, calibration, memory+calibration, instruction+calibration")
    ap.add_argument("--rationale", default="none", choices=("none", "short", "full"))
    ap.add_argument("--rounds", type=int, default=2, help="instruction optimizer rounds")
    ap.add_argument("--batch", type=int, default=6, help="instruction optimizer mini-batch size")
    ap.add_argument("--retrieval-k", type=int, default=3)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)

    from rich.console import Console

    from jurist.align import CalibrationOptimizer, InstructionOptimizer, MemoryOptimizer, align_judge

    loader = {"halueval": load_halueval, "faithdial": load_faithdial, "llmbar": load_llmbar}[args.set]
    rows = _balanced_sample(loader(args.data), args.n, args.seed)
    console = Console()
    results: dict[str, Any] = {"set": args.set, "n": len(rows), "model": args.model,
                               "optimizer_model": args.optimizer_model or args.model, "held_out_share": args.held_out,
                               "rationale": args.rationale, "optimizers": {}}
    for name in [o.strip() for o in args.optimizer.split(",") if o.strip()]:
        judge = make(args.set, args.model, args.rationale)
        first, _, then = name.partition("+")
        opt: Any = None
        if first == "memory":
            opt = MemoryOptimizer(model=args.optimizer_model, retrieval_k=args.retrieval_k, max_calls=1,
                                  batch_size=max(1, args.n), concurrency=args.concurrency)
        elif first == "instruction":
            opt = InstructionOptimizer(model=args.optimizer_model, max_rounds=args.rounds, batch_size=args.batch,
                                       concurrency=args.concurrency)
        if first == "calibration" and not then:
            opt = CalibrationOptimizer(concurrency=args.concurrency)
        elif then == "calibration" and opt is not None:
            opt = CalibrationOptimizer(after=opt, concurrency=args.concurrency)
        elif then or opt is None:
            console.print(f"unknown optimizer {name!r}: memory, instruction, calibration, or X+calibration")
            return 2

        def progress(what: str, done: int, total: int, name: str = name) -> None:
            if done == total:
                console.print(f"  {name}: {what} {done}/{total}", highlight=False)

        started = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            try:
                aligned = align_judge(judge, rows, opt, held_out=args.held_out, concurrency=args.concurrency,
                                      on_progress=progress)
            except Exception as e:  # a benchmark reports a failed optimizer and goes on to the next
                console.print(f"{name}: failed: {e}")
                results["optimizers"][name] = {"error": str(e), "seconds": round(time.perf_counter() - started, 1)}
                continue
        report = aligned.alignment
        console.print(report.table())
        results["optimizers"][name] = {**report.to_dict(), "wall_seconds": round(time.perf_counter() - started, 1),
                                       "learned_instructions": aligned.instructions}
        fit = getattr(opt, "fit", None)
        if fit is not None:
            results["optimizers"][name]["calibration"] = fit.to_dict()
    text = json.dumps(results, indent=2, ensure_ascii=False)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
