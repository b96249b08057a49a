"""``jurist meta-eval`` and ``jurist align``: how often does a judge agree with people, and make it agree more."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from jurist.cli._errors import fail, reported

_OPTIMIZERS = ("instruction", "memory", "calibration", "instruction+calibration", "memory+calibration")

JudgeOpt = Annotated[str, typer.Option(
    "--judge", "-j", help="The judge: a scorer spec as --scorer takes it (correctness, 'guidelines:Be polite', "
                          "pairwise_preference) or a judge's JSON file (judge.to_dict()).", metavar="SPEC")]
DataOpt = Annotated[Path | None, typer.Option(
    "--data", "-d", help="Labelled rows (.jsonl/.json/.csv): the item as 'jurist evaluate' reads it, and the "
                         "person's verdict in 'label' (and why in 'rationale').", metavar="FILE", show_default=False)]
ExperimentOpt = Annotated[str | None, typer.Option(
    "--experiment", "-e", help="Read the traces of this experiment from the tracking store instead: those with "
                               "HUMAN feedback named like the judge.", metavar="NAME", show_default=False)]
ModelOpt = Annotated[str | None, typer.Option(
    "--model", "-m", help="The judge's model URI. Default: as 'jurist evaluate'.", metavar="URI", show_default=False)]
ConcurrencyOpt = Annotated[int | None, typer.Option("--concurrency", "-c", min=1, show_default=False,
                                                    help="Judgments in flight at once.")]


def _labelled(data: Path | None, experiment: str | None, max_traces: int = 10_000) -> Any:
    if (data is None) == (experiment is None):
        raise fail("give the labelled items with --data FILE or --experiment NAME (one of them)")
    if data is not None:
        if not data.exists():
            raise fail(f"data {str(data)!r} does not exist")
        return str(data)
    from jurist.tracking import search_traces

    return search_traces(experiment, max_results=max_traces)


def _model(model: str | None) -> str | None:
    if model is None:
        return None
    from jurist.models import parse_model_uri

    return str(parse_model_uri(model))


class _Bar:
    """A rich progress bar with one task per phase ("measuring before", "optimizing" …)."""

    def __init__(self, console: Console) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeElapsedColumn(), console=console, transient=False)
        self.tasks: dict[str, Any] = {}

    def __call__(self, what: str, done: int, total: int) -> None:
        task = self.tasks.get(what)
        if task is None:
            task = self.tasks[what] = self.progress.add_task(what, total=total)
        self.progress.update(task, completed=done, total=total)

    def __enter__(self) -> _Bar:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()


def _optimizer(name: str, model: str | None, concurrency: int | None) -> Any:
    from jurist.align import CalibrationOptimizer, InstructionOptimizer, MemoryOptimizer

    first, _, then = name.partition("+")
    if first == "calibration":
        return CalibrationOptimizer(concurrency=concurrency)
    opt: Any = (InstructionOptimizer(model=model, concurrency=concurrency) if first == "instruction"
                else MemoryOptimizer(model=model, concurrency=concurrency))
    return CalibrationOptimizer(after=opt, concurrency=concurrency) if then == "calibration" else opt


def meta_eval_command(
    ctx: typer.Context,
    judge: JudgeOpt,
    data: DataOpt = None,
    experiment: ExperimentOpt = None,
    model: ModelOpt = None,
    concurrency: ConcurrencyOpt = None,
    as_json: Annotated[Path | None, typer.Option(
        "--json", help="Also write the report as JSON here ('-': print only JSON).", metavar="PATH",
        show_default=False)] = None,
) -> None:
    """Measure how often a judge agrees with people: accuracy, balanced accuracy, Cohen's kappa and the
    confusion matrix with 95% bootstrap intervals; for pairwise judges also position consistency.

    Example: jurist meta-eval -j correctness -d labelled.jsonl -m local:/default
    """
    with reported(ctx):
        from jurist.cli._trust import _judge
        from jurist.evaluation._meta import meta_evaluate

        labelled = _labelled(data, experiment)
        j = _judge(judge, _model(model))
        quiet = str(as_json) == "-"
        console = Console(stderr=quiet)
        with _Bar(console) as bar:
            report = meta_evaluate(j, labelled, concurrency=concurrency,
                                   on_progress=lambda d, t: bar("judging", d, t))
        if quiet:
            typer.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
            return
        console.print(report.table())
        if as_json is not None:
            as_json.write_text(json.dumps(report.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")


def align_command(
    ctx: typer.Context,
    judge: JudgeOpt,
    data: DataOpt = None,
    experiment: ExperimentOpt = None,
    optimizer: Annotated[str, typer.Option(
        "--optimizer", help="instruction: revise rules and pick demonstrations where the judge disagrees (SIMBA-"
                            "like); memory: guidelines from the people's reasons plus the most similar labelled "
                            "examples in each prompt (MemAlign-like); calibration: per-verdict offsets on the "
                            "model's log-probabilities, no optimizer model (the model must return logprobs); "
                            "instruction+calibration, memory+calibration: one, then calibrate.",
        metavar="instruction|memory|calibration|X+calibration")] = "instruction",
    optimizer_model: Annotated[str | None, typer.Option(
        "--optimizer-model", help="The optimizer model's URI. Default: the judge's own model.", metavar="URI",
        show_default=False)] = None,
    model: ModelOpt = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write the aligned judge's data (JSON) here; --judge reads it back.", metavar="PATH",
        show_default=False)] = None,
    held_out: Annotated[float, typer.Option(
        "--held-out", min=0.05, max=0.95, help="The share of prompts kept out of alignment to measure it.")] = 0.3,
    concurrency: ConcurrencyOpt = None,
    as_json: Annotated[Path | None, typer.Option(
        "--json", help="Also write the before/after report as JSON here.", metavar="PATH", show_default=False)] = None,
) -> None:
    """Align a judge with people's labels and show its agreement before and after on held-out items.

    Example: jurist align -j correctness -d labelled.jsonl -m local:/default --optimizer memory
    --optimizer-model openai:/gpt-4o -o aligned.json

    Example: jurist align -j correctness -d labelled.jsonl -m local:/default --optimizer calibration -o calibrated.json
    """
    with reported(ctx):
        from jurist.align import align_judge
        from jurist.cli._trust import _judge

        if optimizer not in _OPTIMIZERS:
            raise fail(f"--optimizer takes one of {', '.join(_OPTIMIZERS)}; got {optimizer!r}")
        labelled = _labelled(data, experiment)
        j = _judge(judge, _model(model))
        opt = _optimizer(optimizer, _model(optimizer_model), concurrency)
        console = Console()
        with _Bar(console) as bar:
            aligned = align_judge(j, labelled, opt, held_out=held_out, concurrency=concurrency, on_progress=bar)
        report = aligned.alignment
        console.print(report.table())
        fit = getattr(opt, "fit", None)
        if fit is not None:
            ba = fit.to_dict()["train_balanced_accuracy"]
            offsets = ", ".join(f"{k} {v:+.3f}" for k, v in fit.offsets.items())
            console.print(f"calibration {'applied' if fit.applied else 'not applied (no gain on the training split)'}"
                          f": offsets {offsets}; training balanced accuracy {ba['before']} -> {ba['after']} on "
                          f"{fit.scored} scored examples", highlight=False)
        if output is not None:
            output.write_text(json.dumps(aligned.to_dict(), indent=2, ensure_ascii=False), encoding="utf-8")
            console.print(f"aligned judge written to {output}", highlight=False)
        if as_json is not None:
            saved = {**report.to_dict(), **({"calibration": fit.to_dict()} if fit is not None else {})}
            as_json.write_text(json.dumps(saved, indent=2, ensure_ascii=False), encoding="utf-8")
