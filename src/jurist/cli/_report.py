"""``jurist report RUN_ID --out report.html``: one run as one self-contained HTML file, to mail or attach."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from jurist.cli._errors import fail, reported


def _store_uri(tracking_uri: str | None) -> str:
    """The store to read, refusing a SQLite file that is not there (opening it would create an empty one)."""
    from jurist.tracking._store import get_tracking_uri, is_remote

    uri = tracking_uri or get_tracking_uri()
    if "://" not in uri:
        uri = f"sqlite:///{Path(uri).expanduser().resolve()}"
    if not is_remote(uri) and uri.startswith("sqlite:///") and uri != "sqlite:///:memory:":
        path = Path(uri[len("sqlite:///"):].split("?", 1)[0])
        if not path.is_file():
            raise fail(f"no tracking store at {path}: give the one your runs went to with --tracking-uri "
                       "(or set JURIST_TRACKING_URI)")
    return uri


def report_command(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="The run to report (its id, as 'jurist evaluate' prints it).",
                                          metavar="RUN_ID")],
    out: Annotated[Path, typer.Option(
        "--out", "-o", help="The HTML file to write (replaced if it exists).", metavar="FILE")] = Path("report.html"),
    tracking_uri: Annotated[str | None, typer.Option(
        "--tracking-uri", help="The store the run is in: sqlite:///path/jurist.db, postgresql+psycopg://…, "
                               "http://host:5000. Default: $JURIST_TRACKING_URI, else ./jurist.db.",
        metavar="URI", show_default=False)] = None,
) -> None:
    """Write one run as a single HTML file: run info, metrics, charts (pass rate per judge, score
    distributions, cost, latency) and every row with each scorer's value, rationale and error.

    The file loads nothing from anywhere, so it can be mailed or attached to a pull request.

    Example: jurist report 5f0c2a9e --out report.html
    """
    with reported(ctx):
        from jurist._db import safe_uri
        from jurist.errors import NotFoundError
        from jurist.tracking import get_store
        from jurist.ui._report import render_report

        uri = _store_uri(tracking_uri)
        store = get_store(uri)
        try:
            html = render_report(store, run_id)
        except NotFoundError:
            raise fail(f"no run {run_id!r} in the store at {safe_uri(uri)}; list the runs with "
                       "jurist.search_runs(), or give the right store with --tracking-uri") from None
        if out.is_dir():
            raise fail(f"--out {str(out)!r} is a directory; give a file name such as {out / 'report.html'}")
        out.write_text(html, encoding="utf-8")
        typer.echo(f"Wrote {out} ({len(html.encode('utf-8')) / 1024:.0f} KiB) for run {run_id}")
