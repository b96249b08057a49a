"""The ``jurist`` Typer app: global options, and the commands wired in from their modules."""

from __future__ import annotations

from typing import Annotated

import typer

from jurist.cli._align import align_command, meta_eval_command
from jurist.cli._errors import Options, fail, reported, stderr_console
from jurist.cli._evaluate import evaluate_command
from jurist.cli._gateway import gateway_command
from jurist.cli._judges import judges_app
from jurist.cli._report import report_command
from jurist.cli._server import server_command
from jurist.cli._trust import compare_command, probe_command

app = typer.Typer(
    name="jurist",
    help="LLM-as-a-Judge: grade what AI systems produce with fast, cheap judges that agree with people.",
    add_completion=False,
    # Locals may hold API keys; never print them in a traceback.
    pretty_exceptions_show_locals=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        from jurist import __version__

        typer.echo(f"jurist {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    debug: Annotated[bool, typer.Option(
        "--debug", help="On an error, print the full traceback, not only the one-line message.",
    )] = False,
    version: Annotated[bool, typer.Option(
        "--version", callback=_version, is_eager=True, help="Print the version and exit.",
    )] = False,
) -> None:
    """LLM-as-a-Judge: grade what AI systems produce with fast, cheap judges that agree with people."""
    ctx.obj = Options(debug=debug)
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit()


app.command("evaluate")(evaluate_command)
app.add_typer(judges_app)
app.command("gateway")(gateway_command)
app.command("server")(server_command)
app.command("compare")(compare_command)
app.command("probe")(probe_command)
app.command("meta-eval")(meta_eval_command)
app.command("align")(align_command)
app.command("report")(report_command)


@app.command("serve-local")
def serve_local(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="The port to listen on.")] = 8080,
    model: Annotated[str, typer.Option(
        "--model", "-m", help="The local judge model to serve.", metavar="URI",
    )] = "local:/default",
) -> None:
    """Serve the embedded local judge model over HTTP."""
    with reported(ctx):
        try:
            from jurist.local.server import serve
        except ImportError as e:
            raise fail(
                f"the local judge model runtime is not available ({e}); install it with: pip install 'jurist[local]'"
            ) from None
        serve(host, port, model, say=lambda line: stderr_console().print(line, highlight=False))


def main() -> None:
    """The ``jurist`` console script."""
    app(prog_name="jurist")
