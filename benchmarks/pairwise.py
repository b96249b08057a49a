"""Pairwise judging on LLMBar's human-verified pairs: accuracy and position consistency, with and without swaps.

Reads ``../shared/data/llmbar/`` (or ``--data``): pairs of outputs to one instruction, one of which
objectively follows it better (``label`` 1 or 2). A seeded sample of ``--pairs`` pairs from each chosen
subset is judged by ``PairwisePreference`` on ``--model`` (default: the embedded local judge), which asks
every pair in both orders. From that one run it reports, per subset and overall:

- ``single order`` (no swap): accuracy of the verdict given with output 1 shown as A, ties counted half,
  and the share of those verdicts that picked A (a fair judge is near the share of label-1 pairs);
- ``both orders`` (the swap, jurist's default): accuracy of the combined verdict (a flip is a tie,
  counted half), and position consistency: the share of pairs whose verdict held under the swap.

Usage::

    python benchmarks/pairwise.py                                  # 10 pairs each of Natural and Neighbor
    python benchmarks/pairwise.py --subsets Natural,GPTInst,Manual --pairs 20 --out pairwise.json
    python benchmarks/pairwise.py --model openai:/gpt-4o-mini

LLMBar's published figures (accuracy averaged over both orders) are in the data's README: GPT-4
93.5 % on Natural and 64.2 % on Neighbor; ChatGPT 79.0 % and 17.9 %; chance 50 %.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "llmbar"
SUBSETS = {"Natural": "LLMBar/Natural", "Neighbor": "LLMBar/Adversarial/Neighbor",
           "GPTInst": "LLMBar/Adversarial/GPTInst", "GPTOut": "LLMBar/Adversarial/GPTOut",
           "Manual": "LLMBar/Adversarial/Manual", "MT-Bench": "Processed/MT-Bench"}


def load(data: Path, subset: str, pairs: int, seed: int) -> list[dict[str, Any]]:
    path = data / SUBSETS[subset] / "dataset.json"
    items = json.loads(path.read_text(encoding="utf-8"))
    rng = random.Random(f"{seed}-{subset}")
    picked = rng.sample(range(len(items)), min(pairs, len(items)))
    return [{"id": f"{subset}-{i}", "inputs": items[i]["input"], "outputs_a": items[i]["output_1"],
             "outputs_b": items[i]["output_2"], "tags": {"subset": subset, "label": "A" if items[i]["label"] == 1 else "B"}}
            for i in picked]


def score(verdict: str, label: str) -> float:
    return 0.5 if verdict == "tie" else float(verdict == label)


def summarise(rows: Sequence[Any]) -> dict[str, Any]:
    single, both, consistent, first = [], [], [], []
    errors = 0
    for r in rows:
        fb = r.feedbacks[0]
        if fb.error is not None:
            errors += 1
            continue
        label = r.tags["label"]
        ab = fb.metadata["verdicts"]["order AB"]
        single.append(score(ab, label))
        first.append(1.0 if ab == "A" else 0.5 if ab == "tie" else 0.0)
        both.append(score(str(fb.value), label))
        consistent.append(1.0 if fb.metadata["position_consistent"] else 0.0)

    def mean(xs: list[float]) -> float | None:
        return round(sum(xs) / len(xs), 4) if xs else None

    return {"pairs": len(rows), "errors": errors, "accuracy_single_order": mean(single),
            "picked_a_single_order": mean(first), "accuracy_both_orders": mean(both),
            "position_consistency": mean(consistent),
            "label_a_share": mean([1.0 if r.tags["label"] == "A" else 0.0 for r in rows])}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--model", default="local:/default")
    ap.add_argument("--subsets", default="Natural,Neighbor", help=f"comma-separated: {', '.join(SUBSETS)}")
    ap.add_argument("--pairs", type=int, default=10, help="pairs sampled from each subset")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    if not (args.data / "README.md").exists():
        print(f"LLMBar data not found at {args.data}; pass --data", file=sys.stderr)
        return 2

    import jurist
    from jurist.judges import PairwisePreference

    rows = [r for s in args.subsets.split(",") for r in load(args.data, s.strip(), args.pairs, args.seed)]
    judge = PairwisePreference(model=args.model)
    start = time.perf_counter()
    result = jurist.evaluate(rows, [judge], concurrency=args.concurrency, log=False, cache=False)
    took = time.perf_counter() - start
    by_subset: dict[str, list[Any]] = {}
    for r in result.rows:
        by_subset.setdefault(r.tags["subset"], []).append(r)
    report = {"model": args.model, "seed": args.seed, "seconds": round(took, 1),
              "overall": summarise(result.rows), "subsets": {k: summarise(v) for k, v in by_subset.items()}}
    print(f"{'subset':10} {'pairs':>5} {'acc 1 order':>11} {'picked A':>8} {'acc swapped':>11} {'consistent':>10}")
    for name, s in [*report["subsets"].items(), ("overall", report["overall"])]:
        print(f"{name:10} {s['pairs']:>5} {s['accuracy_single_order']!s:>11} {s['picked_a_single_order']!s:>8} "
              f"{s['accuracy_both_orders']!s:>11} {s['position_consistency']!s:>10}")
    print(f"{len(rows)} pairs, {2 * len(rows)} judgments in {took:.0f} s on {args.model}")
    if args.out:
        args.out.write_text(json.dumps(report, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
