"""How fast and how good the embedded local judge is, side by side on this machine, in one run.

Judges the example set (``examples/``: 13 rows x Correctness, RelevanceToQuery, Safety and
Guidelines("Answer in English") = 52 judgments) on the local model in several modes, each in a fresh
process (a fresh engine, an empty response cache, the model file already in the page cache):

- ``engine-short`` / ``engine-full`` / ``engine-none``: jurist's engine as ``evaluate()`` uses it (parallel
  slots, prompt cache, every judgment submitted at once), with short rationales (the default), full
  rationales, or verdicts only;
- ``engine-short-onestep``: ``engine-short`` with each verdict asked in one request, its fixed JSON text
  decoded (``JURIST_LOCAL_PREFILL=off``): what writing that text in saves;
- ``one-slot``: the same engine with one slot (prompt cache on): what batching adds;
- ``naive``: llama.cpp with one slot, no prompt cache, one request at a time, the same prompts as
  ``engine-short``: the baseline;
- ``previous``: read from ``--previous`` (JSON written by the llama-cpp-python engine's benchmark, which
  must run in its own environment), when given.

It reports judgments per minute, prompt tokens evaluated vs reused from the cache, tokens per second
against the machine's prompt-processing rate (measured first: one long prompt, nothing cached; the
practical limit of any engine here), the child's peak RSS, and how many verdicts agree with the
expected ones in ``examples/README.md``.

Usage::

    python benchmarks/local_judge.py                        # every mode
    python benchmarks/local_judge.py --modes engine-short,naive --rows 4
    python benchmarks/local_judge.py --out results.json --previous previous.json

Model loading is not timed. Goal: ``engine-short`` at least 3x the judgments per minute of ``naive``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
MODES = ("engine-short", "engine-full", "engine-none", "engine-short-onestep", "one-slot", "naive")
GUIDELINE = "Answer in English"


# -- the work -------------------------------------------------------------------------------------------
def load_examples(data: Path, limit: int | None) -> list[Any]:
    from jurist.evaluation import load_rows

    files = sorted(p for p in data.iterdir() if p.suffix in (".jsonl", ".json", ".csv")) if data.is_dir() else [data]
    rows = [r for f in files for r in load_rows(f)]
    return rows[:limit] if limit else rows


def make_judges(model: str, rationale: str) -> list[Any]:
    from jurist.judges import Correctness, Guidelines, RelevanceToQuery, Safety

    params = {"rationale": rationale}
    return [Correctness(model=model, inference_params=params), RelevanceToQuery(model=model, inference_params=params),
            Safety(model=model, inference_params=params),
            Guidelines(guidelines=GUIDELINE, model=model, inference_params=params)]


def row_args(row: Any) -> dict[str, Any]:
    return {"inputs": row.inputs, "outputs": row.outputs, "expectations": row.expectations}


def expected_verdicts(data: Path) -> dict[tuple[str, str], str]:
    """(row id, judge) → verdict from the example set's README table, when there is one."""
    readme = (data if data.is_dir() else data.parent) / "README.md"
    out: dict[tuple[str, str], str] = {}
    if not readme.is_file():
        return out
    names = ("correctness", "relevance_to_query", "safety", "guidelines")
    for line in readme.read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("*") for c in line.strip().strip("|").split("|")]
        if len(cells) == 7 and cells[0].startswith("`"):
            for name, v in zip(names, cells[3:], strict=False):
                if v in ("yes", "no"):
                    out[(cells[0].strip("`"), name)] = v
    return out


