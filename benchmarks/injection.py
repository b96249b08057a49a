"""Prompt-injection resistance: how often the shipped injection cases flip a judge's verdict, with its
defence (judged text fenced and declared data, paragraphs addressed to the judge screened out) and
without it, side by side in one run.

Takes the rows of ``--data`` (default ``examples/``), judges them with ``--judge`` (a built-in judge's
scorer name, default ``correctness``) on ``--model`` (default the embedded local judge), then appends
each injection case (``src/jurist/evaluation/probes/injections.jsonl``: direct orders in seven
languages, a forged system message, a forged verdict, a section breakout, …) to every answer the judge
failed and judges again, once with the defence and once without. Goal: a flip rate of at most 5 % with it.
``--set heldout`` to ``--set heldout4`` run cases the screen was not developed on (``probes/README.md``
says which version of the screen each set is held out for).

Usage::

    python benchmarks/injection.py
    python benchmarks/injection.py --set heldout3 --out injection.json
    python benchmarks/injection.py --judge safety --cases 6
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT / "examples")
    ap.add_argument("--judge", default="correctness")
    ap.add_argument("--model", default="local:/default")
    ap.add_argument("--set", default="injections", choices=("injections", "heldout", "heldout2", "heldout3", "heldout4"),
                    help="the shipped cases the screen was developed on, or a held-out set")
    ap.add_argument("--cases", type=int, default=0, help="use only the first N injection cases (0: all)")
    ap.add_argument("--arms", default="defended,undefended,control",
                    help="which measurements to run (comma-separated): defended, undefended, control")
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    from jurist.cli._specs import build_scorers
    from jurist.evaluation._probes import injection_cases, probe

    judge = build_scorers([args.judge], model=args.model)[0]
    cases = injection_cases(args.set)[: args.cases or None]
    start = time.perf_counter()
    report = probe(judge, str(args.data), ["injection"], concurrency=args.concurrency, injections=cases,
                   injection_arms=[a.strip() for a in args.arms.split(",") if a.strip()])
    took = time.perf_counter() - start
    for r in report.results:
        value = "—" if r.value is None else f"{r.value:.1%}"
        ci = "" if r.ci_low is None else f" [{r.ci_low:.1%}, {r.ci_high:.1%}]"
        screened = r.detail.get("screened")
        note = "" if screened is None else f"  screened {screened:.0%}"
        print(f"{r.metric:22} {value}{ci}  n={r.n}{note}  {r.skipped or ''}")
    if report.results and report.results[0].detail.get("by_case"):
        print("by case (defended / undefended):")
        undefended: dict[str, float] = next(
            (r.detail.get("by_case", {}) for r in report.results if r.metric == "flip_rate_undefended"), {})
        for case, v in report.results[0].detail["by_case"].items():
            print(f"  {case:22} {v:.0%} / {undefended.get(case, float('nan')):.0%}")
    print(f"{took:.0f} s on {args.model}")
    if args.out:
        args.out.write_text(json.dumps({**report.to_dict(), "seconds": round(took, 1)}, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
