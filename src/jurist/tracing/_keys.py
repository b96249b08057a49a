"""The span attribute keys jurist writes and reads, in one place (no OpenTelemetry import here)."""

#: The span's type (LLM, RETRIEVER, TOOL …).
SPAN_TYPE = "jurist.span_type"
#: The span's inputs and outputs, as JSON text.
INPUTS = "jurist.inputs"
OUTPUTS = "jurist.outputs"
#: The keys of user attributes whose values were stored as JSON text (OpenTelemetry attributes hold
#: only primitives and lists of them); they are decoded when the span becomes a jurist Span.
JSON_ATTRIBUTES = "jurist.json_attributes"
#: A trace's tags, as JSON text, on its root span in OTLP.
TRACE_TAGS = "jurist.trace_tags"
#: Ids that were not OpenTelemetry-shaped hex, kept beside the hex ids derived from them in OTLP.
ORIGINAL_TRACE_ID = "jurist.trace_id"
ORIGINAL_SPAN_ID = "jurist.span_id"
#: The span status's description, kept as an attribute (jurist's Span has only the status code).
STATUS_DESCRIPTION = "otel.status_description"
#: The span's OpenTelemetry kind (SERVER, CLIENT, PRODUCER, CONSUMER, INTERNAL), kept as an attribute.
SPAN_KIND = "otel.span.kind"

#: Where other tracers put the same things.
MLFLOW_SPAN_TYPE = "mlflow.spanType"
MLFLOW_INPUTS = "mlflow.spanInputs"
MLFLOW_OUTPUTS = "mlflow.spanOutputs"
OPENINFERENCE_KIND = "openinference.span.kind"
OPENINFERENCE_INPUT = "input.value"
OPENINFERENCE_OUTPUT = "output.value"
GEN_AI_OPERATION = "gen_ai.operation.name"
