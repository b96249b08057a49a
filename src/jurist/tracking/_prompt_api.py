"""The prompt registry, in the shape of MLflow 3's ``mlflow.genai`` prompt functions.

``register_prompt(name=, template=, commit_message=, tags=)`` stores the next immutable version of a prompt;
``load_prompt("prompts:/name/1")``, ``load_prompt("prompts:/name@production")`` or
``load_prompt(name, version=)`` reads one back; ``prompt.format(**values)`` fills its ``{{ variables }}``.
A template is text, or a chat template: a list of ``{"role", "content"}`` messages. Prompts live in the
tracking store (a database or a ``jurist server``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from jurist.errors import ConfigError, NotFoundError
from jurist.tracking._store import Store, get_store

URI_PREFIX = "prompts:/"
_VARIABLE = re.compile(r"\{\{\s*([A-Za-z_][\w.\-]*)\s*\}\}")

def _m(name: str) -> Any:
    """A store module, imported on first use (importing jurist.tracking loads no SQLAlchemy)."""
    import importlib

    return importlib.import_module(f"jurist.tracking.{name}")



def _texts(template: Any) -> list[str]:
    if isinstance(template, str):
        return [template]
    return [str(m.get("content", "")) for m in template]


def _fill(text: str, values: dict[str, Any]) -> str:
    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in values:
            return str(values[name])
        return m.group(0)

    return _VARIABLE.sub(sub, text)


@dataclass
class PromptVersion:
    """One immutable version of a registered prompt.

    Example:
        >>> p = PromptVersion("qa", 1, "Answer {{ question }} in {{ language }}.")
        >>> sorted(p.variables), p.format(question="Why?", language="French"), p.uri
        (['language', 'question'], 'Answer Why? in French.', 'prompts:/qa/1')
    """

    name: str
    version: int
    template: str | list[dict[str, Any]]
    commit_message: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    creation_timestamp: int = 0
    response_format: dict[str, Any] | None = None
    model_config: dict[str, Any] | None = None

    @property
    def uri(self) -> str:
        return f"{URI_PREFIX}{self.name}/{self.version}"

    @property
    def is_text_prompt(self) -> bool:
        return isinstance(self.template, str)

    @property
    def variables(self) -> set[str]:
        """The names of the template's ``{{ variables }}``."""
        return {m.group(1) for text in _texts(self.template) for m in _VARIABLE.finditer(text)}

    def format(self, allow_partial: bool = False, **values: Any) -> Any:
        """The template with ``values`` filled in: a string, or a list of messages for a chat template.

        A variable left without a value is an error, unless ``allow_partial=True``: then the answer is a
        new (unregistered) PromptVersion holding what is still to fill.
        """
        missing = sorted(self.variables - set(values))
        if missing and not allow_partial:
            raise ConfigError(f"prompt {self.name!r} needs a value for {', '.join(missing)}: "
                              f"format({', '.join(f'{m}=...' for m in missing)}), or allow_partial=True")
        if isinstance(self.template, str):
            filled: Any = _fill(self.template, values)
        else:
            filled = [{**m, "content": _fill(str(m.get("content", "")), values)} for m in self.template]
        if missing:
            return PromptVersion(self.name, self.version, filled, self.commit_message, dict(self.tags),
                                 list(self.aliases), self.creation_timestamp, self.response_format, self.model_config)
        return filled

    def to_single_brace_format(self) -> Any:
        """The template with ``{variable}`` single braces (for str.format-style frameworks)."""
        if isinstance(self.template, str):
            return _VARIABLE.sub(r"{\1}", self.template)
        return [{**m, "content": _VARIABLE.sub(r"{\1}", str(m.get("content", "")))} for m in self.template]

    def __str__(self) -> str:
        return self.template if isinstance(self.template, str) else str(self.template)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PromptVersion:
        return cls(name=d["name"], version=int(d["version"]), template=d["template"],
                   commit_message=d.get("commit_message"), tags=dict(d.get("tags") or {}),
                   aliases=list(d.get("aliases") or []), creation_timestamp=int(d.get("creation_timestamp") or 0),
                   response_format=d.get("response_format"), model_config=d.get("model_config"))


