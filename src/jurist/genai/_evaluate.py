"""``jurist.genai.evaluate``: MLflow's ``mlflow.genai.evaluate`` over :func:`jurist.evaluate`.

It takes what MLflow's takes as ``data``: a list of dicts, a DataFrame, an evaluation dataset, traces,
or the DataFrame ``search_traces`` returns. A trace becomes a row whose ``inputs`` and ``outputs`` are
its root span's and whose ``expectations`` are the trace's expectation assessments; each judgment is
logged to that trace. Conversation judges (``ConversationCompleteness``, ``UserFrustration``, a
``make_judge`` with ``{{ conversation }}`` …) judge each session once: traces are grouped by their
``mlflow.trace.session`` (or ``jurist.session``) key and ordered by time, and the verdict is logged to
the session's first trace. Everything else is :func:`jurist.evaluate`'s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from jurist.entities import Feedback, Trace
from jurist.errors import ConfigError
from jurist.evaluation._result import EvaluationResult
from jurist.scorers._scorer import Scorer, to_feedbacks
from jurist.tracing._update import SESSION_KEYS

#: Keys of MLflow's dataset records that are bookkeeping, not data.
_RECORD_KEYS = ("dataset_record_id", "dataset_id", "create_time", "created_by", "last_update_time",
                "last_updated_by", "source", "source_type", "source_id")


def session_id(trace: Trace) -> str | None:
    return next((trace.tags[k] for k in SESSION_KEYS if trace.tags.get(k)), None)


def _is_trace_frame(data: Any) -> bool:
    return type(data).__name__ == "DataFrame" and "trace" in getattr(data, "columns", ()) and \
        all(isinstance(t, (Trace, dict, str)) for t in data["trace"])


def _trace_row(t: Trace) -> dict[str, Any]:
    expectations = {a.name: a.value for a in getattr(t, "expectations", None) or []}
    return {"trace": t, "inputs": t.inputs, "outputs": t.outputs, "expectations": expectations or None,
            "id": t.trace_id}


def _record_row(r: dict[str, Any]) -> dict[str, Any]:
    row = {k: v for k, v in r.items() if k not in _RECORD_KEYS}
    if "id" not in row and r.get("dataset_record_id") is not None:
        row["id"] = r["dataset_record_id"]
    if "trace" in row and row["trace"] is not None and not isinstance(row["trace"], Trace):
        row["trace"] = Trace.coerce(row["trace"])
    return row


def to_rows(data: Any, predict: bool = False) -> tuple[Any, list[Trace]]:
    """jurist's rows for ``data``, and the traces among them (for grouping into sessions). With a
    ``predict_fn`` (``predict``), a trace gives only its inputs and expectations: the app runs again."""
    from jurist.genai.datasets import EvaluationDataset

    if isinstance(data, EvaluationDataset):
        return [_record_row(r) for r in data.to_records()], []
    if _is_trace_frame(data):
        data = [Trace.coerce(t) for t in data["trace"]]
    if isinstance(data, (list, tuple)) and data and all(isinstance(t, Trace) for t in data):
        traces = list(data)
        if predict:
            return [{k: v for k, v in _trace_row(t).items() if k in ("inputs", "expectations")} for t in traces], []
        return [_trace_row(t) for t in traces], traces
    if isinstance(data, (list, tuple)) and all(isinstance(r, dict) for r in data):
        return [_record_row(r) for r in data], []
    return data, []


def is_conversation_scorer(scorer: Any) -> bool:
    from jurist.judges.builtin._session import SessionJudge

    if isinstance(scorer, SessionJudge):
        return True
    return "conversation" in (getattr(scorer, "template_variables", None) or ())


class SessionScorer(Scorer):
    """A conversation judge over trace rows: judges a session on its first trace, and nothing on the others."""

    def __init__(self, inner: Scorer, sessions: dict[str, list[Trace]]) -> None:
        self.inner = inner
        self.name = inner.name
        self.aggregations = inner.aggregations
        self.sessions = sessions  # first trace id → the session's traces, in time order

    @property
    def source(self) -> Any:
        return getattr(self.inner, "source", None)

    def check_ready(self) -> None:
        self.inner.check_ready()

    async def ascore(self, **kwargs: Any) -> list[Feedback]:
        trace = kwargs.get("trace")
        turns = self.sessions.get(trace.trace_id) if isinstance(trace, Trace) else None
        if turns is None:
            return []
        result = await self.inner.ascore(session=turns, expectations=kwargs.get("expectations"))
        from jurist.entities import AssessmentSource, AssessmentSourceType

        src = self.source or AssessmentSource(AssessmentSourceType.LLM_JUDGE, self.name)
        return to_feedbacks(result, self.name, src)


def _sessions(traces: list[Trace]) -> dict[str, list[Trace]]:
    groups: dict[str, list[Trace]] = {}
    for t in traces:
        sid = session_id(t)
        if sid is not None:
            groups.setdefault(sid, []).append(t)
    out = {}
    for turns in groups.values():
        turns.sort(key=lambda t: (t.info.request_time or 0, t.trace_id))
        out[turns[0].trace_id] = turns
    return out


def evaluate(data: Any, scorers: Sequence[Scorer] | Scorer, predict_fn: Callable[..., Any] | None = None,
             model_id: str | None = None, *, experiment_name: str | None = None, experiment_id: str | None = None,
             **options: Any) -> EvaluationResult:
    """Run ``scorers`` over ``data`` as MLflow's ``mlflow.genai.evaluate`` does; returns jurist's
    :class:`EvaluationResult` (``run_id``, ``metrics`` in MLflow's names and jurist's, ``result_df``,
    ``tables["eval_results"]``).

    ``options`` are :func:`jurist.evaluate`'s (``concurrency``, ``cache``, ``progress``, ``resume``, ``log``).

    Example:
        >>> from jurist.genai.scorers import Correctness
        >>> result = evaluate(data=[{"inputs": {"q": "2+2?"}, "outputs": "4",            # doctest: +SKIP
        ...                          "expectations": {"expected_response": "4"}}], scorers=[Correctness()])
        >>> result.metrics["correctness/mean"]                                         # doctest: +SKIP
        1.0
    """
    from jurist.evaluation import evaluate as jurist_evaluate
    from jurist.tracing._export import flush_traces

    if model_id is not None:
        raise ConfigError("jurist has no logged models: drop model_id= (tag the run's traces instead)")
    if experiment_name is not None and experiment_id is not None:
        raise ConfigError("give experiment_name= or experiment_id=, not both")
    flush_traces()  # traces the app just recorded are in the store before their feedback is
    rows, traces = to_rows(data, predict=predict_fn is not None)
    listed = [scorers] if isinstance(scorers, Scorer) else list(scorers) if isinstance(scorers, (list, tuple)) \
        else scorers
    if traces and isinstance(listed, list):
        sessions = _sessions(traces)
        listed = [SessionScorer(s, sessions) if is_conversation_scorer(s) else s for s in listed]
    experiment = experiment_name
    if experiment_id is not None:  # jurist.evaluate takes a name: the id names an existing experiment
        from jurist.tracking import get_experiment

        experiment = get_experiment(str(experiment_id)).name
    return jurist_evaluate(rows, listed, predict_fn, experiment=experiment, **options)


def to_predict_fn(endpoint_uri: str) -> Callable[..., str]:
    """A ``predict_fn`` that sends each row's ``messages`` (or its one text input) to a model and returns
    the reply's text. ``endpoints:/name`` is read as the AI Gateway endpoint ``gateway:/name``; any jurist
    model URI (``openai:/gpt-4o-mini`` …) works too.

    Example:
        >>> predict = to_predict_fn("gateway:/chat")                            # doctest: +SKIP
        >>> predict(messages=[{"role": "user", "content": "Hi"}])              # doctest: +SKIP
        'Hello!'
    """
    from jurist.models import ChatRequest, Message, ModelClient

    uri = "gateway:/" + endpoint_uri.removeprefix("endpoints:/") if endpoint_uri.startswith("endpoints:/") \
        else endpoint_uri
    client = ModelClient(uri)

    def predict(payload: dict[str, Any] | None = None, /, **inputs: Any) -> str:
        from jurist._runtime import RUNTIME

        if payload is not None:  # predict({"messages": [...]}) as well as predict(messages=[...])
            inputs = {**payload, **inputs}
        msgs = inputs.get("messages", inputs.get("input"))
        if isinstance(msgs, list) and msgs and all(isinstance(m, dict) for m in msgs):
            messages = tuple(Message(m.get("role", "user"), str(m.get("content", ""))) for m in msgs)
        else:
            texts = [v for v in inputs.values() if isinstance(v, str)]
            if len(texts) != 1:
                raise ConfigError("to_predict_fn's function takes messages=[{'role', 'content'}, ...] (or input=) "
                                  "or exactly one text input")
            messages = (Message("user", texts[0]),)
        resp = RUNTIME.run(client.chat(ChatRequest(messages=messages)))
        return resp.text or ""

    predict.__name__ = "predict"
    return predict
