"""What students receive and what instructors keep: the release folder (no line of any reference
solution; its two commands work), the Gradescope bundle (set-up, then run_autograder on a student's
folder with a stale checkpoint), and an instructor's own exercise pack (written, installed, built,
graded in the sandbox with its solution out of the worker's reach).

Fresh virtual environments here get their dependencies from the project's own (a folder of links to
its packages, the project itself left out), so that each set-up script runs for real, installs the
package it ships, and takes seconds rather than the minutes a download of torch would."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.engine import pack as packs
from autograder.engine.files import ROOT

PACK = packs.get("induction_heads")
SITE = Path(next(p for p in sys.path if p.endswith("site-packages") and str(Path(sys.prefix)) in p))


def fresh_venv(folder: Path) -> Path:
    """A new venv at folder/.venv whose dependencies are this one's (the project itself excepted)."""
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(folder / ".venv")], check=True, timeout=120
    )
    subprocess.run(
        [str(folder / ".venv" / "bin" / "python"), "-m", "ensurepip", "--default-pip"],
        check=True,
        capture_output=True,
        timeout=300,
    )
    links = folder / "dependencies" / "site-packages"
    links.mkdir(parents=True)
    for entry in SITE.iterdir():
        if (
            "induction_grader" in entry.name
            or entry.name.startswith(("__editable__", "_parent"))
            or entry.name in ("pip", "setuptools", "_distutils_hack", "distutils-precedence.pth")
            or entry.name.startswith(("pip-", "setuptools-"))
        ):
            continue
        (links / entry.name).symlink_to(entry)
    target = next((folder / ".venv" / "lib").glob("python3*")) / "site-packages" / "_dependencies.pth"
    target.write_text(str(links) + "\n")
    return folder / ".venv" / "bin" / "python"


def reference_functions() -> str:
    """The exercise with the reference's bodies pasted in, as a student who solved it all would have."""
    return "".join(line for line in PACK.solution.read_text().splitlines(keepends=True) if "### " not in line)


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "students"
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "release", str(out), "--exercise", PACK.name],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    return out