@dataclass
class Prompt:
    """A registered prompt: its name, description, tags and newest version number."""

    name: str
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    creation_timestamp: int = 0
    last_updated_timestamp: int = 0
    latest_version: int | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Prompt:
        return cls(name=d["name"], description=d.get("description"), tags=dict(d.get("tags") or {}),
                   creation_timestamp=int(d.get("creation_timestamp") or 0),
                   last_updated_timestamp=int(d.get("last_updated_timestamp") or 0),
                   latest_version=d.get("latest_version"))


def _check_template(template: Any) -> Any:
    if isinstance(template, str):
        if not template.strip():
            raise ConfigError("a prompt template is non-empty text, or a list of {'role', 'content'} messages")
        return template
    if isinstance(template, (list, tuple)) and template and all(
            isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
            for m in template):
        return [dict(m) for m in template]
    raise ConfigError("a prompt template is non-empty text, or a list of {'role': ..., 'content': ...} messages "
                      "(a chat template), e.g. [{'role': 'user', 'content': 'Summarise {{ text }}'}]")


def _response_format(value: Any) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    schema = getattr(value, "model_json_schema", None)
    if callable(schema):
        return dict(schema())
    raise ConfigError("response_format is a pydantic model class or a JSON schema dict")


def register_prompt(name: str, template: str | list[dict[str, Any]], commit_message: str | None = None,
                    tags: dict[str, str] | None = None, response_format: Any = None,
                    model_config: dict[str, Any] | None = None, *, store: Store | None = None) -> PromptVersion:
    """Register ``template`` as the next version of prompt ``name`` (version 1 when new).

    Example:
        >>> p = jurist.genai.register_prompt(                                      # doctest: +SKIP
        ...     name="summarizer", template="Summarise in {{ num_sentences }} sentences: {{ text }}",
        ...     commit_message="first draft", tags={"task": "summarization"})
        >>> p.version, p.uri                                                      # doctest: +SKIP
        (1, 'prompts:/summarizer/1')
    """
    if model_config is not None and not isinstance(model_config, dict):
        to_dict = getattr(model_config, "model_dump", None) or getattr(model_config, "to_dict", None)
        model_config = dict(to_dict()) if callable(to_dict) else None
    d = _m("_prompts").register(store or get_store(), name, _check_template(template), commit_message,
                          {str(k): str(v) for k, v in (tags or {}).items()}, _response_format(response_format),
                          model_config)
    return PromptVersion.from_dict(d)


def parse_uri(name_or_uri: str, version: int | str | None = None) -> tuple[str, int | None, str | None]:
    """(name, version, alias) of ``prompts:/name/3``, ``prompts:/name@alias``, ``name`` (+ ``version``)."""
    if not isinstance(name_or_uri, str) or not name_or_uri:
        raise ConfigError(f"load_prompt takes a prompt name or a URI such as 'prompts:/name/1', got {name_or_uri!r}")
    text = name_or_uri
    if text.startswith(URI_PREFIX):
        if version is not None:
            raise ConfigError("give the version in the URI or as version=, not both")
        text = text[len(URI_PREFIX):].lstrip("/")
        if "@" in text:
            name, alias = text.split("@", 1)
            return _m("_prompts").check_name(name), None, alias
        name, _, number = text.partition("/")
        if not number:
            return _m("_prompts").check_name(name), None, None
        if not number.isdigit():
            raise ConfigError(f"cannot read {name_or_uri!r}: write prompts:/<name>/<version> or prompts:/<name>@<alias>")
        return _m("_prompts").check_name(name), int(number), None
    if version is None:
        return _m("_prompts").check_name(text), None, None
    if isinstance(version, str) and not version.isdigit():
        return _m("_prompts").check_name(text), None, version  # load_prompt("name", version="production")
    return _m("_prompts").check_name(text), int(version), None


