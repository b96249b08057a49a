"""MLflow's scorer lifecycle over jurist's judge registry and monitors.

``register`` stores a scorer in the versioned judge registry: a judge as its data, a ``@scorer``
function as an importable reference (``module:function``), never as source code. ``start``,
``update`` and ``stop`` store a new version carrying the sampling configuration (so ``get_scorer`` and
``list_scorers`` read it back in any process) and start or stop this process's :class:`Monitor`, which
judges the experiment's new traces in the background. As in MLflow, each call returns a new scorer
object and leaves the one it was called on as it was.

Monitors run in the process that started them (see :mod:`jurist.tracking._monitor`); the running ones
are held here, keyed by store, experiment and scorer name, so that ``stop`` and ``delete_scorer`` find
them.
"""

from __future__ import annotations

import copy
import importlib
import threading
from dataclasses import dataclass
from typing import Any

from jurist.errors import ConfigError

SAMPLING_KEY = "sampling"
REFERENCE_KIND = "ScorerReference"


@dataclass(frozen=True)
class ScorerSamplingConfig:
    """How a registered scorer samples traces: ``sample_rate`` (0 to 1) of those matching ``filter_string``."""

    sample_rate: float | None = None
    filter_string: str | None = None


_LOCK = threading.Lock()
#: Running monitors: (store uri, experiment id, scorer name) → Monitor. In-process state by design:
#: a monitor is a background thread of this process.
_RUNNING: dict[tuple[str, str, str], Any] = {}


# -- scorers as data ----------------------------------------------------------------------------------
def definition_of(scorer: Any) -> dict[str, Any]:
    """What the registry keeps of ``scorer``: a judge's data, or a ``@scorer`` function's import path."""
    from jurist.scorers._scorer import FunctionScorer

    if isinstance(scorer, FunctionScorer):
        return {"kind": REFERENCE_KIND, "name": scorer.name, "reference": reference_of(scorer),
                "aggregations": [a for a in scorer.aggregations or [] if isinstance(a, str)] or None}
    from jurist.tracking._entities import judge_definition

    if not hasattr(scorer, "to_dict"):
        raise ConfigError(
            f"{type(scorer).__name__} cannot be registered: register a judge (a built-in one or make_judge) or "
            "a @scorer function defined at the top level of an importable module")
    return judge_definition(scorer)


def reference_of(scorer: Any) -> str:
    func = scorer.func
    module, qualname = getattr(func, "__module__", None), getattr(func, "__qualname__", "")
    if not module or module == "__main__" or "<" in qualname:
        raise ConfigError(
            f"@scorer {scorer.name!r} cannot be registered: it is defined in {module or 'no module'} as {qualname!r}; "
            "jurist stores a scorer function by its import path, never its source, so define it at the top "
            "level of an importable module")
    try:
        found = _resolve(f"{module}:{qualname}")
    except ConfigError:
        found = None
    if found is not scorer and getattr(found, "func", None) is not func:
        raise ConfigError(f"@scorer {scorer.name!r}: {module}:{qualname} does not import back as this scorer")
    return f"{module}:{qualname}"


def _resolve(reference: str) -> Any:
    module, _, qualname = reference.partition(":")
    try:
        obj: Any = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as e:
        raise ConfigError(f"registered scorer {reference!r} cannot be imported here: {e}") from None
    return obj


def scorer_from_reference(data: dict[str, Any]) -> Any:
    """The ``@scorer`` a registry entry names, under the registered name."""
    from jurist.scorers._scorer import FunctionScorer

    obj = _resolve(str(data.get("reference", "")))
    func = obj.func if isinstance(obj, FunctionScorer) else obj
    if not callable(func):
        raise ConfigError(f"registered scorer {data.get('reference')!r} is not a function")
    return FunctionScorer(func, name=data.get("name"), aggregations=data.get("aggregations"))


# -- the lifecycle ------------------------------------------------------------------------------------
def _experiment(experiment_id: str | None) -> str:
    from jurist.tracking import active_experiment

    return str(experiment_id) if experiment_id else active_experiment().experiment_id


def _with_state(scorer: Any, name: str, version: int, sampling: dict[str, Any]) -> Any:
    out = copy.copy(scorer)
    out.name = name
    out._sampling = (sampling.get("sample_rate"), sampling.get("filter_string"))
    out._registration = (sampling.get("experiment_id"), version)
    return out


def _store_version(scorer: Any, name: str, sampling: dict[str, Any]) -> Any:
    from jurist.tracking import get_store

    definition = definition_of(scorer)
    definition["name"] = name
    definition[SAMPLING_KEY] = sampling
    version = get_store().register_judge(definition)
    return _with_state(scorer, name, version.version, sampling)


def _registered(scorer: Any, name: str | None, experiment_id: str | None) -> tuple[str, str]:
    reg = getattr(scorer, "_registration", None)
    exp = str(experiment_id) if experiment_id else (reg[0] if reg else None)
    if reg is None and name is None:
        raise ConfigError(f"scorer {scorer.name!r} is not registered; call .register(name=...) first")
    return (name or scorer.name), (exp or _experiment(None))


