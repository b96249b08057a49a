"""jurist, MLflow and DeepEval side by side: CPU per judgment and judgments/s on the same fake provider.

Each framework judges the same rows for correctness against the same loopback fake OpenAI server (the
one of ``benchmarks/_fake_server.py``, running in separate processes so that its CPU is not counted), at 0 ms and
200 ms of simulated provider latency, with the same number of judgments in flight and no cache:

- jurist: ``Correctness(model="openai:/gpt-4o-mini")`` through ``jurist.evaluate(concurrency=N,
  cache=False)``;
- MLflow: ``mlflow.genai.scorers.Correctness(model="openai:/gpt-4o-mini")`` through
  ``mlflow.genai.evaluate`` with ``MLFLOW_GENAI_EVAL_MAX_WORKERS=N`` and its rate limiters off
  (``MLFLOW_GENAI_EVAL_PREDICT_RATE_LIMIT=0``, ``MLFLOW_GENAI_EVAL_SCORER_RATE_LIMIT=0``; by default it
  throttles judges to 10-20 calls/s). Its ``openai:/`` judges post to ``OPENAI_BASE_URL`` with
  ``requests``. Tracking goes to a SQLite file in a temporary folder, with the store's connection pool
  raised to N + 10 (``MLFLOW_SQLALCHEMYSTORE_POOL_SIZE``: at its default, 5 + 10 overflow, 16 workers
  made trace writes wait 30 s for a connection, then fail);
- DeepEval: ``GEval`` (correctness criteria as fixed evaluation steps, so one call per row) on
  ``OpenAIModel(model="gpt-4o-mini", base_url=<fake>)`` through ``deepeval.evaluate`` with
  ``AsyncConfig(max_concurrent=N)`` and the cache off.

The fake answers each framework in the JSON it parses (``{"rationale", "result"}`` for jurist and
MLflow, ``{"reason", "score"}`` for GEval, without the logprobs GEval asks for, so it keeps the score
as given instead of weighting it), and the script checks that every row got a valid verdict from
exactly one call. Each framework runs in its own process, from its own temporary working folder,
with nothing sent beyond loopback (telemetry, update checks and remote model catalogs off). A warm-up
of 50 rows precedes each measured run. CPU is the measuring process's CPU time (all its threads) over
the measured run, divided by the number of rows.

MLflow and DeepEval are not jurist's dependencies: install them in a separate virtual environment, with
jurist, and run the script from there::

    python3 -m venv /tmp/bench-venv
    /tmp/bench-venv/bin/pip install mlflow deepeval
    /tmp/bench-venv/bin/pip install -e .            # from the repository root
    /tmp/bench-venv/bin/python benchmarks/compare.py
    /tmp/bench-venv/bin/python benchmarks/compare.py --rows 1000 --concurrency 64 --json

A framework that is not installed in the running interpreter is reported as "not installed".
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._fake_server import FakeProcess  # noqa: E402
from benchmarks.overhead import _rows  # noqa: E402

FRAMEWORKS = ("jurist", "mlflow", "deepeval")
MODEL = "gpt-4o-mini"
LATENCIES = (0.0, 0.2)

# DeepEval's GEval for answer correctness, with the evaluation steps of its documentation's example:
# fixed steps make one call per row (from ``criteria`` alone it first asks the model to write the steps).
GEVAL_STEPS = [
    "Check whether the facts in 'actual output' contradicts any facts in 'expected output'",
    "You should also heavily penalize omission of detail",
    "Vague language, or contradicting OPINIONS, are OK",
]


# -- the fake provider's answers -------------------------------------------------------------------
def answer(body: dict[str, Any]) -> str:
    """The judge model's text, in the JSON shape the framework that asked parses."""
    rf = body.get("response_format") or {}
    schema = (rf.get("json_schema") or {}).get("schema") or {}
    props = schema.get("properties") or {}
    if body.get("logprobs") or "score" in props:
        # DeepEval GEval: {"reason", "score"} on its 0-10 scale, read by trimAndLoadJson (it asks for
        # logprobs to weight the score; without them it keeps the score as given).
        return json.dumps({"reason": "The actual output states the expected answer.", "score": 10})
    # jurist: {"rationale", "result"} with result in the schema's enum. MLflow: the same keys, its
    # schema types result as a plain string and its prompt asks for "yes|no".
    result = props.get("result") or {}
    value = result["enum"][0] if result.get("enum") else "yes"
    return json.dumps({"rationale": "The response states the expected answer.", "result": value})


def start_fake(latency: float) -> FakeProcess:
    return FakeProcess(latency, responder="benchmarks.compare:answer")


# -- one framework, in its own process -------------------------------------------------------------
_T = TypeVar("_T")


def _timed(run: Callable[[], _T]) -> tuple[_T, float, float]:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    out = run()
    return out, time.process_time() - cpu0, time.perf_counter() - wall0


