"""The reference under many course secrets: every test gets inputs, and the reference full marks.

    .venv/bin/python benchmarks/secret_draws.py [--n 200] [--packs induction_heads hooks] [--seed 0]
                                                [--part K/M]

For each pack and each of N secrets (random 32-character strings, drawn from --seed, the kind a
course should use), a `Grader` is made exactly as `grade --secret` makes it (the same draws, the
same screen, the same re-draws while a test is left without inputs, the same refusal when none
fits) and grades the reference solution. Only the worker is run in this process instead of a
sandboxed template, so that the imports (about 10 s) are paid once rather than per secret: the
worker's code, the fixtures and the judge are the project's own. Reference runs go to a private
cache that is removed at the end.

Prints, per pack: secrets tried, secrets refused (no draw fit), how many needed a re-draw (and the
most draws one needed), the reference's lowest score and how many secrets gave it less than full
marks (each named), and the seconds per secret.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import string
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder.engine import files, wire  # noqa: E402
from autograder.engine import pack as packs  # noqa: E402
from autograder.engine.grader import Grader  # noqa: E402
from autograder.engine.runner import Limits, _Watch  # noqa: E402
from autograder.engine.submission import load  # noqa: E402


class InProcessTemplate:
    """A template that runs the worker's Unit in this process (for the reference, trusted code)."""

    def __init__(self, settings: dict, tensors: dict, limits: Limits):
        import importlib

        import torch as t

        module, _, name = settings["fixtures"].partition(":")
        fixtures_class = getattr(importlib.import_module(module), name or "Fixtures")
        self.fixtures = fixtures_class(
            settings["catalog"], {k: t.from_numpy(np.ascontiguousarray(v)) for k, v in tensors.items()}
        )
        self.limits, self.off = limits, {}

    def ready(self) -> InProcessTemplate:
        return self

    def run(self, request: dict, source: bytes, tensors: dict | None = None):
        import torch as t

        from autograder.engine.worker import Unit

        replays = {k: t.from_numpy(np.ascontiguousarray(v)) for k, v in (tensors or {}).items()}
        out = io.BytesIO()
        Unit(dict(request), source, self.fixtures, out, replays).run()
        watch = _Watch(self, request)
        for document, blob in wire.FrameReader().feed(out.getvalue()):
            watch.event(document, blob)
        return watch.result

    def close(self) -> None:
        pass


class InProcessGrader(Grader):
    draws = 0  # templates started: one per draw tried

    def _start(self, index: int):
        self.draws += 1
        return InProcessTemplate(self.settings, self.inputs.tensors, self.limits)

    def _protections_off(self) -> dict:
        return {}


def random_secret(rng: np.random.Generator) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(alphabet[i] for i in rng.integers(0, len(alphabet), 32))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="secrets per pack")
    parser.add_argument("--packs", nargs="+", default=["induction_heads", "hooks"])
    parser.add_argument("--seed", type=int, default=0, help="draws the secrets")
    parser.add_argument(
        "--part", default="1/1", metavar="K/M", help="grade only the K-th of M equal parts of the secrets"
    )
    args = parser.parse_args()
    cache = Path(tempfile.mkdtemp(prefix="secrets-bench-"))
    os.environ[files.CACHE_ENV] = str(cache)
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    try:
        for name in args.packs:
            pack = packs.get(name)
            rng = np.random.default_rng(args.seed)
            refused, redrawn, most, low, short = [], 0, 1, None, []
            started = time.perf_counter()
            part, parts = (int(x) for x in args.part.split("/"))
            mine = range((part - 1) * args.n // parts, part * args.n // parts)
            for index in range(args.n):
                secret = random_secret(rng)
                if index not in mine:
                    continue
                try:
                    grader = InProcessGrader(pack, secret=secret, require_isolation=False)
                except packs.InputsUnfit as error:
                    refused.append(f"{secret}: {error}")
                    continue
                with grader:
                    result = grader.grade(load(pack.solution))
                redrawn += grader.draws > 1
                most = max(most, grader.draws)
                low = result.score if low is None else min(low, result.score)
                if result.score < result.max_score:
                    failed = [t.name for t in result.tests if not t.passed]
                    short.append(f"{secret}: {result.score}/{result.max_score} {failed[:3]}")
                print(
                    f"  {name} secret {index}: {grader.draws} draw(s), {result.score}/{result.max_score}",
                    flush=True,
                )
            seconds = (time.perf_counter() - started) / max(len(mine), 1)
            print(
                f"{name}: {len(mine)} secrets, {len(refused)} refused, {redrawn} re-drawn (at most "
                f"{most} draws), reference's lowest score {low}/{sum(t.points for t in pack.tests)}, "
                f"{len(short)} below full marks; {seconds:.1f} s per secret"
            )
            for line in refused + short:
                print(f"  {line}")
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
