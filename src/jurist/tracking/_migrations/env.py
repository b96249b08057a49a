"""Alembic's environment for the tracking store: runs on the connection jurist hands it, or on a URL.

jurist applies these migrations itself when it opens a store (``jurist.tracking._engine.migrate``);
to run them by hand: ``alembic -x url=sqlite:///jurist.db upgrade head`` with
``script_location`` set to this folder.
"""

from __future__ import annotations

from jurist._db import run_alembic_env
from jurist.tracking._engine import SCHEMA

run_alembic_env(SCHEMA)
