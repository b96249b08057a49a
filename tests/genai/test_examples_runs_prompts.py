"""MLflow-style examples of runs, the client and the prompt registry, written from the shapes MLflow's
docs use (evaluation inside ``start_run``, ``MlflowClient`` for traces and runs, ``register_prompt`` /
``load_prompt`` in an app and a judge), run as jurist code against the loopback OpenAI fake."""

from __future__ import annotations

from typing import Any

import pandas as pd

import jurist
from jurist import MlflowClient
from jurist.entities import AssessmentSource, AssessmentSourceType, Feedback
from jurist.genai import scorer
from jurist.genai.judges import make_judge
from jurist.genai.scorers import Correctness, Guidelines
from tests._helpers import some


@scorer
def exact_match(outputs: str, expectations: dict[str, Any]) -> bool:
    return bool(outputs == expectations["expected_response"])


DATA = [
    {"inputs": {"question": "2+2?"}, "outputs": "4", "expectations": {"expected_response": "4"}},
    {"inputs": {"question": "Capital of Italy?"}, "outputs": "Milan", "expectations": {"expected_response": "Rome"}},
]


# -- runs ---------------------------------------------------------------------------------------------
def test_evaluate_inside_a_named_run(judge_says: Any) -> None:
    judge_says("yes")
    jurist.set_experiment("qa-app")
    with jurist.start_run(run_name="prompt-v2") as run:
        jurist.log_params({"model": "gpt-4o-mini", "prompt_version": 2})
        results = jurist.genai.evaluate(data=DATA, scorers=[Correctness(), exact_match])
    assert results.run_id == run.info.run_id
    logged = jurist.get_run(run.info.run_id)
    assert logged.data.metrics["exact_match/mean"] == 0.5 and logged.data.params["prompt_version"] == "2"


def test_comparing_runs_with_search_runs() -> None:
    experiment_id = jurist.create_experiment("compare-prompts")
    for version in ("v1", "v2"):
        with jurist.start_run(experiment_id=experiment_id, run_name=version):
            jurist.log_param("prompt", version)
            jurist.genai.evaluate(data=DATA[: 1 if version == "v1" else 2], scorers=[exact_match])
    runs = jurist.search_runs(experiment_ids=[experiment_id], order_by=["metrics.`exact_match/mean` DESC"])
    assert isinstance(runs, pd.DataFrame)
    assert list(runs["params.prompt"]) == ["v1", "v2"] and list(runs["metrics.exact_match/mean"]) == [1.0, 0.5]