def work_jurist(rows: list[dict[str, Any]], warmup: int, concurrency: int) -> dict[str, Any]:
    from jurist import evaluate
    from jurist.judges import Correctness

    judge = Correctness(model=f"openai:/{MODEL}")
    evaluate(rows[:warmup], [judge], concurrency=concurrency, cache=False, progress=False)
    result, cpu, wall = _timed(
        lambda: evaluate(rows, [judge], concurrency=concurrency, cache=False, progress=False))
    valid = sum(1 for r in result.rows
                if (f := r.feedback("correctness")) is not None and f.error is None and f.value == "yes")
    return {"cpu_s": cpu, "wall_s": wall, "valid": valid}


def work_mlflow(rows: list[dict[str, Any]], warmup: int, concurrency: int) -> dict[str, Any]:
    import mlflow
    from mlflow.genai.scorers import Correctness

    scorer = Correctness(model=f"openai:/{MODEL}")

    def run(data: list[dict[str, Any]]) -> Any:
        result = mlflow.genai.evaluate(data=data, scorers=[scorer])
        mlflow.flush_trace_async_logging()  # traces and assessments are part of each judgment
        return result

    run(rows[:warmup])
    result, cpu, wall = _timed(lambda: run(rows))
    values = result.tables["eval_results"]["correctness/value"]
    return {"cpu_s": cpu, "wall_s": wall, "valid": int((values == "yes").sum())}


def work_deepeval(rows: list[dict[str, Any]], warmup: int, concurrency: int) -> dict[str, Any]:
    from deepeval import evaluate
    from deepeval.evaluate.configs import AsyncConfig, CacheConfig, DisplayConfig
    from deepeval.metrics import GEval
    from deepeval.test_case import LLMTestCase, SingleTurnParams

    try:
        from deepeval.models import OpenAIModel
    except ImportError:  # older releases
        from deepeval.models import GPTModel as OpenAIModel

    model = OpenAIModel(model=MODEL, base_url=os.environ["OPENAI_BASE_URL"],
                        api_key=os.environ["OPENAI_API_KEY"])
    metric = GEval(
        name="Correctness",
        evaluation_params=[SingleTurnParams.INPUT, SingleTurnParams.ACTUAL_OUTPUT,
                           SingleTurnParams.EXPECTED_OUTPUT],
        evaluation_steps=GEVAL_STEPS,
        model=model,
    )
    cases = [LLMTestCase(input=r["inputs"]["question"], actual_output=r["outputs"],
                         expected_output=r["expectations"]["expected_response"]) for r in rows]
    configs = {
        "async_config": AsyncConfig(run_async=True, max_concurrent=concurrency, throttle_value=0),
        "display_config": DisplayConfig(show_indicator=False, print_results=False),
        "cache_config": CacheConfig(write_cache=False, use_cache=False),
    }
    evaluate(cases[:warmup], [metric], **configs)
    result, cpu, wall = _timed(lambda: evaluate(cases, [metric], **configs))
    valid = sum(1 for t in result.test_results for m in (t.metrics_data or [])
                if m.error is None and m.score == 1.0)
    return {"cpu_s": cpu, "wall_s": wall, "valid": valid}


WORKERS = {"jurist": work_jurist, "mlflow": work_mlflow, "deepeval": work_deepeval}


def _worker_env(base_url: str, tmp: str, concurrency: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CONFIDENT_", "DATABRICKS_"))}
    env.update(
        OPENAI_API_KEY="test-key", OPENAI_BASE_URL=base_url, PYTHONUNBUFFERED="1",
        # jurist
        JURIST_CACHE_DIR=os.path.join(tmp, "jurist-cache"),
        # MLflow: local tracking; no telemetry, no remote model catalog (it fetches one per provider
        # to price judge calls); as many workers as the others have in flight; its rate limiters off.
        MLFLOW_TRACKING_URI=f"sqlite:///{tmp}/mlflow.db", MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true", MLFLOW_MODEL_CATALOG_URI="", MLFLOW_GENAI_EVAL_MAX_WORKERS=str(concurrency),
        MLFLOW_GENAI_EVAL_PREDICT_RATE_LIMIT="0", MLFLOW_GENAI_EVAL_SCORER_RATE_LIMIT="0",
        # Its SQLite store's connection pool (5 + 10 overflow) is too small for the eval workers plus its
        # 10 trace-export threads: with 16 workers, trace writes waited 30 s for a connection, then failed.
        MLFLOW_SQLALCHEMYSTORE_POOL_SIZE=str(concurrency + 10),
        # DeepEval: no telemetry, no update check, no .env from the working folder, no prompt after a run.
        DEEPEVAL_TELEMETRY_OPT_OUT="YES", DEEPEVAL_UPDATE_WARNING_OPT_IN="0", DEEPEVAL_DISABLE_DOTENV="1",
        DEEPEVAL_NO_INSPECT_PROMPT="1",
    )
    return env


def run_case(framework: str, rows: int, latency: float, concurrency: int, warmup: int) -> dict[str, Any]:
    fake = start_fake(latency)
    try:
        with tempfile.TemporaryDirectory(prefix=f"jurist-compare-{framework}-") as tmp:
            out = Path(tmp) / "result.json"
            cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", framework, "--rows", str(rows),
                   "--concurrency", str(concurrency), "--warmup", str(warmup), "--out", str(out)]
            proc = subprocess.run(cmd, cwd=tmp, env=_worker_env(fake.base_url, tmp, concurrency),
                                  capture_output=True, text=True, timeout=1800)
            if proc.returncode != 0 or not out.exists():
                tail = (proc.stdout + proc.stderr)[-3000:]
                raise RuntimeError(
                    f"{framework} at {latency * 1000:.0f} ms failed ({proc.returncode}):\n{tail}")
            res = json.loads(out.read_text())
    finally:
        calls = fake.stop()
    return {
        "framework": framework, "latency_ms": latency * 1000, "rows": rows, "concurrency": concurrency,
        "cpu_ms_per_judgment": res["cpu_s"] * 1000 / rows, "judgments_per_s": rows / res["wall_s"],
        "valid_verdicts": res["valid"], "calls_per_judgment": calls / (rows + warmup),
    }


