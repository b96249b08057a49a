"""``jurist evaluate``: run built-in judges over a data file or folder and print the metrics."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from jurist.cli._errors import reported, stderr_console
from jurist.cli._specs import DEFAULT_SCORERS

if TYPE_CHECKING:
    from rich.table import Table

    from jurist.evaluation import EvaluationResult

_SCORER_HELP = (
    "A judge to run, by its name in 'jurist judges list'; repeat for more. "
    "Judges with guidelines take the text after a colon: 'guidelines:Answer in English'. "
    f"Default: {', '.join(DEFAULT_SCORERS)}."
)


def evaluate_command(
    ctx: typer.Context,
    data: Annotated[Path, typer.Argument(
        help="A .jsonl, .json or .csv file of rows (inputs, outputs, expectations, tags), or a folder of them.",
        show_default=False, metavar="DATA",
    )],
    scorer: Annotated[list[str] | None, typer.Option(
        "--scorer", "-s", help=_SCORER_HELP, show_default=False, metavar="SPEC",
    )] = None,
    model: Annotated[str | None, typer.Option(
        "--model", "-m",
        help="The judges' model URI, e.g. openai:/gpt-4o-mini, anthropic:/claude-sonnet-4, local:/default. "
             "Default: $JURIST_DEFAULT_MODEL; else openai:/gpt-4o-mini when OPENAI_API_KEY is set; "
             "else the embedded local model.",
        show_default=False, metavar="URI",
    )] = None,
    concurrency: Annotated[int | None, typer.Option(
        "--concurrency", "-c", min=1,
        help="Judgments in flight at once. Default: $JURIST_MAX_CONCURRENCY, else 32.", show_default=False,
    )] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o",
        help="Write every row with its feedback here: JSON Lines for .jsonl, else one JSON document with metrics.",
        show_default=False, metavar="PATH",
    )] = None,
    cache: Annotated[bool, typer.Option(
        "--cache/--no-cache", help="Reuse cached judge answers to identical requests.",
    )] = True,
    experiment: Annotated[str | None, typer.Option(
        "--experiment", "-e", help="Log the run to this experiment (created if new). Default: 'Default'.",
        show_default=False, metavar="NAME",
    )] = None,
    resume: Annotated[str | None, typer.Option(
        "--resume", help="Finish an interrupted run: judge only what it has not stored. Same DATA and judges.",
        show_default=False, metavar="RUN_ID",
    )] = None,
    ray_address: Annotated[str | None, typer.Option(
        "--ray-address",
        help="Judge on this Ray cluster (ray://HEAD:10001, HEAD:6379 or auto): rows run as tasks on its "
             "workers, results are logged here. Needs pip install 'jurist[ray]'. See docs/cluster.md.",
        show_default=False, metavar="ADDRESS",
    )] = None,
) -> None:
    """Judge the rows of DATA with built-in judges; print pass rates, errors, tokens, cost and time.

    --scorer takes [NAME=]JUDGE[:TEXT]. Without it, jurist runs correctness, relevance_to_query and safety.

    Several 'guidelines:...' make ONE judge that passes only when all are met; name them to judge each alone:

    -s 'english=guidelines:Answer in English' -s 'polite=guidelines:Be polite'

    Example: jurist evaluate examples/ -s correctness -s "guidelines:Answer in English" -o results.jsonl
    """
    with reported(ctx):
        from jurist.cli._specs import build_scorers
        from jurist.evaluation import evaluate

        if model is not None:
            from jurist.models import parse_model_uri

            model = str(parse_model_uri(model))
        judges = build_scorers(scorer or DEFAULT_SCORERS, model=model)
        if not data.exists():
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), str(data))
        console = Console()
        console.print(
            Text.assemble(
                "Evaluating ", (str(data), "bold"), " with ", (", ".join(j.name for j in judges), "bold"),
                " on ", (judges[0].model, "bold"),
            ),
            highlight=False,
        )
        with _announce_run(console, data):
            result = evaluate(str(data), judges, concurrency=concurrency, cache=cache, experiment=experiment,
                              resume=resume, ray_address=ray_address)
        console.print(metrics_table(result))
        for line in first_errors(result):
            console.print(line, highlight=False)
        console.print(totals_line(result), highlight=False)
        if out is not None:
            written = result.to_json(out)
            console.print(Text.assemble("Wrote ", str(len(result.rows)), " rows to ", (str(written), "bold")),
                          highlight=False)
        if result.unstored_message:
            # The verdicts are printed above, but the run's log is incomplete: a script must know.
            stderr_console().print(Text.assemble(("Error: ", "bold red"), result.unstored_message), highlight=False)
            raise typer.Exit(1)


@contextmanager
def _announce_run(console: Console, data: Path) -> Iterator[None]:
    """Print the run's id as soon as it is logged, so that an interrupted run can be resumed."""
    import logging

    from jurist.tracking._engine import safe_uri  # the store's password is never printed

    class _Handler(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            run_id = getattr(record, "jurist_run_id", None)
            if run_id is None:
                return
            done = getattr(record, "jurist_done", None)
            what = f"Resuming run {run_id} ({done} judgments already stored)" if done is not None else \
                f"Run {run_id} in experiment {getattr(record, 'jurist_experiment', '?')}"
            console.print(Text.assemble(what, " · ", (safe_uri(str(getattr(record, "jurist_store", ""))), "dim"),
                                        " · resume with: jurist evaluate ", str(data), " --resume ", run_id),
                          highlight=False)

    logger = logging.getLogger("jurist.evaluation")
    handler = _Handler(logging.INFO)
    level = logger.level
    logger.addHandler(handler)
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _percent(v: Any) -> str:
    return f"{v:.1%}" if isinstance(v, (int, float)) else "—"


def score_cell(metrics: dict[str, Any]) -> str:
    """The headline of one scorer's metrics: its pass rate, else its mean, else its value distribution."""
    if "pass_rate" in metrics:
        return f"{_percent(metrics['pass_rate'])} pass"
    if isinstance(metrics.get("mean"), (int, float)):
        return f"{metrics['mean']:.3g} mean"
    dist = metrics.get("distribution")
    if isinstance(dist, dict) and dist:
        top = sorted(dist.items(), key=lambda kv: -kv[1])[:3]
        return ", ".join(f"{k} {_percent(v)}" for k, v in top)
    return "—"


def metrics_table(result: EvaluationResult) -> Table:
    """One line per scorer: pass rate (or mean), errors, count."""
    from rich.table import Table

    table = Table(title=f"{len(result.rows)} rows", title_justify="left")
    table.add_column("Scorer", style="bold cyan", no_wrap=True)
    table.add_column("Result", justify="right", no_wrap=True)
    table.add_column("Errors", justify="right")
    table.add_column("Count", justify="right")
    for name, metrics in result.scorer_metrics.items():
        errors = int(metrics.get("error_count") or 0)
        table.add_row(name, score_cell(metrics), Text(str(errors), style="red" if errors else ""),
                      str(metrics.get("count", 0)))
    return table


def first_errors(result: EvaluationResult) -> list[Text]:
    """For each scorer with errors, the first one, so that a run where every row failed says why."""
    lines = []
    for name, metrics in result.scorer_metrics.items():
        if not metrics.get("error_count"):
            continue
        for row in result.rows:
            fb = next((f for f in row.feedbacks if f.name == name and f.error is not None), None)
            if fb is not None and fb.error is not None:
                n = int(metrics["error_count"])
                where = row.id if row.id is not None else row.index
                lines.append(Text.assemble(
                    (name, "bold red"), f": {n} error{'s' if n != 1 else ''}, the first on row {where}: ",
                    " ".join(f"{fb.error.error_code}: {fb.error.error_message or ''}".split()),
                ))
                break
    return lines


def cost_text(cost: float | None) -> str:
    if cost is None:
        return "unknown"
    return f"${cost:,.2f}" if cost >= 1 or cost == 0 else f"${cost:.6f}".rstrip("0")


def totals_line(result: EvaluationResult) -> Text:
    """Tokens, cost and time of the whole run."""
    tokens = (result.total_input_tokens or 0) + (result.total_output_tokens or 0)
    parts = [
        ("Tokens ", ""), (f"{tokens:,}", "bold"),
        (f" ({result.total_input_tokens or 0:,} in, {result.total_output_tokens or 0:,} out)", ""),
        (" · cost ", ""), (cost_text(result.total_cost_usd), "bold"),
        (" · time ", ""), (f"{result.duration_s:.1f} s", "bold"),
    ]
    calls = getattr(result, "judge_calls", None)
    cached = getattr(result, "cached_judgments", None)
    if isinstance(calls, int):
        parts.append((f" · {calls:,} judge calls", ""))
        if isinstance(cached, int) and cached:
            parts.append((f", {cached:,} answered from cache", ""))
    return Text.assemble(*parts)
