"""Greedy decoding under a JSON-schema grammar that checks one token per step instead of the whole vocabulary.

llama-cpp-python applies a grammar to every candidate token before sampling: for a 151k-token vocabulary
that is ~30 ms per generated token on 2 cores, as much as the model's own forward pass. At temperature 0
the answer is the highest-scoring token the grammar allows, so it is enough to check the highest-scoring
token; only when the grammar rejects it (rare for a model that was asked for this JSON) is the grammar
applied to the whole vocabulary. The output is the same token for token; this is what llama.cpp's own
``common_sampler_sample`` does.

It plugs in as a logits processor: each call first feeds the grammar the tokens chosen since the last
call, then vets the best one.

It also guards the free-text field a verdict starts with (``rationale``). Greedy decoding of a small
model now and then falls into a loop ("..., or any other harmful content, or any other ...") that would
run to the token limit and leave unparseable JSON. When the text repeats itself, or when only a few
tokens are left before the limit, the guard closes the string; the grammar then makes the model state its
verdict. The verdict is still the model's, decided after its (cut) reasoning.
"""

from __future__ import annotations

import ctypes
import json
import math
import re
from typing import Any

import numpy as np

_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)], align=True)
#: Tokens kept for closing the free-text field and writing the rest of the object.
RESERVE_TOKENS = 64
#: A loop is this many tokens of one block repeated (at least 3 times).
LOOP_SPAN = 32
_QUOTE_TOKENS: dict[str, np.ndarray] = {}


