"""Attacks that need a run of their own (the others are graded as one class in test_sandbox.py):
Landlock where a container refuses user namespaces, a disk that one submission fills, and control
sequences a student's error message tries to send to the terminal through `check`.

Each grades through the real command line beside honest students, who keep full marks."""

from __future__ import annotations

import ctypes
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import unshare_refused
from corpus import SUBMISSIONS

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


# --- round three: what surrounds the sandbox ------------------------------------------------------
# Each class of the third red team's attacks has a test of its own: a graded run without a strong
# secret, a secret recoverable offline, judge-side code in a release, stale results kept on a rerun,
# student text read by a CI as a command, and one student's files stopping the class.

STRONG = "Kq3-a strong course secret, 2026"  # 32 characters, mixed


def cli(
    *args, cwd=ROOT, env_drop=("AUTOGRADER_SECRET", "AUTOGRADER_CONFIG"), **env
) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in env_drop} | env
    return subprocess.run(
        [sys.executable, "-m", "autograder", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=cwd,
        env=environment,
    )


@pytest.mark.parametrize(
    "args, env, words",
    [
        ([], {}, "a graded run needs the course secret"),
        ([], {"AUTOGRADER_SECRET": ""}, "$AUTOGRADER_SECRET is empty"),
        ([], {"AUTOGRADER_SECRET": "   "}, "$AUTOGRADER_SECRET is empty"),
        (["--secret", "fall2026"], {}, "too weak"),
        (["--secret", "fall2026fall2026fall2026"], {}, "distinct characters"),
        (["--secret", "correcthorsebatterystaple"], {}, "letters only"),
        (["--secret-file", "/dev/null"], {}, "is empty"),
        (["--public", "--secret", STRONG], {}, "not both"),
    ],
)
def test_a_graded_run_without_a_strong_secret_is_refused_in_one_line(tmp_path, args, env, words):
    """Secure by default: only an explicit --public grades on the inputs whose answers students hold."""
    done = cli("grade", PACK.solution, "--results-dir", tmp_path / "out", *args, cwd=tmp_path, **env)
    assert done.returncode == 2 and words in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_every_graded_command_needs_the_secret(tmp_path):
    for args in (
        ("nbgrader", tmp_path, "induction_heads"),
        ("gradescope-zip", tmp_path / "a.zip", "--exercise", PACK.name),
    ):
        done = cli(*args, cwd=tmp_path)
        assert done.returncode == 2 and "secret" in done.stderr and "Traceback" not in done.stderr, args
    assert not (tmp_path / "a.zip").exists()


def test_the_secret_command_writes_one_the_settings_name_and_results_say_which_inputs(tmp_path):
    from autograder.engine import secret

    done = cli("secret", "course.secret", cwd=tmp_path)
    written = (tmp_path / "course.secret").read_text().strip()
    assert done.returncode == 0 and secret.weakness(written) is None and len(written) >= 40
    assert (tmp_path / "course.secret").stat().st_mode & 0o077 == 0  # readable by its owner alone
    assert cli("secret", "course.secret", cwd=tmp_path).returncode == 2  # never overwritten
    assert (tmp_path / "course.secret").read_text().strip() == written

    hooks = packs.get("hooks")
    (tmp_path / "autograder.toml").write_text('secret_file = "course.secret"\nexercise = "hooks"\n')
    done = cli("grade", hooks.solution, "--results", tmp_path / "r.json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    graded = json.loads((tmp_path / "r.json").read_text())
    assert graded["score"] == graded["max_score"] == hooks_points()
    assert graded["extra_data"]["inputs"] == secret.label(written) != "public"
    assert f"Inputs: drawn from the course secret ({secret.label(written)})" in done.stdout
    assert written not in done.stdout + done.stderr + (tmp_path / "r.json").read_text()


def hooks_points() -> float:
    return sum(t.points for t in packs.get("hooks").tests)


@pytest.mark.parametrize(
    "weak",
    [
        "",
        "fall2026",
        "course secret",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "12345678901234567890123",
        "abcdefghijklmnopqrstuvwxyz",
    ],
)
def test_weak_secrets_are_refused_by_the_stated_rule(weak):
    from autograder.engine import secret

    with pytest.raises(secret.WeakSecret):
        secret.check(weak)


def test_checking_a_guessed_secret_costs_a_slow_derivation_paid_once_per_run(monkeypatch):
    """The draw and the label a result shows both come from one scrypt derivation: a guess cannot be
    checked against what a student sees without paying it; a run pays it once, whatever it draws."""
    import hashlib

    from autograder.engine import secret

    calls = []
    real = hashlib.scrypt

    def counted(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(hashlib, "scrypt", counted)
    guess = STRONG + " (a guess)"
    drawn = [packs.get(name).inputs(guess) for name in ("hooks", "induction_heads")]
    label = secret.label(guess)
    assert len(calls) == 1 and calls[0]["n"] * calls[0]["r"] * 128 >= 64 << 20  # memory-hard: 64 MiB+
    assert all(
        inputs.digest != packs.get(n).inputs(None).digest
        for inputs, n in zip(drawn, ("hooks", "induction_heads"), strict=True)
    )
    seeds = {name: secret.draw_seed(guess, name) for name in ("hooks", "induction_heads")}
    secret._key.cache_clear()
    monkeypatch.setattr(hashlib, "scrypt", lambda *args, **kwargs: b"\0" * 32)  # without the derivation...
    assert {name: secret.draw_seed(guess, name) for name in seeds} != seeds
    assert secret.label(guess) != label  # ...neither the draw nor the label a result shows
    secret._key.cache_clear()


def test_one_malformed_nbgrader_notebook_never_stops_the_class(tmp_path):
    """A copy-pasted solution cell (its grade_id twice) and a forged schema_version each make that
    notebook zero, with the reason in its comments; the students before and after it are graded."""
    from nbgrader.api import Gradebook
    from test_nbgrader import ASSIGNMENT, cells, grade_id, nbgrader, source, submit

    course = tmp_path / "course"
    shutil.copytree(ROOT / "nbgrader", course)
    nbgrader(course, "generate_assignment", ASSIGNMENT)
    reference = {
        grade_id(cell): "".join(line for line in source(cell).splitlines(True) if "### " not in line)
        for cell in cells(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
        if cell["metadata"].get("nbgrader", {}).get("solution")
    }
    for student in ("ada", "cop", "sam", "zoe"):
        submit(course, student, reference)
    copied = course / "submitted" / "cop" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebook = json.loads(copied.read_text())
    solution = next(
        i for i, c in enumerate(notebook["cells"]) if c["metadata"].get("nbgrader", {}).get("solution")
    )
    notebook["cells"].insert(solution + 1, json.loads(json.dumps(notebook["cells"][solution])))
    copied.write_text(json.dumps(notebook))
    forged = course / "submitted" / "sam" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebook = json.loads(forged.read_text())
    for cell in notebook["cells"]:
        if "nbgrader" in cell["metadata"]:
            cell["metadata"]["nbgrader"]["schema_version"] = 99
    forged.write_text(json.dumps(notebook))

    done = cli("nbgrader", course, ASSIGNMENT, "--workers", "1", "--public")
    assert done.returncode == 0, done.stderr[-3000:]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        totals = {
            s.student.id: sum(
                g.auto_score or 0
                for g in gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, s.student.id).grades
            )
            for s in gradebook.assignment_submissions(ASSIGNMENT)
        }
        said = {
            student: {
                c.comment
                for c in gradebook.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student).comments
            }
            for student in ("cop", "sam")
        }
    assert totals == {"ada": 100.0, "cop": 0.0, "sam": 0.0, "zoe": 100.0}
    for student in ("cop", "sam"):
        assert any("nbgrader cannot process this notebook" in (c or "") for c in said[student]), said[student]
        assert f"recorded as zero: {student}/{ASSIGNMENT}: nbgrader cannot process" in done.stderr
    assert (course / "autograded" / "zoe" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists()


COMMAND_START = re.compile(r"^[\s\u200b-\u200f\u2060-\u2064\ufeff]*(::|section_start:|section_end:)", re.I)
COMMAND_ANYWHERE = re.compile(r"##(vso|teamcity)?\[", re.I)


def commands_in(text: str) -> list[str]:
    return [
        line
        for line in re.split(r"\r\n|\n|\r", text)
        if COMMAND_START.match(line) or COMMAND_ANYWHERE.search(line)
    ]


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory, solution_source):
    """One graded run of a class with a student id that is a workflow command, a submission that prints
    and raises commands, and a folder named after a classmate."""
    root = tmp_path_factory.mktemp("hostile")
    folder = make_class(root, solution_source, {"ci_commands": attack("ci_commands.py", solution_source)})
    (folder / "::error title=grading aborted::every score below is invalid.py").write_text(solution_source)
    (folder / "bob.py").write_text(solution_source)
    (folder / "bob").mkdir()  # a classmate's name, taken by someone else's folder
    (folder / "bob" / f"{PACK.name}.py").write_text(PACK.exercise.read_text())
    summary = root / "summary.md"
    done = grade([sys.executable], folder, root / "out", "--summary", summary, "-v")
    return done, root / "out", summary


def test_no_student_text_reaches_a_ci_as_a_command(hostile_class):
    done, out, summary = hostile_class
    assert done.returncode == 0, done.stderr[-3000:]
    for name, text in (
        ("stdout", done.stdout),
        ("stderr", done.stderr),
        ("--summary", summary.read_text()),
        ("grading.log", (out / "grading.log").read_text()),
    ):
        assert not commands_in(text), (name, commands_in(text)[:3])
    assert "grading aborted" in done.stdout  # shown, as text


def test_a_folder_named_after_a_classmate_is_graded_apart_and_said(hostile_class):
    done, out, _ = hostile_class
    graded = {p.stem: json.loads(p.read_text()) for p in out.glob("*.json")}
    assert {"bob~1", "bob~2"} <= set(graded) and "bob" not in graded  # both graded, neither takes the id
    assert sorted(graded[s]["score"] for s in ("bob~1", "bob~2")) == [0, 100]
    assert graded["honest_00"]["score"] == 100
    assert "bob: 2 submissions with this id, graded apart" in done.stderr


def test_ci_safe_breaks_every_command_and_keeps_the_text():
    from autograder.output.text import CiSafeStream, ci_safe

    attack_file = {"print": lambda *args: None}
    exec((HARDENING / "ci_commands.py").read_text(), attack_file)
    for line in attack_file["COMMANDS"]:
        safe = ci_safe(line)
        assert not commands_in(safe) and line.strip()[-8:] in safe  # broken, and still there to read
    written = io.StringIO()
    stream = CiSafeStream(written)
    for piece in (":", ":error::split over writes\nok\n#", "#vso[x]y\n", "::tail"):
        stream.write(piece)
    stream.flush()
    assert not commands_in(written.getvalue()) and "split over writes" in written.getvalue()


def test_the_summary_lists_who_was_not_graded_and_why(tmp_path, monkeypatch, capsys, solution_source):
    from autograder.engine import grader as grader_module
    from autograder.integrations import cli as cli_module

    folder = make_class(tmp_path, solution_source, {"bob": solution_source})
    real = grader_module.Grader.grade

    def broken_for_bob(self, submission, worker=0):
        if submission.student == "bob":
            raise RuntimeError("the worker template died")
        return real(self, submission, worker)

    monkeypatch.setattr(grader_module.Grader, "grade", broken_for_bob)
    code = cli_module.main(
        [
            "grade",
            str(folder),
            "--results-dir",
            str(tmp_path / "out"),
            "--workers",
            "1",
            "--no-progress",
            "--public",
        ]
    )
    out = capsys.readouterr().out
    assert code == cli_module.NOT_GRADED
    assert "Not graded:\n  bob: grader error: the worker template died" in out
    assert "honest_00: 100/100" in out


def test_a_rerun_regrades_every_result_graded_with_something_else_and_says_why(tmp_path):
    """A result is current for its submission, pack, inputs, grader and limits: the red team's rerun
    with --secret kept the public-input results ("Graded 0, kept 3")."""
    hooks = packs.get("hooks")
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(hooks.solution, folder / "ada.py")
    shutil.copy(hooks.exercise, folder / "bea.py")
    common = (
        "grade",
        folder,
        "--results-dir",
        tmp_path / "out",
        "--exercise",
        "hooks",
        "--workers",
        "1",
        "--no-progress",
    )
    public = cli(*common, "--public")
    assert public.returncode == 0 and "Graded 2, kept 0" in public.stdout, public.stderr
    secret = cli(*common, "--secret", STRONG)
    assert secret.returncode == 0 and "Graded 2, kept 0" in secret.stdout, secret.stderr
    assert "ada (graded on other inputs (public, now secret:" in secret.stdout
    labels = {
        p.stem: json.loads(p.read_text())["extra_data"]["inputs"] for p in (tmp_path / "out").glob("*.json")
    }
    assert set(labels) == {"ada", "bea"} and all(label.startswith("secret:") for label in labels.values())
    again = cli(*common, "--secret", STRONG)
    assert "Graded 0, kept 2" in again.stdout
    limits = cli(*common, "--secret", STRONG, "--timeout", "7")
    assert "Graded 2, kept 0" in limits.stdout and "ada (graded with other limits)" in limits.stdout
    log = (tmp_path / "out" / "grading.log").read_text()
    assert "inputs: public" in log and "ada: graded again: graded on other inputs" in log


@pytest.mark.parametrize(
    "key, why",
    [
        ("pack", "another version of the exercise"),
        ("grader", "another version of the grader"),
        ("functions", "on other functions"),
        ("inputs", "on other inputs"),
    ],
)
def test_a_result_graded_with_another_pack_grader_or_functions_is_not_current(tmp_path, key, why):
    from autograder.engine import batch
    from autograder.engine.grader import graded_with
    from autograder.engine.runner import Limits
    from autograder.engine.submission import load
    from autograder.output.results import Result

    path = tmp_path / "ada.py"
    path.write_text("x = 1\n")
    submission = load(path)
    expected = graded_with(PACK, "public", Limits(), None)
    stored = Result(
        "ada",
        [],
        submission_digest=submission.digest,
        graded_with=dict(expected, submission=submission.digest),
    )
    stored.write(tmp_path / "ada.json")
    assert batch.current(tmp_path / "ada.json", submission, expected) is not None
    stored.graded_with[key] = "something else"
    stored.write(tmp_path / "ada.json")
    assert batch.current(tmp_path / "ada.json", submission, expected) is None
    assert why in batch._earlier(tmp_path / "ada.json", submission, expected)[1]


def test_a_release_that_ships_code_computing_an_answer_is_refused(graders, tmp_path):
    """The leak check runs what a release ships: the mistake simulators' helper with its knobs at their
    defaults is logit_attribution, and a release holding it is refused (no line of the reference is
    in it, so the line check alone let it through); the same helper with a knob turned is not."""
    import inspect

    from autograder.integrations import release
    from autograder.packs.hooks import mistakes

    grader = graders("hooks")
    helper = "import numpy as np\n\n\n" + inspect.getsource(mistakes._attribution)
    for name, text, refused in (
        ("knob_turned", helper.replace("order=(0, 1, 2)", "order=(0, 2, 1)"), False),
        ("knob_at_default", helper, True),
    ):
        out = tmp_path / name
        (out / "exercises").mkdir(parents=True)
        (out / "exercises" / "helpers.py").write_text(text)
        if refused:
            with pytest.raises(
                release.ReleaseError, match="_attribution returns the reference's answer of logit_attribution"
            ):
                release._refuse_behaviour(grader.pack, out, grader.inputs, grader.reference)
            assert not out.exists()
        else:
            release._refuse_behaviour(grader.pack, out, grader.inputs, grader.reference)
            assert out.exists()


def test_the_hint_table_names_each_simulated_mistake_without_the_simulators(graders):
    """What a release ships instead of mistakes.py: each mistake's output on each public case, matched
    as the judge matches its simulations, and nothing in it that computes."""
    from autograder.engine import hints, wire
    from autograder.engine.contract import Answer
    from autograder.packs import hooks

    grader = graders("hooks")
    table = json.loads(json.dumps(hints.build(grader.pack, grader.inputs, grader.reference)))
    assert not re.search(
        r"\bdef |lambda|import |W_U\[:, tokens\[1:\]\]|diagonal\(offset|functools\.partial", json.dumps(table)
    )
    named = hints.from_table(table, hooks.hint_form)
    checked = 0
    for function, entry in table["mistakes"].items():
        for index, hint in enumerate(entry["hints"]):
            answers = []
            for case in grader.inputs.of(function):
                for i, plain in entry["cases"].get(case.id, []):
                    if i == index:
                        got = wire.Tensor(hints._value(plain).astype("float32"), "float32", "cpu")
                        answers.append((case, got, Answer.of(grader.reference.outcomes[case.id])))
            if answers:
                said = named[function](answers)
                assert said is not None and entry["hints"].index(said) <= index, (function, hint)
                checked += 1
    assert checked >= 15


@pytest.mark.parametrize("secret", [None, "", "fall2026"])
def test_a_gradescope_bundle_without_its_strong_secret_grades_nothing(tmp_path, capsys, secret):
    from autograder.integrations import gradescope

    (tmp_path / "submission").mkdir()
    (tmp_path / "submission" / f"{PACK.name}.py").write_text(PACK.solution.read_text())
    if secret is not None:
        (tmp_path / "source").mkdir()
        (tmp_path / "source" / gradescope.SECRET_FILE).write_text(secret)
    assert gradescope.run(["--exercise", PACK.name, "--root", str(tmp_path)]) == 2
    assert not (tmp_path / "results" / "results.json").exists()  # Gradescope shows the autograder failed
    assert "cannot grade" in capsys.readouterr().err
