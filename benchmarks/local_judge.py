"""How fast the embedded local judge is, and what prefix reuse buys.

Judges the example set (``examples/``) with Correctness, RelevanceToQuery, Safety and
Guidelines("Answer in English") on the local model, in several modes, each in a fresh process (a cold
KV cache, an empty response cache, the model file already in the page cache):

- ``direct``: llama-cpp-python called directly with the same prompts, one judge after another (its
  KV cache keeps each judge's instructions between rows): the limit jurist can approach;
- ``naive``: jurist with prefix reuse off (``JURIST_LOCAL_PREFIX_REUSE=0``): every prompt in full;
- ``jurist``: jurist as ``evaluate()`` uses it, every judgment submitted at once and the queue
  serving them grouped by judge;
- ``rowwise``: jurist called one judgment at a time, row by row, so judges interleave and the saved
  prefix states are what keeps the instructions cached;
- ``direct-rowwise``: llama-cpp-python row by row, for what interleaving costs without them;
- ``plain``: llama-cpp-python from a clean state for every judgment (no KV reuse at all), the way a
  one-off call uses it.

Usage::

    python benchmarks/local_judge.py                       # every mode, the whole example set
    python benchmarks/local_judge.py --rows 4 --modes naive,jurist
    python benchmarks/local_judge.py --model local:/path/to/other.gguf --out results.json

Model loading is not timed. Goal: ``jurist`` ≥ 2× the judgments per minute of ``naive``, and within
10 % of ``direct``.
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
MODES = ("direct", "naive", "jurist", "rowwise", "direct-rowwise", "plain")
GUIDELINE = "Answer in English"


# -- the work -------------------------------------------------------------------------------------------
def load_examples(data: Path, limit: int | None) -> list[Any]:
    from jurist.evaluation import load_rows

    files = sorted(p for p in data.iterdir() if p.suffix in (".jsonl", ".json", ".csv")) if data.is_dir() else [data]
    rows = [r for f in files for r in load_rows(f)]
    return rows[:limit] if limit else rows


def make_judges(model: str) -> list[Any]:
    from jurist.judges import Correctness, Guidelines, RelevanceToQuery, Safety

    return [Correctness(model=model), RelevanceToQuery(model=model), Safety(model=model),
            Guidelines(guidelines=GUIDELINE, model=model)]


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


def _perf(llama_cpp: Any, llm: Any) -> tuple[int, int, float, float]:
    d = llama_cpp.llama_perf_context(llm.ctx)
    return int(d.n_p_eval), int(d.n_eval), float(d.t_p_eval_ms), float(d.t_eval_ms)


def run_direct(rows: list[Any], judges: list[Any], rowwise: bool, fresh: bool = False) -> dict[str, Any]:
    """llama-cpp-python with the very prompts jurist sends, sequentially, nothing in between."""
    from jurist.local import LocalEngine
    from jurist.local._engine import DEFAULT_MAX_TOKENS
    from jurist.models.providers.local import LocalProvider

    model = judges[0].model
    provider = LocalProvider(model.partition(":/")[2])
    settings = LocalEngine(provider.spec)  # the same context size and threads jurist uses; not started
    path = provider.spec.materialize()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import llama_cpp

    llm = llama_cpp.Llama(model_path=str(path), n_ctx=settings.n_ctx, n_batch=settings.n_batch,
                          n_threads=settings.n_threads, n_threads_batch=settings.n_threads, seed=0, verbose=False)
    pairs = [(r, j) for r in range(len(rows)) for j in range(len(judges))] if rowwise else \
        [(r, j) for j in range(len(judges)) for r in range(len(rows))]
    verdicts: dict[str, Any] = {}
    totals = {"prompt_tokens": 0, "output_tokens": 0}
    before = _perf(llama_cpp, llm)
    start = time.perf_counter()
    for r, j in pairs:
        judge = judges[j]
        for unit in judge.units(**row_args(rows[r])):
            wire = provider.to_wire(judge.request(unit))
            wire.setdefault("max_tokens", DEFAULT_MAX_TOKENS)
            if fresh:
                llm.reset()
            out = llm.create_chat_completion(**wire)
            usage = out["usage"]
            totals["prompt_tokens"] += usage["prompt_tokens"]
            totals["output_tokens"] += usage["completion_tokens"]
            verdicts[f"{rows[r].id}|{judge.name}"] = _verdict(out["choices"][0]["message"]["content"], judge)
    wall = time.perf_counter() - start
    after = _perf(llama_cpp, llm)
    return _summary(len(pairs), wall, totals["prompt_tokens"], after[0] - before[0], totals["output_tokens"],
                    (after[2] - before[2]) / 1000, (after[3] - before[3]) / 1000, verdicts)


def _verdict(text: str, judge: Any) -> Any:
    from jurist.errors import JudgeParseError
    from jurist.judges._parsing import parse_verdict

    try:
        return parse_verdict(text, judge.feedback_value_type)[0]
    except JudgeParseError:
        return "PARSE_ERROR"


def run_jurist(rows: list[Any], judges: list[Any], rowwise: bool) -> dict[str, Any]:
    from jurist.local import engine_for
    from jurist.models.providers.local import LocalProvider

    engine = engine_for(LocalProvider(judges[0].model.partition(":/")[2]).spec)
    engine.wait_loaded()
    pairs = [(r, j) for r in range(len(rows)) for j in range(len(judges))] if rowwise else \
        [(r, j) for j in range(len(judges)) for r in range(len(rows))]
    s0 = dict(engine.stats.as_dict())
    start = time.perf_counter()
    if rowwise:
        results = [judges[j](**row_args(rows[r])) for r, j in pairs]
    else:
        async def all_at_once() -> list[Any]:
            return list(await asyncio.gather(*(judges[j].acall(**row_args(rows[r])) for r, j in pairs)))

        results = asyncio.run(all_at_once())
    wall = time.perf_counter() - start
    s1 = engine.stats.as_dict()
    d = {k: s1[k] - s0[k] for k in s1}
    verdicts = {f"{rows[r].id}|{judges[j].name}": (fb.value if fb.error is None else fb.error.error_code)
                for (r, j), fb in zip(pairs, results, strict=True)}
    out = _summary(len(pairs), wall, int(d["prompt_tokens"]), int(d["prompt_eval_tokens"]),
                   int(d["output_tokens"]), d["prompt_eval_s"], d["generation_s"], verdicts)
    out["prefix_restores"] = int(d["prefix_restores"])
    out["model_calls"] = int(d["completions"])
    return out


def _summary(n: int, wall: float, prompt: int, prompt_eval: int, output: int, pe_s: float, gen_s: float,
             verdicts: dict[str, Any]) -> dict[str, Any]:
    return {
        "judgments": n,
        "wall_s": round(wall, 2),
        "judgments_per_min": round(60 * n / wall, 2),
        "s_per_judgment": round(wall / n, 2),
        "prompt_tokens": prompt,
        "prompt_tokens_evaluated": prompt_eval,
        "output_tokens": output,
        "prompt_eval_tok_s": round(prompt_eval / pe_s, 1) if pe_s else None,
        "generation_tok_s": round(output / gen_s, 1) if gen_s else None,
        "tokens_per_s": round((prompt + output) / wall, 1),
        "parse_errors": sum(1 for v in verdicts.values() if v == "PARSE_ERROR"),
        "verdicts": verdicts,
    }


def one_mode(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    rows = load_examples(Path(args.data), args.rows)
    judges = make_judges(args.model)
    load1 = os.getloadavg()[0]
    if mode.startswith("direct") or mode == "plain":
        result = run_direct(rows, judges, rowwise=mode == "direct-rowwise", fresh=mode == "plain")
    else:
        result = run_jurist(rows, judges, rowwise=mode == "rowwise")
    result["mode"] = mode
    result["loadavg_1m"] = [round(load1, 2), round(os.getloadavg()[0], 2)]
    return result


# -- the driver -----------------------------------------------------------------------------------------
def run_in_subprocess(mode: str, args: argparse.Namespace) -> dict[str, Any]:
    env = dict(os.environ)
    env["JURIST_CACHE_DIR"] = tempfile.mkdtemp(prefix="jurist-bench-cache-")
    env["JURIST_LOCAL_PREFIX_REUSE"] = "0" if mode == "naive" else "1"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), env.get("PYTHONPATH", "")])
    cmd = [sys.executable, __file__, "--one", mode, "--data", args.data, "--model", args.model]
    if args.rows:
        cmd += ["--rows", str(args.rows)]
    print(f"[{time.strftime('%H:%M:%S')}] {mode} …", file=sys.stderr, flush=True)
    out = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"mode {mode} failed:\n{out.stderr[-3000:]}")
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1]
    return dict(json.loads(line))


def report(results: list[dict[str, Any]], expected: dict[tuple[str, str], str]) -> str:
    cols = ("mode", "judgments", "wall_s", "judgments_per_min", "s_per_judgment", "prompt_tokens",
            "prompt_tokens_evaluated", "output_tokens", "prompt_eval_tok_s", "generation_tok_s", "tokens_per_s",
            "parse_errors", "loadavg_1m")
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for r in results:
        lines.append("| " + " | ".join(str(r.get(c, "")) for c in cols) + " |")
    by = {r["mode"]: r for r in results}
    notes = []
    if "jurist" in by and "naive" in by:
        notes.append(f"jurist / naive: {by['jurist']['judgments_per_min'] / by['naive']['judgments_per_min']:.2f}x "
                     "judgments per minute (goal ≥ 2x)")
    if "jurist" in by and "direct" in by:
        notes.append(f"jurist / direct: {by['jurist']['judgments_per_min'] / by['direct']['judgments_per_min']:.1%} "
                     "of llama-cpp-python's judgments per minute (goal ≥ 90%)")
    if "jurist" in by and "plain" in by:
        notes.append(f"jurist / plain: {by['jurist']['judgments_per_min'] / by['plain']['judgments_per_min']:.2f}x "
                     "(llama-cpp-python with no KV reuse)")
    if "rowwise" in by and "direct-rowwise" in by:
        notes.append(f"rowwise / direct-rowwise: "
                     f"{by['rowwise']['judgments_per_min'] / by['direct-rowwise']['judgments_per_min']:.2f}x "
                     "(saved prefix states when judges interleave)")
    if expected:
        for r in results:
            agree = total = 0
            for key, v in r["verdicts"].items():
                row_id, _, judge = key.partition("|")
                want = expected.get((row_id, judge))
                if want is not None:
                    total += 1
                    agree += v == want
            if total:
                notes.append(f"{r['mode']}: {agree}/{total} verdicts agree with examples/README.md")
    return "\n".join(lines + [""] + [f"- {n}" for n in notes])


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=str(ROOT / "examples"), help="a data file or a folder of them")
    p.add_argument("--model", default="local:/default", help="a local:/ model URI")
    p.add_argument("--rows", type=int, default=None, help="judge only the first N rows")
    p.add_argument("--modes", default=",".join(MODES[:5]), help=f"comma-separated, among {', '.join(MODES)}")
    p.add_argument("--out", default=None, help="also write the results as JSON here")
    p.add_argument("--one", choices=MODES, help=argparse.SUPPRESS)
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
    results = [run_in_subprocess(m, args) for m in modes]
    print(report(results, expected_verdicts(Path(args.data))))
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
