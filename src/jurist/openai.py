"""``jurist.openai.autolog()``: MLflow's ``mlflow.openai.autolog()``, tracing the OpenAI SDK's calls.

See :mod:`jurist.tracing._autolog_openai`.
"""

from jurist.tracing._autolog_openai import autolog

__all__ = ["autolog"]
