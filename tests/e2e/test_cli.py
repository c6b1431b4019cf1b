"""The command line as students, instructors and course CI meet it: short feedback and the right
exit status, a clear one-line error for each bad argument, Ctrl-C that stops at once and loses
nothing, a gradebook that says why, settings from the course's file, and the usual conventions."""

from __future__ import annotations

import csv
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from corpus import files, variant

from autograder.engine import pack as packs
from autograder.engine.files import ROOT

PACK = packs.get("induction_heads")
CLI = [sys.executable, "-m", "autograder"]


def cli(*args, cwd=ROOT, env=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*CLI, *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ, **(env or {})),
    )


def test_check_is_short_and_its_exit_status_says_whether_everything_passed(tmp_path):
    stubs = cli("check", PACK.exercise)
    assert stubs.returncode == 1
    lines = stubs.stdout.splitlines()
    assert len(lines) <= 40 and stubs.stdout.count("NotImplementedError") <= 2 * len(PACK.functions)
    wrong = tmp_path / "work.py"
    wrong.write_text(variant(PACK, files("induction_heads", "wrong")[0]))
    assert cli("check", wrong, "-q").returncode == 1
    solved = cli("check", PACK.solution, "-v", "--only", "generate_repeated_tokens", env={"COLUMNS": "200"})
    assert solved.returncode == 0, solved.stdout + solved.stderr
    # rich would take "[batch, 1 + 2 * seq_len]" for markup: what is not ours is shown as written
    assert "returns an int64 tensor of shape [batch, 1 + 2 * seq_len]" in solved.stdout


def test_check_without_a_file_looks_here_and_says_when_there_is_none(tmp_path):
    done = cli("check", cwd=tmp_path)
    assert done.returncode == 2 and "no exercise file here" in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args, words",
    [
        (["--results-dir", "{file}"], "--results-dir {file}: that is a file"),
        (["--results", "{dir}"], "--results {dir}: that is a folder"),
        (["--results-dir", "{dir}/out", "--html", "{file}"], "--html {file}: that is a file"),
        (["--results-dir", "{dir}/out", "--workers", "0"], "--workers 0: give at least 1"),
        (["--results-dir", "{dir}/out", "--workers", "-3"], "--workers -3: give at least 1"),
        (
            ["--results-dir", "{dir}/out", "--fail-under", "200"],
            "--fail-under 200: give a score between 0 and 100",
        ),
        (["--results-dir", "{dir}/out", "--timeout", "0"], "--timeout 0: give a positive number"),
        (["--results-dir", "{dir}/out", "--exercise", "nope"], "no exercise named 'nope'"),
        ([], "say where the results go"),
    ],
)
def test_bad_arguments_are_refused_before_grading_in_one_line(tmp_path, args, words):
    (tmp_path / "a_file").write_text("")
    fill = {"{file}": str(tmp_path / "a_file"), "{dir}": str(tmp_path)}
    args = [re.sub("{file}|{dir}", lambda m: fill[m[0]], a) for a in args]
    done = cli("grade", "--public", PACK.solution, *args, timeout=60)
    assert done.returncode == 2, done.stderr
    assert re.sub("{file}|{dir}", lambda m: fill[m[0]], words) in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not list(tmp_path.rglob("*.tmp"))


def test_an_empty_folder_is_an_error(tmp_path):
    (tmp_path / "class").mkdir()
    done = cli("grade", "--public", tmp_path / "class", "--results-dir", tmp_path / "out", timeout=60)
    assert done.returncode == 2 and "no submissions" in done.stderr


def test_a_student_not_graded_makes_the_exit_status_say_so(tmp_path, monkeypatch, capsys):
    from autograder.engine import grader as grader_module
    from autograder.integrations import cli as cli_module

    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.py").write_text(variant(PACK, files("induction_heads", "correct")[0]))
    (folder / "bob.py").write_text("x = 1\n")
    real = grader_module.Grader.grade

    def flaky(self, submission, worker=0):
        if submission.student == "bob":
            raise RuntimeError("the grader broke")
        return real(self, submission, worker)

    monkeypatch.setattr(grader_module.Grader, "grade", flaky)
    code = cli_module.main(
        [
            "grade",
            "--public",
            str(folder),
            "--results-dir",
            str(tmp_path / "out"),
            "--workers",
            "1",
            "--fail-under",
            "0",
            "--no-progress",
        ]
    )
    assert code == cli_module.NOT_GRADED
    assert "NOT GRADED" in capsys.readouterr().err
    assert "bob: NOT GRADED" in (tmp_path / "out" / "grading.log").read_text()


