"""`autograder release DIR`: the folder students receive, with nothing judge-side in it.

It holds the exercise's student files, the engine (this package: its sandbox, its checks and the
public inputs, nothing of `solutions/`, `nbgrader/` or `tests/`), the public inputs' expected values
and hints (computed here, from the reference and the mistake simulators, and shipped as data: the
simulators, `mistakes.py`, are the reference with a knob and are never shipped), a set-up script, a
README with the students' two commands, and a GitHub workflow that runs the public self-check on
every push. Graded runs happen on the instructor's side, on inputs drawn from a secret the students
never see.

Before the release is given out it is checked twice, and removed if either finds something: no line
of a reference solution is in any file (`_refuse_reference`), and no function it ships returns a
reference answer on an exercise function's public inputs (`_refuse_behaviour`, by `leak_probe.py`).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from autograder.engine import reference
from autograder.engine.files import PACKAGE, ROOT
from autograder.engine.pack import Pack

TEMPLATES = Path(__file__).parent / "templates"
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "expected", "mistakes.py", "leak_probe.py")
PROBE_SECONDS = 600


class ReleaseError(ValueError):
    """The release cannot be written: the message says why and what to do."""


def write(pack: Pack, out: Path) -> Path:
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise ReleaseError(f"{out} is not empty: give a new folder for the release")
    if not pack.exercise.exists():
        raise ReleaseError(f"{pack.exercise} is missing: run `autograder build --exercise {pack.name}` first")
    out.mkdir(parents=True, exist_ok=True)
    shutil.copytree(PACKAGE, out / "autograder", ignore=SKIPPED)
    for folder in (out / "autograder" / "packs").iterdir():  # this exercise's pack alone
        if folder.is_dir() and folder.name != pack.package.name and folder.name != "__pycache__":
            shutil.rmtree(folder)
    inputs, expected = _expected_values(pack, out)
    exercises = out / "exercises"
    exercises.mkdir()
    for path in (pack.exercise, pack.exercise.with_suffix(".ipynb")):
        shutil.copy(path, exercises / path.name)
    shutil.copy(ROOT / "exercises" / "conftest.py", exercises / "conftest.py")
    (out / "pyproject.toml").write_text(_pyproject())
    shutil.copy(TEMPLATES / "release-setup.sh", out / "setup.sh")
    (out / "README.md").write_text(
        (TEMPLATES / "release-README.md").read_text().format(name=pack.name, title=pack.title)
    )
    (out / ".gitignore").write_text(".venv/\n__pycache__/\n*.egg-info/\nreport/\n.ipynb_checkpoints/\n")
    workflow = out / ".github" / "workflows"
    workflow.mkdir(parents=True)
    (workflow / "check.yml").write_text(
        (TEMPLATES / "github-check.yml").read_text().replace("{name}", pack.name)
    )
    _refuse_reference(pack, out)
    _refuse_behaviour(pack, out, inputs, expected)
    return out


def _expected_values(pack: Pack, out: Path):
    """The public inputs' expected values, from the reference (run now, or cached), and the table of
    their hints, as data files."""
    from autograder.engine import hints
    from autograder.engine.grader import Grader

    with Grader(pack, require_isolation=False) as grader:
        expected, inputs = grader.reference, grader.inputs
    folder = out / "autograder" / "packs" / pack.package.name / "expected"
    reference.write(expected, folder / "public")
    hints.write(hints.build(pack, inputs, expected), folder)
    return inputs, expected


def _refuse_behaviour(pack: Pack, out: Path, inputs, expected) -> None:
    """Runs every function the release ships on each exercise function's public inputs (those whose
    inputs are plain tensors and numbers: a model, a hook or a cache is not rebuilt here) and removes
    the release if any returns the reference's answer."""
    import json
    import subprocess
    import sys
    import tempfile

    calls = _probe_calls(pack, inputs, expected)
    with tempfile.TemporaryDirectory(prefix="autograder-probe-") as scratch:
        cases, found = Path(scratch) / "cases.json", Path(scratch) / "leaks.json"
        cases.write_text(json.dumps(calls))
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env.update(OMP_NUM_THREADS="1", MPLBACKEND="Agg")
        done = subprocess.run(
            [
                sys.executable,
                str(Path(__file__).with_name("leak_probe.py")),
                str(out),
                str(cases),
                str(found),
            ],
            cwd=scratch,
            env=env,
            capture_output=True,
            text=True,
            timeout=PROBE_SECONDS,
        )
        if done.returncode != 0 or not found.exists():
            shutil.rmtree(out)
            raise ReleaseError(f"the release's behaviour check failed: {done.stderr.strip()[-300:]}")
        leaks = json.loads(found.read_text())
    if leaks:
        shutil.rmtree(out)
        leak = leaks[0]
        raise ReleaseError(
            f"{leak['function']} returns the reference's answer of {leak['exercise']} on the public input "
            f"{leak['case']} ({len(leaks)} such calls): a release must hold no code that computes an answer"
        )