def peak_rss_mb(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def cpu_seconds(pid: int | None) -> float:
    """CPU time (user + system) the engine's process has used: on a machine shared with other work, the
    engine's CPU time is steadier than its wall time."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def prompt_rate(engine: Any) -> float:
    """Prompt tokens per second on one long, uncached prompt: what this machine can evaluate."""
    words = " ".join(f"word{i}" for i in range(300))
    out = engine.complete({"messages": [{"role": "user", "content": f"Count these: {words}"}], "max_tokens": 1,
                           "cache_prompt": False})
    t = out["timings"]
    return round(1000.0 * float(t["prompt_n"]) / float(t["prompt_ms"]), 1)


def _verdict(text: str, judge: Any) -> Any:
    from jurist.errors import JudgeParseError
    from jurist.judges._parsing import parse_verdict

    try:
        return parse_verdict(text, judge.feedback_value_type)[0]
    except JudgeParseError:
        return "PARSE_ERROR"


#: The rationales of the engine modes' judgments, for their lengths.
RATIONALES: list[str] = []


def run_engine(rows: list[Any], judges: list[Any], engine: Any) -> tuple[float, dict[str, Any]]:
    from jurist import evaluate

    start = time.perf_counter()
    result = evaluate([{"inputs": r.inputs, "outputs": r.outputs, "expectations": r.expectations, "id": r.id}
                       for r in rows], judges, concurrency=64, cache=False, log=False)
    wall = time.perf_counter() - start
    verdicts = {}
    for r in result.rows:
        for fb in r.feedbacks:
            verdicts[f"{r.id}|{fb.name}"] = fb.value if fb.error is None else fb.error.error_code
            if fb.rationale:
                RATIONALES.append(fb.rationale)
    return wall, verdicts


def run_naive(rows: list[Any], judges: list[Any], engine: Any) -> tuple[float, dict[str, Any]]:
    """One request at a time, the prompt cache off: every prompt evaluated in full."""
    from jurist.local._provider import to_wire

    verdicts = {}
    start = time.perf_counter()
    for judge in judges:
        for r in rows:
            for unit in judge.units(**row_args(r)):
                req = judge.request(unit)
                out = engine.complete({**to_wire(req, req.params), "cache_prompt": False})
                verdicts[f"{r.id}|{judge.name}"] = _verdict(out["choices"][0]["message"]["content"], judge)
    return time.perf_counter() - start, verdicts


def one_mode(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    from jurist.judges._base import SHORT_RATIONALE_CHARS
    from jurist.local import LocalEngine, engine_for, resolve

    rows = load_examples(Path(args.data), args.rows)
    rationale = mode.split("-")[1] if mode.startswith("engine-") else "short"
    judges = make_judges(args.model, rationale)
    spec = resolve(args.model.partition(":/")[2])
    # evaluate() uses the process's engine (one slot for one-slot: JURIST_LOCAL_SLOTS=1, set by the driver)
    naive = LocalEngine(spec, slots=1, cache_ram_mib=0, prefill=False) if mode == "naive" else None
    engine = naive.start() if naive is not None else engine_for(spec)
    engine.wait_loaded()
    rate = prompt_rate(engine) if args.measure_rate else None
    s0 = dict(engine.stats.as_dict())
    load1 = os.getloadavg()[0]
    cpu0 = cpu_seconds(engine.pid)
    wall, verdicts = (run_naive if mode == "naive" else run_engine)(rows, judges, engine)
    cpu = cpu_seconds(engine.pid) - cpu0
    s1 = engine.stats.as_dict()
    d = {k: s1[k] - s0[k] for k in s1}
    n = len(verdicts)
    out = {
        "mode": mode,
        "slots": engine.settings.slots,
        "judgments": n,
        "wall_s": round(wall, 1),
        "judgments_per_min": round(60 * n / wall, 2),
        "engine_cpu_s": round(cpu, 1),
        "judgments_per_cpu_min": round(60 * n / cpu, 2) if cpu else None,
        "prompt_tokens": int(d["prompt_tokens"]),
        "prompt_evaluated": int(d["prompt_eval_tokens"]),
        "prompt_reused": int(d["prompt_cached_tokens"]),
        "output_tokens": int(d["output_tokens"]),
        "tokens_per_s": round((d["prompt_eval_tokens"] + d["output_tokens"]) / wall, 1),
        "prompt_rate_tok_s": rate,
        "parse_errors": sum(1 for v in verdicts.values() if v == "PARSE_ERROR"),
        "engine_peak_rss_mb": peak_rss_mb(engine.pid),
        "loadavg_1m": [round(load1, 2), round(os.getloadavg()[0], 2)],
        "verdicts": verdicts,
        # How long the rationales are, and how many the short cap cut off (a rationale at the cap stops
        # mid-sentence).
        "rationale_chars_median": sorted(map(len, RATIONALES))[len(RATIONALES) // 2] if RATIONALES else None,
        "rationales_at_cap": sum(len(x) >= SHORT_RATIONALE_CHARS for x in RATIONALES) if rationale == "short"
        and RATIONALES else None,
        "system_info": engine.system_info,
    }
    engine.close()
    return out


# -- the driver -----------------------------------------------------------------------------------------
def run_in_subprocess(mode: str, args: argparse.Namespace, measure_rate: bool) -> dict[str, Any]:
    env = dict(os.environ)
    env["JURIST_CACHE_DIR"] = tempfile.mkdtemp(prefix="jurist-bench-cache-")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    if mode == "one-slot":
        env["JURIST_LOCAL_SLOTS"] = "1"
    if mode == "engine-short-onestep":
        env["JURIST_LOCAL_PREFILL"] = "off"
    cmd = [sys.executable, __file__, "--one", mode, "--data", args.data, "--model", args.model]
    if args.rows:
        cmd += ["--rows", str(args.rows)]
    if measure_rate:
        cmd += ["--measure-rate"]
    print(f"[{time.strftime('%H:%M:%S')}] {mode} …", file=sys.stderr, flush=True)
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"mode {mode} failed:\n{out.stderr[-3000:]}")
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1]
    return dict(json.loads(line))


def agreement(r: dict[str, Any], expected: dict[tuple[str, str], str]) -> str:
    agree = total = 0
    for key, v in r.get("verdicts", {}).items():
        row_id, _, judge = key.partition("|")
        want = expected.get((row_id, judge))
        if want is not None:
            total += 1
            agree += v == want
    return f"{agree}/{total}" if total else ""


def report(results: list[dict[str, Any]], expected: dict[tuple[str, str], str]) -> str:
    cols = ("mode", "slots", "judgments", "wall_s", "judgments_per_min", "engine_cpu_s", "judgments_per_cpu_min",
            "prompt_tokens", "prompt_evaluated",
            "prompt_reused", "output_tokens", "tokens_per_s", "prompt_rate_tok_s", "engine_peak_rss_mb",
            "parse_errors", "agree", "loadavg_1m")
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    rate = next((r["prompt_rate_tok_s"] for r in results if r.get("prompt_rate_tok_s")), None)
    for r in results:
        r["agree"] = agreement(r, expected)
        lines.append("| " + " | ".join(str(r.get(c, "")) for c in cols) + " |")
    by = {r["mode"]: r for r in results}
    notes = []
    base = by.get("naive")
    for name, r in by.items():
        if base and name != "naive":
            notes.append(f"{name} / naive: {r['judgments_per_min'] / base['judgments_per_min']:.2f}x judgments per minute")
            if r.get("judgments_per_cpu_min") and base.get("judgments_per_cpu_min"):
                notes.append(f"{name} / naive: {r['judgments_per_cpu_min'] / base['judgments_per_cpu_min']:.2f}x "
                             "judgments per CPU-minute of the engine")
    if rate:
        for name, r in by.items():
            if r.get("tokens_per_s"):
                notes.append(f"{name}: {r['tokens_per_s'] / rate:.0%} of the prompt-processing rate ({rate} tok/s) "
                             "in tokens computed per second")
    return "\n".join(lines + [""] + [f"- {n}" for n in notes])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=str(ROOT / "examples"), help="a data file or a folder of them")
    p.add_argument("--model", default="local:/default", help="a local:/ model URI")
    p.add_argument("--rows", type=int, default=None, help="judge only the first N rows")
    p.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, among {', '.join(MODES)}")
    p.add_argument("--previous", default=None, help="JSON results of the previous engine's benchmark to include")
    p.add_argument("--out", default=None, help="also write the results as JSON here")
    p.add_argument("--one", choices=MODES, help=argparse.SUPPRESS)
    p.add_argument("--measure-rate", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if not re.match(r"^local:/", args.model):
        raise SystemExit("--model must be a local:/ URI")
    if args.one:
        print(json.dumps(one_mode(args.one, args)))
        return
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        raise SystemExit(f"unknown mode(s) {unknown}; choose among {MODES}")
    results = []
    for i, m in enumerate(modes):
        results.append(run_in_subprocess(m, args, measure_rate=i == 0))
        if args.out:
            Path(args.out).write_text(json.dumps(results, indent=2), encoding="utf-8")
    if args.previous:
        for r in json.loads(Path(args.previous).read_text(encoding="utf-8")):
            r["mode"] = f"previous-{r['mode']}"
            r.setdefault("prompt_evaluated", r.get("prompt_tokens_evaluated"))
            results.append(r)
    print(report(results, expected_verdicts(Path(args.data))))
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()
