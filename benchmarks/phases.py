"""Grades submissions as the `grade` command does and writes, per submission, its seconds and where
they went (Result.phases), for benchmarks/real.py.

    python benchmarks/phases.py OUT.json RESULTS_DIR WORKERS FILE...
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main() -> int:
    out, results, workers, *paths = sys.argv[1:]
    from autograder.engine import pack as packs
    from autograder.engine.batch import grade_class

    found: dict[str, dict] = {}

    def keep(result) -> None:
        phases = getattr(result, "phases", {})  # (none before the engine recorded them)
        found[result.student] = {"seconds": result.seconds, "phases": phases, "score": result.score}

    started = time.perf_counter()
    grade_class(
        [Path(p) for p in paths],
        Path(results),
        packs.get("induction_heads"),
        workers=int(workers),
        force=True,
        progress=False,
        on_result=keep,
    )
    Path(out).write_text(json.dumps({"wall_s": time.perf_counter() - started, "results": found}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
