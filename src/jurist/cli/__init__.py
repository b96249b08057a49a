"""The ``jurist`` command: ``evaluate``, ``judges list``, ``serve-local``.

Importing this package loads only typer and rich; each command imports what it needs when it runs.

Example:
    .. code-block:: console

        $ jurist evaluate examples/ --scorer correctness --scorer "guidelines:Answer in English"
"""

from __future__ import annotations

from jurist.cli._app import app, main

__all__ = ["app", "main"]
