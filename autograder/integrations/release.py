"""`autograder release DIR`: the folder students receive, with no line of any reference solution.

It holds the exercise's student files, the engine (this package: its sandbox, its checks and the
public inputs, nothing of `solutions/`, `nbgrader/` or `tests/`), the public inputs' expected values
(computed here, from the reference, and shipped as data), a set-up script, a README with the
students' two commands, and a GitHub workflow that runs the public self-check on every push.
Graded runs happen on the instructor's side, on inputs drawn from a secret the students never see.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from autograder.engine import reference
from autograder.engine.files import PACKAGE, ROOT
from autograder.engine.pack import Pack

TEMPLATES = Path(__file__).parent / "templates"
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "expected")


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
    _expected_values(pack, out)
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
    return out


def _expected_values(pack: Pack, out: Path) -> None:
    """The public inputs' expected values, from the reference (run now, or cached), as data files."""
    from autograder.engine.grader import Grader

    with Grader(pack, require_isolation=False) as grader:
        expected = grader.reference
    folder = out / "autograder" / "packs" / pack.package.name / "expected"
    reference.write(expected, folder / "public")


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
