"""The model layer imports nothing of the local model: ``local`` builds on ``models``, never the reverse."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

MODELS = Path(__file__).resolve().parents[2] / "src" / "jurist" / "models"


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(a.name for a in node.names)
    return found


def test_no_module_of_models_imports_local() -> None:
    offending = {str(p.relative_to(MODELS)): m for p in MODELS.rglob("*.py") for m in _imports(p)
                 if m == "jurist.local" or m.startswith("jurist.local.")}
    assert offending == {}


def test_the_default_model_rule_loads_local_only_through_the_registry() -> None:
    code = ("import os, sys; os.environ.pop('JURIST_DEFAULT_MODEL', None); os.environ['OPENAI_API_KEY'] = 'k'; "
            "import jurist.models, jurist.models.providers.openai; "
            "assert jurist.models.default_model() == 'openai:/gpt-4o-mini'; "
            "print(sorted(m for m in sys.modules if m.startswith('jurist.local')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
