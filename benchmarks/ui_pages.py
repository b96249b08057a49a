"""How fast do the UI's pages answer with 10,000 traces in the store?

A temp SQLite store gets 10,000 traces (two spans each, a tag, a judge's feedback on every third) and a
judge with two versions; a real ``jurist server`` (uvicorn on loopback, in a thread) serves it, and each
main page is fetched over HTTP, a few times to warm up, then ``--repeat`` times, timed from request to
last byte:

- the experiments list (with each experiment's trace count);
- the Traces tab: the first page, the middle page of the list, a tag filter and a feedback filter;
- a trace's page (span tree and feedback);
- the Judges tab, the judge builder (it lists test traces), a judge's page and a diff of two versions.

    python benchmarks/ui_pages.py            # 10,000 traces, 20 fetches per page
    python benchmarks/ui_pages.py --traces 2000 --repeat 10 --json

Target: every page's p95 ≤ 200 ms (paged reads: no page reads the whole table).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from benchmarks._pages import summary, timed  # noqa: E402

TARGET_MS = 200.0


def seed(store: Any, experiment_id: str, n: int) -> str:
    """``n`` traces in batches; returns the id of one in the middle."""
    from jurist.entities import Feedback, Span, Trace

    t0 = 1_700_000_000_000_000_000
    middle = ""
    batch: list[Trace] = []
    feedback: list[Feedback] = []
    for i in range(n):
        tid = f"tr-{i:06d}"
        start = t0 + i * 1_000_000_000
        root = Span(name="chat", span_id=f"{i:06d}r", trace_id=tid, span_type="CHAIN",
                    inputs={"question": f"Question number {i}: what is {i} + {i}?"}, outputs=f"It is {2 * i}.",
                    attributes={"app.version": "1.2"}, start_time_ns=start, end_time_ns=start + 40_000_000)
        child = Span(name="llm", span_id=f"{i:06d}c", trace_id=tid, parent_id=root.span_id, span_type="LLM",
                     inputs={"messages": [{"role": "user", "content": "..."}]}, outputs={"content": f"{2 * i}"},
                     start_time_ns=start + 5_000_000, end_time_ns=start + 35_000_000)
        batch.append(Trace(trace_id=tid, spans=[root, child], tags={"env": "prod" if i % 4 else "dev"}))
        if i % 3 == 0:
            feedback.append(Feedback(name="correct", value="yes" if i % 2 else "no", rationale="checked",
                                     trace_id=tid))
        if len(batch) == 500 or i == n - 1:
            store.log_traces(batch, experiment_id)
            for fb in feedback:
                store.log_assessment(fb)
            batch, feedback = [], []
        if i == n // 2:
            middle = tid
    return middle


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--traces", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=20)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    import httpx

    from jurist.server._serve import ServerThread

    with tempfile.TemporaryDirectory() as tmp, \
            ServerThread(f"sqlite:///{Path(tmp) / 'bench.db'}", token="") as server:
        store = server.app.state.store
        exp = store.get_or_create_experiment("bench").experiment_id
        began = time.perf_counter()
        middle = seed(store, exp, args.traces)
        seeded_s = time.perf_counter() - began
        for text in ("Is {{ outputs }} correct?", "Is {{ outputs }} correct for {{ inputs }}?"):
            store.register_judge({"kind": "InstructionsJudge", "name": "correct", "model": "fake:/",
                                  "instructions": text})
        pages = {
            "experiments": "/experiments",
            "traces, page 1": f"/experiments/{exp}/traces",
            "traces, middle page": f"/experiments/{exp}/traces?page={max(1, args.traces // 100)}",
            "traces, tag filter": f"/experiments/{exp}/traces?filter=tags.env%20%3D%20%27dev%27",
            "traces, feedback filter": f"/experiments/{exp}/traces?filter=feedback.correct%20%3D%20%27no%27",
            "trace page": f"/experiments/{exp}/traces/{middle}",
            "judges tab": f"/experiments/{exp}/judges",
            "judge builder": f"/experiments/{exp}/judges/new?template=Correctness",
            "judge page": f"/experiments/{exp}/judges/correct",
            "version diff": f"/experiments/{exp}/judges/correct/diff?a=1&b=2",
        }
        results: dict[str, dict[str, float]] = {}
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for label, path in pages.items():
                results[label] = summary(timed(client, path, args.repeat)[1])
    worst = max(r["p95_ms"] for r in results.values())
    report = {"traces": args.traces, "repeat": args.repeat, "seed_s": round(seeded_s, 1), "pages": results,
              "worst_p95_ms": worst, "target_ms": TARGET_MS, "ok": worst <= TARGET_MS}
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"{args.traces:,} traces (seeded in {seeded_s:.1f} s), {args.repeat} fetches per page\n")
        print(f"{'page':<26}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
        for label, r in results.items():
            print(f"{label:<26}{r['p50_ms']:>9}{r['p95_ms']:>9}{r['max_ms']:>9}")
        verdict = "within" if report["ok"] else "OVER"
        print(f"\nworst p95 {worst} ms: {verdict} the {TARGET_MS:.0f} ms target")
    if not report["ok"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
