"""A verdict's confidence from the model's own token probabilities.

Where a provider returns per-token log-probabilities (llama.cpp always does for the local judge), the
token that starts the ``result`` value is found in the answer, and its probability is compared with its
rivals' at the same position: for a yes/no judge, P("yes") / (P("yes") + P("no")). The probabilities are
the model's before the output grammar filtered them, so the comparison is restricted to tokens that
start an allowed value. Rivals outside the returned top-k are unseen; the confidence is then an upper
bound, and ``confidence_rivals`` says how many rivals were seen.

For a verdict of a few options (bool, Literal) the answer also carries ``verdict_probabilities``: each
option's share, an option unseen in the top-k counted at the least likely top-k token's probability (it
was at most that likely). :func:`calibrated_verdict` moves those shares by per-option offsets on their
log-probabilities: the calibration a judge fitted on labelled examples applies there.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, get_args, get_origin

from jurist.models._types import TokenLogprob

_KEY = re.compile(r'"result"\s*:\s*')
_NUMBER_START = re.compile(r"^-?[0-9.]")


def _options(tp: Any) -> list[str] | None:
    """The verdict's possible values as written in JSON, when there are few of them."""
    if tp is bool:
        return ["true", "false"]
    if get_origin(tp) is Literal:
        out = []
        for o in get_args(tp):
            if isinstance(o, bool):
                out.append("true" if o else "false")
            elif isinstance(o, str):
                out.append(o.lower())
            else:
                out.append(str(o))
        return out
    return None


def option_values(value_type: Any) -> dict[str, Any] | None:
    """The verdict's options as :func:`verdict_confidence` names them (``"true"``/``"false"`` for bool, a
    Literal's values lowercased), each mapped to the typed value a judge returns; None for other types."""
    if value_type is bool:
        return {"true": True, "false": False}
    if get_origin(value_type) is Literal:
        names = _options(value_type) or []
        return dict(zip(names, get_args(value_type), strict=True))
    return None


def option_name(value: Any) -> str:
    """A verdict value as the options are named: ``"true"``/``"false"`` for a bool, else trimmed and
    lowercased (``"Yes"`` → ``"yes"``)."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value).strip().lower()


#: The log-probability used for an option of probability zero, so that its log is finite.
LOG_FLOOR = -50.0


def log_probability(p: float) -> float:
    """``log(p)``, and :data:`LOG_FLOOR` for a probability of zero."""
    return math.log(p) if p > 0 else LOG_FLOOR


def calibrated_verdict(probabilities: Mapping[str, float],
                       offsets: Mapping[str, float]) -> tuple[str, dict[str, float]]:
    """The option with the highest log-probability plus its offset (the first one on a tie), and every
    option's share after the offsets (a softmax of those sums).

    Example:
        >>> calibrated_verdict({"yes": 0.7, "no": 0.3}, {"yes": -0.5, "no": 0.5})[0]
        'no'
    """
    if not probabilities:
        raise ValueError("calibrated_verdict needs the probability of at least one option")
    scores = {o: log_probability(p) + float(offsets.get(o, 0.0)) for o, p in probabilities.items()}
    chosen = max(scores, key=lambda o: scores[o])  # max keeps the first of equal scores
    top = scores[chosen]
    weights = {o: math.exp(s - top) for o, s in scores.items()}
    total = sum(weights.values())
    return chosen, {o: w / total for o, w in weights.items()}


def _clean(token: str) -> str:
    return token.strip().lstrip('"').strip().lower()


def _option_of(token: str, options: list[str]) -> str | None:
    """The one option a (partial) token starts; None when it starts none or several."""
    t = _clean(token)
    if not t:
        return None
    hits = [o for o in options if o.startswith(t.rstrip('"},')) or t.rstrip('"},').startswith(o)]
    return hits[0] if len(hits) == 1 else None


def verdict_confidence(logprobs: Sequence[TokenLogprob] | None, value_type: Any) -> dict[str, Any] | None:
    """``{"confidence": p, "confidence_method": "logprobs", "confidence_rivals": n}``, or None when the
    answer carries no log-probabilities or the verdict token cannot be found (numbers, lists, free text).

    For a verdict of a few options, and an answer that carries the top-k rivals of the verdict token, also
    ``"verdict_probabilities": {option: share}`` over all the options (see the module's docstring)."""
    if not logprobs:
        return None
    text = ""
    starts = []
    for t in logprobs:
        starts.append(len(text))
        text += t.token
    keys = list(_KEY.finditer(text))  # the last "result" key: the verdict comes after the rationale
    if not keys:
        return None
    m = keys[-1]
    at = m.end()
    i = next((k for k in range(len(logprobs)) if starts[k] + len(logprobs[k].token) > at
              and _clean(text[max(starts[k], at):starts[k] + len(logprobs[k].token)])), None)
    if i is None:
        return None
    tok = logprobs[i]
    options = _options(value_type)
    if options is not None:
        chosen = _option_of(tok.token, options)
        if chosen is None:
            return None
        mass: dict[str, float] = {}
        seen: set[str] = set()
        for name, lp in ((tok.token, tok.logprob), *tok.top):
            if name in seen:
                continue
            seen.add(name)
            o = _option_of(name, options)
            if o is not None:
                mass[o] = mass.get(o, 0.0) + math.exp(lp)
    elif value_type in (int, float):
        if not _NUMBER_START.match(_clean(tok.token)):
            return None
        chosen = _clean(tok.token)
        mass = {}
        for name, lp in ((tok.token, tok.logprob), *tok.top):
            c = _clean(name)
            if _NUMBER_START.match(c) and c not in mass:
                mass[c] = math.exp(lp)
    else:
        return None
    total = sum(mass.values())
    if total <= 0 or chosen not in mass:
        return None
    out: dict[str, Any] = {"confidence": round(mass[chosen] / total, 4), "confidence_method": "logprobs",
                           "confidence_rivals": len(mass) - 1}
    if options is not None and tok.top:
        floor = min(math.exp(lp) for _, lp in ((tok.token, tok.logprob), *tok.top))
        shares = {o: mass.get(o, floor) for o in options}
        whole = sum(shares.values())
        out["verdict_probabilities"] = {o: float(f"{p / whole:.6g}") for o, p in shares.items()}
    return out