def test_the_gradebook_says_status_subtotals_and_why(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.py").write_text(variant(PACK, files("induction_heads", "correct")[0]))
    (folder / "bob.ipynb").write_text("{not json")
    done = cli(
        "grade", "--public", folder, "--results-dir", tmp_path / "out", "--workers", "1", "--no-progress"
    )
    assert done.returncode == 0, done.stderr
    rows = {row["student"]: row for row in csv.DictReader((tmp_path / "out" / "gradebook.csv").open())}
    assert rows["alice"]["status"] == "graded" and rows["alice"]["current_attn_detector (of 15)"] == "15"
    assert rows["bob"]["status"] == "not imported" and "not a readable notebook" in rows["bob"]["why"]
    assert "1 graded, 1 not imported" in done.stdout or "1 not imported, 1 graded" in done.stdout


def test_ctrl_c_stops_a_batch_at_once_keeps_what_is_done_and_the_rerun_finishes(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    sources = files("induction_heads", "correct")
    for i in range(30):
        source = sources[i % len(sources)]
        target = folder / f"s{i:02d}{source.suffix}"
        target.write_text(variant(PACK, source) if source.suffix == ".py" else source.read_text())
    results = tmp_path / "out"
    batch = subprocess.Popen(
        [
            *CLI,
            "grade",
            "--public",
            str(folder),
            "--results-dir",
            str(results),
            "--workers",
            "2",
            "--no-progress",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while len(list(results.glob("s*.json"))) < 3:
        assert batch.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    batch.send_signal(signal.SIGINT)
    stopped = time.monotonic()
    out, err = batch.communicate(timeout=60)
    assert time.monotonic() - stopped < 10, "Ctrl-C did not stop the batch within seconds"
    assert batch.returncode == 130 and "Traceback" not in err and "interrupted" in err
    kept = len(list(results.glob("s*.json")))
    assert 3 <= kept < 30
    assert len(list(csv.DictReader((results / "gradebook.csv").open()))) == kept
    again = cli("grade", "--public", folder, "--results-dir", results, "--workers", "2", "--no-progress")
    assert again.returncode == 0 and f"Graded {30 - kept}, kept {kept} earlier results" in again.stdout


def test_course_settings_file_is_read_and_flags_win(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.py").write_text(variant(PACK, files("induction_heads", "wrong")[0]))
    (tmp_path / "autograder.toml").write_text(
        f'results_dir = "out"\nworkers = 1\nfail_under = 100\nexercise = "{PACK.name}"\n'
    )
    done = cli("grade", "--public", "class", cwd=tmp_path)
    assert done.returncode == 1 and (tmp_path / "out" / "alice.json").exists()  # below fail_under
    done = cli("grade", "--public", "class", "--fail-under", "0", cwd=tmp_path)
    assert done.returncode == 0
    (tmp_path / "autograder.toml").write_text("wokers = 3\n")
    done = cli("grade", "--public", "class", cwd=tmp_path, timeout=60)
    assert done.returncode == 2 and "unknown setting 'wokers'" in done.stderr


def test_conventions_version_quiet_no_color_and_the_console_script(tmp_path):
    version = cli("--version", timeout=60)
    assert version.returncode == 0 and version.stdout.startswith("autograder ")
    script = Path(sys.executable).parent / "autograder"
    listed = subprocess.run([str(script), "exercises"], capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0 and "induction_heads" in listed.stdout
    quiet = cli("check", PACK.exercise, "-q", env={"NO_COLOR": "1", "FORCE_COLOR": "1"})
    assert quiet.stdout.strip().splitlines() == ["induction_heads: 0/100 (graded)"]
    colourless = cli("check", PACK.exercise, env={"NO_COLOR": "1", "FORCE_COLOR": "1"})
    assert "\x1b[" not in colourless.stdout


def test_pytest_collects_the_exercise_once_and_any_file_named(tmp_path):
    folder = tmp_path / "exercises"
    folder.mkdir()
    (folder / "conftest.py").write_text((ROOT / "exercises" / "conftest.py").read_text())
    (folder / f"{PACK.name}.py").write_text(PACK.exercise.read_text())
    (folder / f"{PACK.name}.ipynb").write_text(PACK.exercise.with_suffix(".ipynb").read_text())
    (folder / "my_copy.py").write_text(variant(PACK, files("induction_heads", "correct")[0]))
    run = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path)]
    listed = subprocess.run(
        [*run, "--collect-only", str(folder)], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    tests = len(PACK.tests)
    assert f"{tests} tests collected" in listed.stdout, listed.stdout[-2000:]  # the .py, not the notebook too
    mine = subprocess.run(
        [*run, str(folder / "my_copy.py")], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert mine.returncode == 0 and f"{tests} passed" in mine.stdout, mine.stdout[-2000:]