def test_the_release_holds_no_line_of_any_reference(release):
    for name in ("solutions", "nbgrader", "tests", "benchmarks"):
        assert not (release / name).exists()
    block = re.compile(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", re.S)
    solutions = [pack.solution.read_text() for pack in packs.packs().values()]
    public = {line.strip() for text in solutions for line in block.sub("", text).splitlines()}
    secret = {
        line.strip()
        for text in solutions
        for found in block.findall(text)
        for line in found.splitlines()
        if len(line.strip()) > 30 and line.strip() not in public
    }
    texts = [
        p.read_text(errors="replace")
        for p in release.rglob("*")
        if p.is_file() and p.suffix != ".safetensors"
    ]
    assert secret and not [line for line in secret if any(line in text for text in texts)]
    assert (release / "exercises" / f"{PACK.name}.ipynb").exists() and (
        release / ".github/workflows/check.yml"
    ).exists()
    assert "report/" in (release / ".gitignore").read_text()
    assert "[dev]" not in (release / "setup.sh").read_text()


def test_the_release_ships_hints_as_data_and_no_mistake_simulator(release):
    """The simulators are the reference with a knob: the release has a table of their outputs on the
    public cases instead, and nothing that grades on the instructor's side."""
    pack = release / "autograder" / "packs" / PACK.name
    assert not (pack / "mistakes.py").exists() and not list(release.rglob("leak_probe.py"))
    table = json.loads((pack / "expected" / "hints.json").read_text())
    assert set(table["mistakes"]) and table["errors"]
    assert "lambda" not in json.dumps(table) and "def " not in json.dumps(table)


def test_a_release_that_would_hold_a_line_of_the_reference_is_refused(tmp_path):
    from autograder.integrations import release

    solution = PACK.solution.read_text()
    body = re.search(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", solution, re.S)[1]
    leaked = next(line.strip() for line in body.splitlines() if len(line.strip()) > 30)
    out = tmp_path / "students"
    out.mkdir()
    (out / "notes.md").write_text(f"a hint: {leaked}\n")
    with pytest.raises(release.ReleaseError, match="notes.md holds a line of the reference"):
        release._refuse_reference(PACK, out)
    assert not out.exists()  # nothing half-written is left to hand out


@pytest.mark.slow
def test_the_releases_two_commands_work_on_a_fresh_venv(release, tmp_path):
    python = fresh_venv(release)
    env = dict(
        os.environ,
        PATH=f"{Path(python).parent}:{os.environ['PATH']}",
        INDUCTION_GRADER_CACHE=str(tmp_path / "c"),
    )
    env.pop("PYTHONPATH", None)
    setup = subprocess.run(["./setup.sh"], cwd=release, capture_output=True, text=True, timeout=600, env=env)
    assert setup.returncode == 0, setup.stdout[-2000:] + setup.stderr[-2000:]
    where = subprocess.run(
        [str(python), "-c", "import autograder; print(autograder.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
    )
    assert where.stdout.strip() == str(release / "autograder" / "__init__.py")  # the release's own engine
    stubs = subprocess.run(
        [str(python), "-m", "autograder", "check"],
        cwd=release,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert stubs.returncode == 1 and "0 / 100" in stubs.stdout, stubs.stdout[-2000:] + stubs.stderr[-2000:]
    (release / "exercises" / f"{PACK.name}.py").write_text(reference_functions())
    solved = subprocess.run(
        [str(python), "-m", "autograder", "check"],
        cwd=release,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert solved.returncode == 0 and "100 / 100" in solved.stdout, (
        solved.stdout[-2000:] + solved.stderr[-2000:]
    )
    tests = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", "exercises/"],
        cwd=release,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert tests.returncode == 0 and f"{len(PACK.tests)} passed" in tests.stdout, tests.stdout[-2000:]


@pytest.mark.slow
def test_a_gradescope_bundle_grades_the_students_file_beside_a_stale_checkpoint(tmp_path):
    bundle = tmp_path / "autograder.zip"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "autograder",
            "gradescope-zip",
            str(bundle),
            "--exercise",
            PACK.name,
            "--secret",
            "a course secret of 4 words, 31 characters",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    root = tmp_path / "autograder"
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        assert {"setup.sh", "run_autograder", "secret.txt"} <= set(names)
        archive.extractall(root / "source")
    for script in ("setup.sh", "run_autograder", "project-setup.sh"):
        (root / "source" / script).chmod(0o755)
    stubs = tmp_path / "bin"
    stubs.mkdir()
    (stubs / "apt-get").write_text('#!/bin/sh\necho "apt-get $*" >> "$APT_LOG"\n')
    (stubs / "apt-get").chmod(0o755)
    python = fresh_venv(root / "source")
    env = dict(
        os.environ,
        PATH=f"{stubs}:{Path(python).parent}:{os.environ['PATH']}",
        APT_LOG=str(tmp_path / "apt"),
        GRADESCOPE_ROOT=str(root),
        INDUCTION_GRADER_CACHE=str(tmp_path / "cache"),
    )
    env.pop("PYTHONPATH", None)
    setup = subprocess.run(
        ["./setup.sh"], cwd=root / "source", capture_output=True, text=True, timeout=900, env=env
    )
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    work = root / "submission" / "My Work"
    (work / ".ipynb_checkpoints").mkdir(parents=True)
    (work / ".ipynb_checkpoints" / f"{PACK.name}-checkpoint.py").write_text(
        PACK.exercise.read_text()
    )  # stale
    (work / f"{PACK.name}.py").write_text(reference_functions())
    (root / "submission" / "notes.py").write_text("print('not the work')\n")
    run = subprocess.run(
        [str(root / "source" / "run_autograder")], capture_output=True, text=True, timeout=600, env=env
    )
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 100 and results["output"].startswith(f"Graded My Work/{PACK.name}.py.")
    assert any(t.get("visibility") == "visible" for t in results["tests"])


def test_run_autograder_picks_the_exercise_file_and_says_so(tmp_path):
    from autograder.engine.submission import pick
    from autograder.integrations.gradescope import pick_submission

    folder = tmp_path / "submission"
    (folder / ".ipynb_checkpoints").mkdir(parents=True)
    (folder / ".ipynb_checkpoints" / "induction_heads-checkpoint.ipynb").write_text("{}")
    (folder / "My Work (1).ipynb").write_text("{}")
    (folder / "deep").mkdir()
    (folder / "deep" / "induction_heads.ipynb").write_text("{}")
    assert pick_submission(folder, "induction_heads", pick) == folder / "deep" / "induction_heads.ipynb"
    (folder / "deep" / "induction_heads.ipynb").unlink()
    assert pick_submission(folder, "induction_heads", pick) == folder / "My Work (1).ipynb"


def test_an_instructors_own_pack_is_written_installed_built_and_graded(tmp_path):
    out = tmp_path / "course_pack"
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "new-exercise", "squares", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    prefix = tmp_path / "installed"
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--prefix",
            str(prefix),
            "-e",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert install.returncode == 0, install.stderr[-2000:]
    site = next(prefix.glob("lib/python3*/site-packages"))  # its entry point; the pack's folder itself:
    env = dict(os.environ, PYTHONPATH=f"{site}{os.pathsep}{out}")
    run = [sys.executable, "-m", "autograder"]
    listed = subprocess.run([*run, "exercises"], capture_output=True, text=True, timeout=120, env=env)
    assert "squares:" in listed.stdout, listed.stdout + listed.stderr
    built = subprocess.run(
        [*run, "build", "--exercise", "squares"], capture_output=True, text=True, timeout=120, env=env
    )
    assert built.returncode == 0 and (out / "exercises" / "squares.py").exists(), built.stderr
    assert "raise NotImplementedError()" in (out / "exercises" / "squares.py").read_text()
    assert (out / "exercises" / "squares.ipynb").exists()
    solved = subprocess.run(
        [*run, "check", str(out / "solutions" / "squares.py")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert solved.returncode == 0 and "5 / 5" in solved.stdout, solved.stdout + solved.stderr
    stubs = subprocess.run(
        [*run, "check", str(out / "exercises" / "squares.py")],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert stubs.returncode == 1 and "0 / 5" in stubs.stdout
    snoop = out / "exercises" / "snoop.py"  # the worker cannot read the pack's solution
    snoop.write_text(
        "def mean_of_squares(values):\n"
        f"    return len(open({str(out / 'solutions' / 'squares.py')!r}).read())\n"
    )
    read = subprocess.run(
        [*run, "check", str(snoop), "--exercise", "squares", "-v"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert read.returncode == 1 and "PermissionError" in read.stdout, read.stdout