def load_prompt(name_or_uri: str, version: int | str | None = None, allow_missing: bool = False,
                link_to_model: bool = True, model_id: str | None = None, cache_ttl_seconds: float | None = None,
                *, store: Store | None = None) -> PromptVersion | None:
    """A registered prompt version: ``"prompts:/name/1"``, ``"prompts:/name@alias"`` (``@latest`` is the
    newest), or ``name`` with ``version=`` (the newest when left out). ``allow_missing=True`` answers None
    for an unknown prompt instead of raising.
    """
    name, number, alias = parse_uri(name_or_uri, version)
    try:
        return PromptVersion.from_dict(_m("_prompts").get_version(store or get_store(), name, version=number, alias=alias))
    except NotFoundError:
        if allow_missing:
            return None
        raise


def search_prompts(filter_string: str | None = None, max_results: int | None = None,
                   *, store: Store | None = None) -> list[Prompt]:
    """Registered prompts, by name; ``filter_string`` takes ``name = '…'``, ``name LIKE '%…%'`` and
    ``tags.<key> = '…'`` joined by AND."""
    from jurist.tracking._run_search import _compare, _unquote

    found = [Prompt.from_dict(d) for d in _m("_prompts").search(store or get_store())]
    for part in [p for p in re.split(r"\s+AND\s+", (filter_string or "").strip(), flags=re.IGNORECASE) if p]:
        m = re.fullmatch(r"\s*(name|tags\.`?[\w.\-]+`?)\s*(!=|=|(?:NOT\s+)?I?LIKE)\s*('(?:[^']|'')*'|\"[^\"]*\")\s*",
                         part, re.IGNORECASE)
        if m is None:
            raise ConfigError(f"cannot read {part!r} in a search_prompts filter; write e.g. \"name LIKE '%qa%'\" "
                              "or \"tags.task = 'summarization'\"")
        key, op, want = m.group(1), m.group(2), _unquote(m.group(3))
        if key.lower() == "name":
            found = [p for p in found if _compare(op, p.name, want)]
        else:
            tag = key.split(".", 1)[1].strip("`")
            found = [p for p in found if _compare(op, p.tags.get(tag), want)]
    return found[:max_results] if max_results is not None else found


def set_prompt_alias(name: str, alias: str, version: int, *, store: Store | None = None) -> None:
    """Point ``alias`` of prompt ``name`` at ``version`` (moving it if it pointed elsewhere)."""
    _m("_prompts").set_alias(store or get_store(), name, alias, int(version))


def delete_prompt_alias(name: str, alias: str, *, store: Store | None = None) -> None:
    _m("_prompts").delete_alias(store or get_store(), name, alias)


def set_prompt_tag(name: str, key: str, value: str, *, store: Store | None = None) -> None:
    _m("_prompts").set_tags(store or get_store(), name, {key: value}, [])


def delete_prompt_tag(name: str, key: str, *, store: Store | None = None) -> None:
    _m("_prompts").set_tags(store or get_store(), name, {}, [key])


def get_prompt_tags(name: str, *, store: Store | None = None) -> dict[str, str]:
    found = [d for d in _m("_prompts").search(store or get_store()) if d["name"] == name]
    if not found:
        raise NotFoundError(f"no prompt named {name!r}")
    return dict(found[0]["tags"])


def delete_prompt(name: str, *, store: Store | None = None) -> None:
    _m("_prompts").remove(store or get_store(), name)


def delete_prompt_version(name: str, version: int, *, store: Store | None = None) -> None:
    _m("_prompts").remove(store or get_store(), name, int(version))


def search_prompt_versions(name: str, *, store: Store | None = None) -> list[PromptVersion]:
    return [PromptVersion.from_dict(d) for d in _m("_prompts").versions(store or get_store(), name)]
