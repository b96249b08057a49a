"""Alembic's environment for the gateway's tables, a migration stream of its own.

Its revisions are recorded in ``alembic_version_gateway``, so they never mix with the tracking
store's. jurist applies them when the gateway starts; by hand:
``alembic -c /dev/null -x url=sqlite:///jurist.db upgrade head`` with ``script_location`` set to this folder.
"""

from __future__ import annotations

from jurist._db import run_alembic_env
from jurist.gateway._db import SCHEMA

run_alembic_env(SCHEMA)
