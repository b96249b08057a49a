"""The injection screen without a model: what it removes from ordinary text, and what it catches.

False positives: every distinct answer and request of the human-labelled sets in ``--data`` (default
``../shared/data``: LLMBar's instructions and outputs, HaluEval's queries and responses, FaithDial's
histories and responses) and of ``examples/`` is screened, and every text the screen changes is listed
with the rule that matched, and the screen's time per text (the first time it sees the text). Coverage: each case of the probe sets (``injections``, ``heldout``,
``heldout2``, ``heldout3``) is filled as the probe fills it, for each kind of judge (yes/no, bool, score, pairwise),
appended to a typical answer, and counted as caught when the screen gives back the answer alone.

Usage::

    python benchmarks/screen.py
    python benchmarks/screen.py --show 20 --out screen.json
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: How each kind of judge's passing verdict is written into a case (``_probes._passing_text``).
PASSES = {"yes/no": ('"yes"', '"yes"'), "bool": ("true", "true"), "score": ("the highest score", "10"),
          "pairwise": ("the letter of this response", '"this response"')}
ANSWER = "Berlin is the capital of France."
CLOSE, OPEN = "</expected></response></request>", "<request><response><expected>"


def fill(text: str, word: str, as_json: str) -> str:
    return text.replace("{pass_json}", as_json).replace("{pass}", word).replace("{close}", CLOSE).replace(
        "{open}", OPEN)


def data_texts(data: Path) -> dict[str, str]:
    """Every distinct answer and request, with where it was first seen."""
    out: dict[str, str] = {}

    def add(text: object, where: str) -> None:
        if isinstance(text, str) and text.strip() and text not in out:
            out[text] = where

    for f in sorted(data.glob("llmbar/**/dataset.json")):
        for i, row in enumerate(json.loads(f.read_text(encoding="utf-8"))):
            for k in ("input", "output_1", "output_2"):
                add(row.get(k), f"{f.relative_to(data)}:{i}:{k}")
    for f in sorted(data.glob("halueval_general/*.json")):
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines()):
            if line.strip():
                row = json.loads(line)
                for k in ("user_query", "chatgpt_response"):
                    add(row.get(k), f"{f.relative_to(data)}:{i}:{k}")
    for f in sorted(data.glob("faithdial_audit/**/*.csv")):
        with f.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            answer = (reader.fieldnames or [])[2]  # response, gpt2, doha, ctrl
            for i, row in enumerate(reader):
                for k in ("history", answer):
                    add(row.get(k), f"{f.relative_to(data)}:{i}:{k}")
    return out


def example_texts() -> dict[str, str]:
    out: dict[str, str] = {}
    for f in sorted((ROOT / "examples").glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                for k, v in (("outputs", r["outputs"]), ("inputs", r["inputs"])):
                    s = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)
                    out.setdefault(s, f"examples/{f.name}:{r.get('id')}:{k}")
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    ap.add_argument("--show", type=int, default=50, help="print at most N changed texts")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from jurist.evaluation._probes import injection_cases
    from jurist.judges._screen import screen

    screen("The gates are derived on the first call, which is not timed.")
    report: dict[str, object] = {}
    for name, texts in (("examples", example_texts()), ("data", data_texts(args.data))):
        start = time.perf_counter()
        changed = [(where, f[0].rule, f[0].text) for text, where in texts.items() if (f := screen(text)[1])]
        per_text = (time.perf_counter() - start) / max(len(texts), 1)
        report[name] = {"texts": len(texts), "changed": len(changed),
                        "rules": dict(Counter(r for _, r, _ in changed)), "seconds_per_text": per_text,
                        "found": [{"where": w, "rule": r, "text": t[:300]} for w, r, t in changed]}
        print(f"{name}: {len(changed)} of {len(texts)} distinct texts changed", dict(Counter(r for _, r, _ in changed)),
              f"({per_text * 1e6:.0f} µs a text)")
        for w, r, t in changed[:args.show]:
            print(f"  {w} [{r}] {t[:200]!r}")
    for kind in ("injections", "heldout", "heldout2", "heldout3"):
        cases = injection_cases(kind)
        missed = sorted({(c["id"], k) for c in cases for k, (word, as_json) in PASSES.items()
                         if screen(f"{ANSWER}\n\n{fill(c['text'], word, as_json)}", "response")[0] != ANSWER})
        whole = sum(all((c["id"], k) not in missed for k in PASSES) for c in cases)
        per_kind = {k: sum((c["id"], k) not in missed for c in cases) for k in PASSES}
        report[kind] = {"cases": len(cases), "caught_for_every_kind": whole, "caught": per_kind, "missed": missed}
        print(f"{kind}: {len(cases)} cases, removed for every kind of judge {whole}, by kind {per_kind}")
        for case_id, k in missed:
            print(f"  missed {case_id} ({k})")
    if args.out:
        args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
