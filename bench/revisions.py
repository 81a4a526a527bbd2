"""Compare the render rate and the service's overhead of an earlier revision and the work tree.

Each round runs `bench/bench.py --quick` of the earlier revision (checked out in a temporary
worktree) and of the work tree, in alternating order (ABBA), on the same machine in one run;
then it prints the medians per document and the ratios new / old. A refactor that claims to
change nothing should show ratios near 1.

Run from the project root:  .venv/bin/python bench/revisions.py REV [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def run_bench(tree: Path, out: Path) -> dict[str, Any]:
    """Run one tree's own bench.py (its code, this venv) and read its results."""
    subprocess.run(
        [sys.executable, "bench/bench.py", "--quick", "--out", str(out)],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/local/bin:/usr/bin:/bin"},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    results: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    return results


def figures(results: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Per document: render rate, service p50, bare unoserver p50 and their ratio."""
    found = {}
    for name, document in results["documents"].items():
        latency = document["latency"]
        found[Path(name).stem] = {
            "render docs/s": document["render"]["docs_per_s"],
            "service p50 ms": latency["service"]["p50_ms"],
            "bare p50 ms": latency["bare_unoserver"]["p50_ms"],
            "overhead p50": latency["overhead_ratio_p50"],
        }
    return found


def main() -> int:
    """Run the rounds and print the table of medians."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("revision", help="the earlier revision (a commit, tag or branch)")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    runs: dict[str, list[dict[str, dict[str, float]]]] = {"old": [], "new": []}
    with tempfile.TemporaryDirectory(prefix="vb-revisions-") as work:
        old_tree = Path(work) / "old"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(old_tree), args.revision],
            cwd=ROOT, check=True, capture_output=True,
        )
        try:
            for round_ in range(args.rounds):
                order = ["old", "new"] if round_ % 2 == 0 else ["new", "old"]
                for which in order:
                    tree = old_tree if which == "old" else ROOT
                    out = Path(work) / f"{which}-{round_}.json"
                    runs[which].append(figures(run_bench(tree, out)))
                    print(f"round {round_ + 1}: {which} done", file=sys.stderr)
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(old_tree)], cwd=ROOT,
                           check=False, capture_output=True)
    print(f"medians of {args.rounds} rounds each, old = {args.revision}, new = work tree")
    print(f"{'document':34} {'figure':16} {'old':>9} {'new':>9} {'new/old':>8}")
    for document, values in runs["old"][0].items():
        for figure in values:
            old = statistics.median(run[document][figure] for run in runs["old"])
            new = statistics.median(run[document][figure] for run in runs["new"])
            print(f"{document:34} {figure:16} {old:9.2f} {new:9.2f} {new / old:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