def register(scorer: Any, *, name: str | None = None, experiment_id: str | None = None) -> Any:
    """Store ``scorer`` under ``name`` (default its own) in ``experiment_id`` (default the active one), stopped."""
    reg_name = name or getattr(scorer, "name", None)
    if not reg_name:
        raise ConfigError("register needs a name: scorer.register(name='...')")
    exp = _experiment(experiment_id)
    return _store_version(scorer, reg_name, {"experiment_id": exp, "sample_rate": 0.0, "filter_string": None})


def _sampling(config: Any, current: Any) -> dict[str, Any]:
    if config is None:
        config = ScorerSamplingConfig()
    if not isinstance(config, ScorerSamplingConfig):
        raise ConfigError("sampling_config must be a ScorerSamplingConfig(sample_rate=..., filter_string=...)")
    rate = config.sample_rate
    if rate is None:
        rate = current[0] if current and current[0] else 1.0
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise ConfigError(f"sample_rate must be a number from 0 to 1, got {rate!r}")
    flt = config.filter_string if config.filter_string is not None else (current[1] if current else None)
    return {"sample_rate": float(rate), "filter_string": flt}


def _restart(store: Any, exp: str, name: str, version: int, rate: float, flt: str | None) -> None:
    from jurist.tracking._monitor import Monitor

    key = (store.uri, exp, name)
    with _LOCK:
        old = _RUNNING.pop(key, None)
    if old is not None:
        old.stop()
    if rate > 0:
        monitor = Monitor(store, name, exp, version=version, sample_rate=rate, filter_string=flt)
        with _LOCK:
            _RUNNING[key] = monitor


def start(scorer: Any, *, name: str | None = None, sampling_config: Any = None,
          experiment_id: str | None = None) -> Any:
    """Judge ``sample_rate`` of the experiment's new traces (matching ``filter_string``) with this scorer."""
    from jurist.tracking import get_store

    reg_name, exp = _registered(scorer, name, experiment_id)
    sampling = {"experiment_id": exp, **_sampling(sampling_config, getattr(scorer, "_sampling", None))}
    if sampling["sample_rate"] <= 0:
        raise ConfigError("start needs a sample_rate above 0; use stop() to stop a scorer")
    out = _store_version(scorer, reg_name, sampling)
    _restart(get_store(), exp, reg_name, out._registration[1], sampling["sample_rate"], sampling["filter_string"])
    return out


def update(scorer: Any, *, name: str | None = None, sampling_config: Any = None,
           experiment_id: str | None = None) -> Any:
    """Change the sampling of a registered scorer; a running one goes on with the new configuration."""
    from jurist.tracking import get_store

    reg_name, exp = _registered(scorer, name, experiment_id)
    sampling = {"experiment_id": exp, **_sampling(sampling_config, getattr(scorer, "_sampling", None))}
    out = _store_version(scorer, reg_name, sampling)
    _restart(get_store(), exp, reg_name, out._registration[1], sampling["sample_rate"], sampling["filter_string"])
    return out


def stop(scorer: Any, *, name: str | None = None, experiment_id: str | None = None) -> Any:
    """Stop judging new traces: the scorer stays registered with sample rate 0."""
    from jurist.tracking import get_store

    reg_name, exp = _registered(scorer, name, experiment_id)
    current = getattr(scorer, "_sampling", None)
    out = _store_version(scorer, reg_name, {"experiment_id": exp, "sample_rate": 0.0,
                                            "filter_string": current[1] if current else None})
    _restart(get_store(), exp, reg_name, out._registration[1], 0.0, None)
    return out


def _rebuild(version: Any) -> Any:
    sampling = dict(version.definition.get(SAMPLING_KEY) or {})
    return _with_state(version.to_judge(), version.name, version.version, sampling)


def get_scorer(*, name: str, experiment_id: str | None = None, version: int | None = None) -> Any:
    """The registered scorer ``name`` (its latest version, or ``version``), with its sampling."""
    from jurist.tracking import NotFoundError, get_store

    try:
        found = get_store().get_judge(name, version)
    except NotFoundError:
        raise ConfigError(f"no scorer named {name!r} is registered; register it with scorer.register(name=...)") \
            from None
    exp = (found.definition.get(SAMPLING_KEY) or {}).get("experiment_id")
    if experiment_id is not None and exp is not None and str(exp) != str(experiment_id):
        raise ConfigError(f"scorer {name!r} is registered in experiment {exp}, not {experiment_id}")
    return _rebuild(found)


def list_scorers(*, experiment_id: str | None = None) -> list[Any]:
    """The scorers registered in ``experiment_id`` (default the active experiment), latest versions."""
    from jurist.tracking import get_store

    exp = _experiment(experiment_id)
    return [_rebuild(v) for v in get_store().search_judges()
            if str((v.definition.get(SAMPLING_KEY) or {}).get("experiment_id")) == exp]


def delete_scorer(*, name: str, experiment_id: str | None = None, version: int | str | None = None) -> None:
    """Stop the scorer ``name`` if it runs here and remove it (every version, or ``version``) from the registry."""
    from jurist.tracking import get_store
    from jurist.tracking._judge_admin import delete_judge

    store = get_store()
    with _LOCK:
        keys = [k for k in _RUNNING if k[0] == store.uri and k[2] == name
                and (experiment_id is None or k[1] == str(experiment_id))]
        running = [_RUNNING.pop(k) for k in keys]
    for m in running:
        m.stop()
    delete_judge(store, name, None if version in (None, "all") else int(version))