# -- the comparison --------------------------------------------------------------------------------
def version(framework: str) -> str | None:
    if importlib.util.find_spec(framework) is None:
        return None
    try:
        return importlib.metadata.version(framework)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def _cell(case: dict[str, Any], base: dict[str, Any], key: str, fmt: str) -> str:
    """``value (ratio to jurist)``."""
    if not case:
        return "-"
    v, b = case[key], base.get(key)
    return f"{v:{fmt}} ({v / b:.3g}x)" if b else f"{v:{fmt}}"


def print_table(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> None:
    cols = ["framework", "version", "CPU ms/judgment @0 ms", "CPU ms/judgment @200 ms", "judgments/s @0 ms",
            "judgments/s @200 ms"]
    base = results.get("jurist", {}).get("cases", {})
    lines = []
    for fw, r in results.items():
        if r["version"] is None:
            lines.append([fw, "not installed"] + ["-"] * 4)
            continue
        c0, c2 = r["cases"].get(0.0, {}), r["cases"].get(0.2, {})
        b0, b2 = base.get(0.0, {}), base.get(0.2, {})
        lines.append([fw, r["version"],
                      _cell(c0, b0, "cpu_ms_per_judgment", ".2f"),
                      _cell(c2, b2, "cpu_ms_per_judgment", ".2f"),
                      _cell(c0, b0, "judgments_per_s", ".1f"),
                      _cell(c2, b2, "judgments_per_s", ".1f")])
    widths = [max(len(str(x)) for x in col) for col in zip(cols, *lines, strict=True)]
    for row in [cols, *lines]:
        cells = zip(row, widths, strict=True)
        print("  ".join(x.ljust(w) if i < 2 else x.rjust(w) for i, (x, w) in enumerate(cells)))
    print(f"(in brackets: the ratio to jurist) {args.rows} rows, {args.concurrency} in flight, cache off, "
          f"model {MODEL} on a loopback fake; I/O limit at 200 ms = {args.concurrency / 0.2:.0f}/s")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=300)
    ap.add_argument("--concurrency", type=int, default=16, help="judgments in flight, for every framework")
    ap.add_argument("--warmup", type=int, default=50, help="rows judged before each measured run")
    ap.add_argument("--frameworks", default=",".join(FRAMEWORKS), help="comma-separated subset of "
                    + ", ".join(FRAMEWORKS))
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ap.add_argument("--worker", choices=FRAMEWORKS, help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    warmup = min(args.warmup, args.rows)

    if args.worker:
        res = WORKERS[args.worker](_rows(args.rows), warmup, args.concurrency)
        Path(args.out).write_text(json.dumps(res))
        return

    load_before = os.getloadavg()
    results: dict[str, dict[str, Any]] = {}
    for fw in [f.strip() for f in args.frameworks.split(",") if f.strip()]:
        if fw not in FRAMEWORKS:
            ap.error(f"unknown framework {fw!r}")
        results[fw] = {"version": version(fw), "cases": {}}
    for latency in LATENCIES:
        for fw, r in results.items():
            if r["version"] is None:
                continue
            case = run_case(fw, args.rows, latency, args.concurrency, warmup)
            if case["valid_verdicts"] != args.rows or abs(case["calls_per_judgment"] - 1) > 1e-9:
                print(f"warning: {fw} at {latency * 1000:.0f} ms: {case['valid_verdicts']}/{args.rows} valid "
                      f"verdicts, {case['calls_per_judgment']:.3f} calls per judgment", file=sys.stderr)
            r["cases"][latency] = case
    load_after = os.getloadavg()

    if args.json:
        out = {fw: {"version": r["version"] or "not installed", "cases": list(r["cases"].values())}
               for fw, r in results.items()}
        print(json.dumps({"results": out, "load_before": load_before, "load_after": load_after,
                          "rows": args.rows, "concurrency": args.concurrency}, indent=2))
        return
    print_table(results, args)
    print(f"load average (1/5/15 min) before: {' '.join(f'{x:.2f}' for x in load_before)}, after: "
          f"{' '.join(f'{x:.2f}' for x in load_after)} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
