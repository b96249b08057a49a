"""``jurist judges list``: the built-in judges, with what each needs."""

from __future__ import annotations

import typer
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from jurist.cli._errors import reported

judges_app = typer.Typer(name="judges", help="The built-in judges.", add_completion=False)


@judges_app.callback(invoke_without_command=True)
def _judges(ctx: typer.Context) -> None:
    """The built-in judges."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()


def summary(doc: str | None) -> str:
    """The summary of a docstring (its first paragraph, which may wrap), without reST literal quotes."""
    paragraph = (doc or "").strip().split("\n\n", 1)[0]
    return " ".join(paragraph.split()).replace("``", "")


@judges_app.command("list")
def list_judges(ctx: typer.Context) -> None:
    """List every built-in judge: its --scorer name, class, the inputs it needs, and what it checks."""
    with reported(ctx):
        from jurist.cli._specs import judge_classes, takes_guidelines

        console = Console()
        # A narrow terminal gets the class under the scorer name, so the description keeps room to read.
        wide = console.width >= 120
        table = Table(title="Built-in judges", title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column("Scorer", style="bold cyan", no_wrap=True)
        if wide:
            table.add_column("Class", no_wrap=True)
        table.add_column("Needs", no_wrap=not wide)
        table.add_column("Checks", ratio=1)
        for name, cls in judge_classes().items():
            scorer = f"{name}:TEXT" if takes_guidelines(cls) else name
            if wide:
                table.add_row(scorer, cls.__name__, ", ".join(cls.required), summary(cls.__doc__))
            else:
                cell = Text.assemble((scorer, "bold cyan"), "\n", (cls.__name__, "dim"))
                table.add_row(cell, "\n".join(cls.required), summary(cls.__doc__), end_section=True)
        console.print(table)
        console.print(
            "Use a scorer with [bold]jurist evaluate DATA --scorer NAME[/bold]; "
            "for the judges marked [cyan]:TEXT[/cyan], give the guideline: --scorer 'guidelines:Answer in English'.",
            highlight=False,
        )
