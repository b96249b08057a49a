"""CPU per judgment at 0 ms of latency, this checkout against another one, in one run.

Runs ``benchmarks/overhead.py``'s 0 ms case (HTTP fake, 64 in flight, no store) and its in-process
``fake:/`` case in a fresh process per run, the two checkouts taken in turn, and prints the best of
``--repeat`` runs of each side by side, so both meet the same load of a shared machine.

    git worktree add --detach /tmp/jurist-base main
    python benchmarks/overhead_pair.py --base /tmp/jurist-base --rows 3000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CODE = (
    "import json, sys; sys.path.insert(0, '.');"
    "from benchmarks.overhead import run_case;"
    "cases = [run_case({rows}, 0.0, 64), run_case({rows}, 0.0, 64, in_process=True)];"
    "print('RESULT', json.dumps([c['cpu_ms_per_judgment'] for c in cases]))"
)


def once(root: Path, rows: int) -> list[float]:
    """``[HTTP fake, fake:/]`` CPU ms per judgment of one run of the checkout at ``root``."""
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    out = subprocess.run([sys.executable, "-c", CODE.format(rows=rows)], cwd=root, env=env, capture_output=True,
                         text=True, check=False)
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"{root}: the run failed:\n{out.stderr[-3000:]}")
    result: list[float] = json.loads(line.removeprefix("RESULT "))
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", type=Path, required=True, help="the other checkout (a git worktree)")
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    trees = {"base": args.base.resolve(), "this": ROOT}
    runs: dict[str, list[list[float]]] = {name: [] for name in trees}
    for i in range(args.repeat):
        for name, root in trees.items():
            runs[name].append(once(root, args.rows))
            print(f"run {i + 1} {name}: HTTP fake {runs[name][-1][0]:.3f} ms, fake:/ {runs[name][-1][1]:.3f} ms",
                  flush=True)
    print(f"\nCPU ms per judgment, 0 ms latency, {args.rows} rows, 64 in flight, best of {args.repeat} (all runs)")
    for name, root in trees.items():
        http, fake = sorted(r[0] for r in runs[name]), sorted(r[1] for r in runs[name])
        print(f"{name:>5} {root!s:<32} HTTP fake {http[0]:.3f} ({', '.join(f'{x:.3f}' for x in http)})   "
              f"fake:/ {fake[0]:.3f} ({', '.join(f'{x:.3f}' for x in fake)})")


if __name__ == "__main__":
    main()
