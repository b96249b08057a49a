"""``python -m jurist.cli``: the same as the ``jurist`` command."""

from __future__ import annotations

from jurist.cli import main

if __name__ == "__main__":
    main()