def test_nested_runs_for_a_parameter_sweep() -> None:
    with jurist.start_run(run_name="sweep") as parent:
        for temperature in (0.0, 0.7):
            with jurist.start_run(run_name=f"t={temperature}", nested=True):
                jurist.log_param("temperature", temperature)
                jurist.log_metric("score", 1 - temperature)
    children = jurist.search_runs(filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
    assert sorted(children["params.temperature"]) == ["0.0", "0.7"]


def test_manual_start_and_end_run() -> None:
    jurist.start_run()
    jurist.set_tag("purpose", "smoke-test")
    jurist.log_metric("latency_ms", 120)
    run_id = jurist.active_run().info.run_id  # type: ignore[union-attr]
    jurist.end_run()
    assert jurist.get_run(run_id).info.status == "FINISHED"


# -- the client ---------------------------------------------------------------------------------------
def test_client_search_traces_and_tag_them(judge_says: Any) -> None:
    judge_says("no")

    @jurist.trace
    def app(question: str) -> str:
        return "I do not know."

    for q in ("Refund policy?", "Opening hours?"):
        app(q)
    client = MlflowClient()
    experiment = client.get_experiment_by_name("Default")
    assert experiment is not None
    traces = client.search_traces(experiment_ids=[experiment.experiment_id], max_results=10)
    for t in traces:
        client.set_trace_tag(t.info.trace_id, "needs_review", "true")
    flagged = jurist.search_traces(filter_string="tags.needs_review = 'true'", return_type="list")
    assert len(flagged) == 2


def test_client_runs_and_metrics() -> None:
    client = MlflowClient()
    experiment_id = client.create_experiment("client-demo")
    run = client.create_run(experiment_id, run_name="offline-eval")
    client.log_param(run.info.run_id, "judge", "gpt-4o-mini")
    client.log_metric(run.info.run_id, "agreement", 0.87)
    client.set_terminated(run.info.run_id, "FINISHED")
    got = client.get_run(run.info.run_id)
    assert got.info.status == "FINISHED" and got.data.metrics["agreement"] == 0.87
    assert [r.info.run_id for r in client.search_runs([experiment_id], "metrics.agreement > 0.8")] == [run.info.run_id]


def test_human_feedback_corrected_through_the_client() -> None:
    @jurist.trace
    def app(question: str) -> str:
        return "Lyon"

    app("Capital of France?")
    trace_id = jurist.get_last_active_trace_id()
    assert trace_id is not None
    feedback = jurist.log_feedback(trace_id=trace_id, name="correctness", value=False,
                                   source=AssessmentSource(source_type=AssessmentSourceType.HUMAN,
                                                           source_id="reviewer@example.com"),
                                   rationale="Paris is the capital")
    client = MlflowClient()
    stored = client.get_assessment(trace_id, feedback.assessment_id)  # type: ignore[arg-type]
    assert stored.value is False
    client.update_assessment(trace_id, feedback.assessment_id, Feedback(value=False, rationale="Paris, not Lyon"))  # type: ignore[arg-type]
    assert client.get_trace(trace_id).search_assessments("correctness")[0].rationale == "Paris, not Lyon"


# -- prompts ------------------------------------------------------------------------------------------
def test_register_and_use_a_prompt_in_the_app(judge_says: Any, fake_openai: Any) -> None:
    judge_says("yes")
    prompt = jurist.genai.register_prompt(
        name="qa-prompt",
        template="Answer the question in {{ style }} style: {{ question }}",
        commit_message="Initial version",
        tags={"author": "support-team"},
    )
    assert prompt.version == 1 and prompt.variables == {"style", "question"}

    def predict_fn(question: str) -> str:
        loaded = jurist.genai.load_prompt("prompts:/qa-prompt/1")
        assert loaded is not None
        return str(loaded.format(style="concise", question=question))

    results = jurist.genai.evaluate(data=[{"inputs": {"question": "Why is the sky blue?"}}], predict_fn=predict_fn,
                                    scorers=[Guidelines(name="concise", guidelines="The answer is concise")])
    assert results.metrics["concise/mean"] == 1.0
    assert results.result_df["response"][0] == "Answer the question in concise style: Why is the sky blue?"


def test_prompt_aliases_for_deployment() -> None:
    jurist.genai.register_prompt(name="summarizer", template="Summarize: {{ text }}")
    jurist.genai.register_prompt(name="summarizer", template="Summarize in {{ n }} sentences: {{ text }}",
                                 commit_message="add length control")
    jurist.genai.set_prompt_alias("summarizer", alias="production", version=1)
    jurist.genai.set_prompt_alias("summarizer", alias="staging", version=2)
    production = jurist.genai.load_prompt("prompts:/summarizer@production")
    staging = jurist.genai.load_prompt("prompts:/summarizer@staging")
    assert production is not None and staging is not None
    assert production.format(text="...") == "Summarize: ..." and staging.commit_message == "add length control"
    jurist.genai.set_prompt_alias("summarizer", alias="production", version=2)  # promote
    promoted = jurist.genai.load_prompt("prompts:/summarizer@production")
    assert promoted is not None and promoted.version == 2


def test_chat_prompt_for_an_openai_client(fake_openai: Any) -> None:
    prompt = jurist.genai.register_prompt(name="assistant", template=[
        {"role": "system", "content": "You are a helpful {{ domain }} assistant."},
        {"role": "user", "content": "{{ question }}"},
    ])
    messages = prompt.format(domain="cooking", question="How long to boil an egg?")
    assert messages[0] == {"role": "system", "content": "You are a helpful cooking assistant."}
    assert prompt.to_single_brace_format()[1]["content"] == "{question}"


def test_judge_instructions_from_the_prompt_registry(judge_says: Any) -> None:
    judge_says(True)
    jurist.genai.register_prompt(
        name="politeness-judge",
        template="Is the response in {{ outputs }} polite to the user who asked {{ inputs }}?")
    instructions = jurist.genai.load_prompt("politeness-judge")
    judge = make_judge(name="polite", instructions=instructions, feedback_value_type=bool)  # type: ignore[arg-type]
    feedback = judge(inputs={"q": "Where is my order?"}, outputs="It ships tomorrow, thank you for waiting!")
    assert feedback.value is True
    judge2 = make_judge(name="polite2", instructions=str(some(instructions).template), feedback_value_type=bool)
    assert judge2.template_variables == judge.template_variables


def test_search_prompts_by_name_and_tag() -> None:
    jurist.genai.register_prompt(name="support-greeting", template="Hi {{ name }}")
    jurist.genai.register_prompt(name="billing-greeting", template="Hello {{ name }}")
    jurist.genai.set_prompt_tag("billing-greeting", "team", "billing")
    assert {p.name for p in jurist.genai.search_prompts(filter_string="name LIKE '%greeting'")} == \
        {"support-greeting", "billing-greeting"}
    assert [p.name for p in jurist.genai.search_prompts(filter_string="tags.team = 'billing'")] == ["billing-greeting"]


def test_evaluate_into_an_experiment_by_id() -> None:
    experiment_id = jurist.create_experiment("by-id")
    results = jurist.genai.evaluate(data=DATA, scorers=[exact_match], experiment_id=experiment_id)
    assert jurist.get_run(some(results.run_id)).info.experiment_id == experiment_id
    assert [e.name for e in jurist.search_experiments(filter_string="name = 'by-id'")] == ["by-id"]
    assert {e.name for e in jurist.search_experiments()} <= {"by-id", "Default"}  # the id named no new experiment