def _probe_calls(pack: Pack, inputs, expected) -> dict[str, list]:
    """{exercise function: [{"case", "args", "want"}]}: its public cases whose recorded inputs and
    answer are plain tensors and numbers, as JSON."""
    import base64

    import numpy as np

    from autograder.engine import wire

    def plain(value):
        if isinstance(value, wire.Tensor):
            values = np.ascontiguousarray(value.values)
            return {
                "data": base64.b64encode(values.tobytes()).decode(),
                "dtype": str(values.dtype),
                "shape": list(values.shape),
            }
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return {"int": int(value)}
        return None

    calls: dict[str, list] = {}
    for case in inputs.cases:
        outcome = expected.outcomes.get(case.id) or {}
        args = [plain(a) for a in outcome.get("args") or []]
        want = plain(outcome.get("value"))
        if not args or want is None or "data" not in want or any(a is None for a in args):
            continue
        params = pack.function(case.function).params
        if len(args) < len(params):  # a hook or a model is not recorded: None in its place
            missing = iter(args)
            filled = [None if p.kind in ("HookPoint", "model") else next(missing, None) for p in params]
            if len([a for a in filled if a is not None]) == len(args):
                args_none = [{"none": True} if a is None else a for a in filled]
                calls.setdefault(case.function, []).append({"case": case.id, "args": args_none, "want": want})
        calls.setdefault(case.function, []).append({"case": case.id, "args": args, "want": want})
    return calls


def _pyproject() -> str:
    """The project's pyproject.toml without its tools for developers (and the options that need them)."""
    text = (ROOT / "pyproject.toml").read_text()
    text = re.sub(r"^addopts = .*\n", "", text, flags=re.M)
    return re.sub(r"\[project\.optional-dependencies\]\n(?:[^\[\n][^\n]*\n)*", "", text)


def _refuse_reference(pack: Pack, out: Path) -> None:
    """No line of a reference solution in the release: each solution block's lines are looked for,
    except those that some solution file also holds outside its blocks (a demo's loop is no secret)."""
    block = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
    texts = [s.read_text() for s in {p.solution for p in _packs()} | {pack.solution} if s.exists()]
    public = {line.strip() for text in texts for line in block.sub("", text).splitlines()}
    for text in texts:
        secret_lines = {
            line.strip()
            for found in block.findall(text)
            for line in found.splitlines()
            if len(line.strip()) > 25 and line.strip() not in public
        }
        for path in out.rglob("*"):
            if path.is_file() and path.suffix in (".py", ".ipynb", ".md", ".txt", ".json", ".toml", ".yml"):
                content = path.read_text(errors="replace")
                leaked = [line for line in secret_lines if line in content]
                if leaked:
                    shutil.rmtree(out)
                    raise ReleaseError(
                        f"{path.relative_to(out)} holds a line of the reference: {leaked[0]!r}"
                    )


def _packs():
    from autograder.engine import pack as packs

    return packs.packs().values()