def repeating(tokens: list[int]) -> int:
    """The period of a loop at the end of ``tokens`` (a block repeated to span LOOP_SPAN), or 0."""
    n = len(tokens)
    for period in range(1, 65):
        reps = max(3, -(-LOOP_SPAN // period))
        if period * reps > n:
            break
        tail = tokens[n - period:]
        if all(tokens[n - (k + 1) * period: n - k * period] == tail for k in range(1, reps)):
            return period
    return 0


def _first_text_field(schema: dict[str, Any]) -> str | None:
    props = schema.get("properties")
    if schema.get("type") != "object" or not isinstance(props, dict) or not props:
        return None
    name, sub = next(iter(props.items()))
    return name if isinstance(sub, dict) and sub.get("type") == "string" and "enum" not in sub else None


class LazyGrammar:
    """A logits processor that constrains greedy decoding to ``schema`` (one per generation).

    Example:
        >>> g = LazyGrammar(llm, {"type": "object", "properties": {"ok": {"type": "boolean"}}})  # doctest: +SKIP
        >>> llm.create_chat_completion(messages, temperature=0, logits_processor=[g])          # doctest: +SKIP
    """

    def __init__(self, llm: Any, schema: dict[str, Any], *, max_tokens: int | None = None) -> None:
        from llama_cpp import llama_cpp as lc
        from llama_cpp.llama_grammar import LlamaGrammar

        grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
        self._lc = lc
        self._sampler = lc.llama_sampler_init_grammar(
            llm._model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
        )
        if not self._sampler:
            raise ValueError("llama.cpp could not compile the JSON schema into a grammar")
        self._one = (lc.llama_token_data * 1)()
        self._one_array = lc.llama_token_data_array(data=self._one, size=1, selected=-1, sorted=False)
        self._seen: int | None = None
        self._llm = llm
        self._generated: list[int] = []
        self._text = b""
        self._entered = False
        self._max_tokens = max_tokens
        field = _first_text_field(schema)
        self._open_field = (
            None if field is None
            else re.compile(rb'^\s*\{\s*"' + re.escape(field.encode()) + rb'"\s*:\s*"(?:[^"\\]|\\.)*\\?$', re.S)
        )
        #: Steps where the best token was rejected and the whole vocabulary was filtered.
        self.full_passes = 0
        self.steps = 0
        #: Why the free-text field was closed early ("loop" or "limit"), if it was.
        self.cut: str | None = None

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        lc = self._lc
        n = len(input_ids)
        if self._seen is None:
            self._seen = n  # the prompt: nothing generated yet
        else:
            for tok in input_ids[self._seen:n]:
                t = int(tok)
                lc.llama_sampler_accept(self._sampler, t)
                self._generated.append(t)
                if self._open_field is not None:
                    piece = self._llm.detokenize([t])
                    self._text += piece
                    if b'"' in piece:
                        inside = self._open_field.match(self._text) is not None
                        if self._entered and not inside:
                            self._open_field = None  # the model closed the field itself
                        self._entered = self._entered or inside
            self._seen = n
        self.steps += 1
        if self._open_field is not None and self.cut is None:
            why = self._should_close()
            if why is not None and self._open_field.match(self._text) and not self._text.endswith(b"\\"):
                closed = self._close(scores)
                if closed is not None:
                    self.cut = why
                    self._open_field = None
                    return closed
        best = int(np.argmax(scores))
        self._one[0].id = best  # type: ignore[assignment]
        self._one[0].logit = float(scores[best])
        self._one[0].p = 0.0
        self._one_array.size = 1
        self._one_array.selected = -1
        lc.llama_sampler_apply(self._sampler, ctypes.byref(self._one_array))
        if not math.isinf(self._one[0].logit):
            return scores
        self.full_passes += 1
        cand = np.empty(len(scores), dtype=_TOKEN_DATA)
        cand["id"] = np.arange(len(scores), dtype=np.int32)
        cand["logit"] = scores
        cand["p"] = 0.0
        arr = lc.llama_token_data_array(
            data=cand.ctypes.data_as(ctypes.POINTER(lc.llama_token_data)), size=len(cand), selected=-1, sorted=False
        )
        lc.llama_sampler_apply(self._sampler, ctypes.byref(arr))
        out = np.full(len(scores), -np.inf, dtype=np.float32)
        kept = cand[: arr.size]  # the grammar filters in place; entries keep their ids
        out[kept["id"]] = kept["logit"]
        return out

    def _should_close(self) -> str | None:
        limit = self._max_tokens
        if limit is not None and len(self._generated) >= limit - min(RESERVE_TOKENS, limit // 4):
            return "limit"
        if len(self._generated) >= LOOP_SPAN and repeating(self._generated):
            return "loop"
        return None

    def _close(self, scores: Any) -> Any:
        """Scores that allow only tokens that end the open string, as the grammar permits; None if none."""
        quotes = self._quote_tokens()
        masked = np.full(len(scores), -np.inf, dtype=np.float32)
        masked[quotes] = np.asarray(scores, dtype=np.float32)[quotes]
        cand = np.empty(len(quotes), dtype=_TOKEN_DATA)
        cand["id"] = quotes
        cand["logit"] = masked[quotes]
        cand["p"] = 0.0
        lc = self._lc
        arr = lc.llama_token_data_array(
            data=cand.ctypes.data_as(ctypes.POINTER(lc.llama_token_data)), size=len(cand), selected=-1, sorted=False
        )
        lc.llama_sampler_apply(self._sampler, ctypes.byref(arr))
        ok = cand[: arr.size]
        ok = ok[np.isfinite(ok["logit"])]
        if len(ok) == 0:
            return None
        out = np.full(len(scores), -np.inf, dtype=np.float32)
        out[ok["id"]] = ok["logit"]
        return out

    def _quote_tokens(self) -> np.ndarray:
        """Ids of the tokens whose text starts with a double quote (computed once per model)."""
        key = str(getattr(self._llm, "model_path", id(self._llm)))
        ids = _QUOTE_TOKENS.get(key)
        if ids is None:
            llm = self._llm
            ids = np.array([i for i in range(llm.n_vocab()) if llm.detokenize([i]).startswith(b'"')], dtype=np.int32)
            _QUOTE_TOKENS[key] = ids
        return ids

    def close(self) -> None:
        if self._sampler:
            self._lc.llama_sampler_free(self._sampler)
            self._sampler = None

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass
