"""Attacks that need a run of their own (the others are graded as one class in test_sandbox.py):
Landlock where a container refuses user namespaces, a disk that one submission fills, and control
sequences a student's error message tries to send to the terminal through `check`.

Each grades through the real command line beside honest students, who keep full marks."""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import unshare_refused
from conftest import SUBMISSIONS

from autograder.engine import pack as packs
from autograder.engine.files import ROOT

PACK = packs.get("induction_heads")
HARDENING = SUBMISSIONS / "hardening"


def attack(name: str, solution_source: str) -> str:
    path = HARDENING / name
    text = path.read_text().replace("{{ROOT}}", str(ROOT))
    base = solution_source if "# base: solution" in text else PACK.exercise.read_text()
    return base + "\n\n# --- attack ---\n" + text


def make_class(root: Path, solution_source: str, attackers: dict[str, str], honest: int = 1) -> Path:
    folder = root / "class"
    folder.mkdir()
    for i in range(honest):
        (folder / f"honest_{i:02d}.py").write_text(solution_source)
    for name, source in attackers.items():
        (folder / f"{name}.py").write_text(source)
    return folder


def grade(python: list[str], folder: Path, results: Path, *extra, env=None) -> subprocess.CompletedProcess:
    """`python -m autograder grade ...`, `python` being a command that runs Python (a launcher's, say)."""
    command = [
        *python,
        "-m",
        "autograder",
        "grade",
        str(folder),
        "--results-dir",
        str(results),
        "--workers",
        "2",
        "--no-progress",
        "--public",
        *extra,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=600, env=env, cwd=ROOT)


def results(folder: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in folder.glob("*.json")}


def _landlock_abi() -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return max(int(libc.syscall(444, None, ctypes.c_size_t(0), ctypes.c_uint32(1))), 0)


@pytest.mark.skipif(_landlock_abi() == 0, reason="needs a kernel with Landlock")
def test_landlock_stays_on_where_user_namespaces_are_refused(tmp_path, solution_source):
    """Under a seccomp filter that refuses unshare (as Docker's and Gradescope's do), a failed unshare
    leaves errno at EPERM; Landlock is judged by its syscalls' return values, so it stays on, and a
    file that runs the reference solution from the repository earns nothing."""
    folder = make_class(
        tmp_path, solution_source, {"read_solution": attack("read_solution.py", solution_source)}
    )
    done = grade(unshare_refused.command([]), folder, tmp_path / "out", "--allow-unsandboxed")
    assert done.returncode == 0, done.stderr[-3000:]
    found = results(tmp_path / "out")
    assert found["honest_00"]["score"] == 100
    assert found["read_solution"]["score"] == 0
    off = found["read_solution"]["extra_data"]["protections_off"]
    assert {"network", "privileges", "processes", "ipc", "disk"} <= set(off)  # said, each of them
    assert "filesystem" not in off and "fork" not in off  # Landlock and seccomp need no namespace


def _small_disk(tmpdir: Path, megabytes: int) -> list[str]:
    """A command prefix: a user and mount namespace of its own, a tmpfs of `megabytes` over `tmpdir`."""
    script = f'mount -t tmpfs -o size={megabytes}m tmpfs "{tmpdir}" && exec "$@"'
    return ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script, "sh"]


@pytest.mark.skipif(not shutil.which("unshare"), reason="needs unshare(1)")
def test_a_full_disk_fails_only_the_submission_that_filled_it(tmp_path, solution_source):
    """The grader's own folder on a 200 MiB disk; the filler writes until its scratch is full and
    holds it full while ten honest students are graded beside it: each scratch is a tmpfs of its own,
    so only the filler is short of room."""
    folder = make_class(
        tmp_path, solution_source, {"a_fill_scratch": attack("fill_scratch.py", solution_source)}, honest=10
    )
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    done = grade(
        [*_small_disk(tmpdir, 200), sys.executable],
        folder,
        tmp_path / "out",
        env=dict(os.environ, TMPDIR=str(tmpdir)),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = results(tmp_path / "out")
    assert all(found[f"honest_{i:02d}"]["score"] == 100 for i in range(10))
    assert found["a_fill_scratch"]["score"] == 0 and "FILLED" in found["a_fill_scratch"]["output"]


def test_no_escape_sequence_reaches_the_terminal_from_check(tmp_path, solution_source):
    path = tmp_path / "control_characters.py"
    path.write_text(attack("control_characters.py", solution_source))
    done = subprocess.run(
        [sys.executable, "-m", "autograder", "check", str(path), "-v"],
        capture_output=True,
        timeout=300,
        cwd=ROOT,
        env=dict(os.environ, NO_COLOR="1", COLUMNS="200"),
    )
    assert done.returncode == 1
    assert b"\x1b" not in done.stdout + done.stderr and b"\x07" not in done.stdout
    assert b"RAISED" in done.stdout and b"\\x1b" in done.stdout  # shown escaped, not sent
