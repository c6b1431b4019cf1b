"""The adversarial corpus (tests/submissions/adversarial and hardening/): graded as one class, beside
honest submissions, by the real command line, with --html and --junit, and secrets in the grader's
environment. No attack earns a point it does not deserve, changes another result, leaves a process,
a file or an IPC object behind, reaches the network, reads what it may not, slows or bloats the judge,
breaks a report, or keeps the grader from exiting; and everything the grader writes stays inert."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from corpus import SUBMISSIONS, by_function

from autograder.authoring import build
from autograder.engine import files, sandbox
from autograder.engine import pack as packs
from autograder.engine.files import ROOT
from autograder.engine.runner import Limits
from autograder.output.results import Result

PACK = packs.get("induction_heads")

ATTACKS = sorted((SUBMISSIONS / "adversarial").glob("*.py"))
# Attacks of tests/submissions/hardening graded in this class too (the others need runs of their own:
# tests/e2e/test_hardening.py). big_return_values thrice: the judge must let go of what it has judged.
HARDENING = {
    name: SUBMISSIONS / "hardening" / f"{name.rstrip('123')}.py"
    for name in (
        "big_return_values1",
        "big_return_values2",
        "big_return_values3",
        "control_characters",
        "env_leak",
        "forged_result_items",
        "generate_many_rows",
        "huge_loss_plot",
        "lone_surrogate",
        "sysv_shm_writer",
        "sysv_shm_reader",
    )
}
GRADERS_SECRETS = {
    "GITHUB_TOKEN": "ghp_SECRETgraderTOKEN0123456789",
    "AWS_SECRET_ACCESS_KEY": "wJalrSECRETkey/K7MDENG",
}
ODD_IDS = ['=HYPERLINK("http:evil.example","click")', "+1+1", "-2-2", "@SUM(A1)", "esc\x1b[2Jid"]
SECRETS = [
    "### BEGIN SOLUTION",
    "pattern.diagonal(offset=-1).mean() > 0.4",
    "LOSS_GAP",
    "def heads_match",
    "MISTAKES: dict",
]
SOLUTION_BASED = {p.stem for p in ATTACKS if "# base: solution" in p.read_text()}


def header(path: Path, key: str) -> str:
    return next(
        line.split(":", 1)[1].strip()
        for line in path.read_text().splitlines()
        if line.startswith(f"# {key}:")
    )


class Listener:
    """A TCP server on the grader's loopback that records every connection it gets."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.received.append(connection.recv(1000))
            connection.close()


def processes_with(text: str) -> list[int]:
    """Processes whose name, command line or environment contains `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            blobs = [(entry / name).read_bytes() for name in ("comm", "cmdline", "environ")]
        except OSError:
            continue
        if any(text.encode() in blob for blob in blobs):
            found.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def attack(tmp_path_factory, solution_source):
    tag = uuid.uuid4().hex[:8]
    root = tmp_path_factory.mktemp("attack")
    marker, results, submissions = root / "marker", root / "results", root / "class"
    for folder in (marker, results, submissions):
        folder.mkdir()
    listener = Listener()
    stubs = build.strip_solutions(PACK.solution.read_text())
    values = {
        "{{MARKER}}": str(marker),
        "{{PORT}}": str(listener.port),
        "{{RESULTS}}": str(results),
        "{{ROOT}}": str(ROOT),
        "{{TAG}}": tag,
        "{{CACHE}}": str(files.cache_dir()),
    }
    for path in ATTACKS:
        text = path.read_text()
        for key, value in values.items():
            text = text.replace(key, value)
        base = solution_source if header(path, "base") == "solution" else stubs
        (submissions / path.name).write_text(base + "\n\n# --- attack ---\n" + text)
    values["{{POSITIONS}}"] = "3_000_000"
    for name, path in HARDENING.items():
        text = path.read_text()
        for key, value in values.items():
            text = text.replace(key, value)
        base = solution_source if header(path, "base") == "solution" else stubs
        (submissions / f"{name}.py").write_text(base + "\n\n# --- attack ---\n" + text)
    _odd_entries(submissions, root, solution_source)
    (submissions / "aaa_honest.py").write_text(solution_source)  # graded first, on the same workers
    (submissions / "zzz_honest.py").write_text(solution_source)  # and last
    started = time.monotonic()
    tagged = root / f"tmp-{tag}"  # the grader's private folder, and so its workers' environment, name the tag
    tagged.mkdir()
    env = dict(os.environ, IG_ATTACK_TAG=tag, TMPDIR=str(tagged), **GRADERS_SECRETS)
    done = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "autograder",
            "grade",
            str(submissions),
            "--results-dir",
            str(results),
            "--workers",
            "2",
            "--timeout",
            "3",
            "--no-progress",
            "--public",
            "--html",
            str(root / "html"),
            "--junit",
            str(root / "junit.xml"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    peak = 0  # the judge's own resident memory, at its highest
    while done.poll() is None and time.monotonic() - started < 600:
        peak = max(peak, _peak_rss(done.pid))
        time.sleep(0.05)
    out, err = done.communicate(timeout=60)
    done.stdout_bytes, done.stdout, done.stderr = (
        out,
        out.decode(errors="replace"),
        err.decode(errors="replace"),
    )
    elapsed = time.monotonic() - started
    first_read = {p.name: p.read_text() for p in results.glob("*.json")}
    time.sleep(4)  # the forger's daemon would wake after 3 s
    yield dict(
        done=done,
        elapsed=elapsed,
        results=results,
        marker=marker,
        listener=listener,
        tag=tag,
        first_read=first_read,
        root=root,
        peak=peak,
    )
    listener.server.close()
    for pid in processes_with(f"ig-daemon-{tag}") + processes_with(tag):  # tidy up after a failed test
        os.kill(pid, signal.SIGKILL)


def result_of(attack, name: str) -> Result:
    return Result.read(attack["results"] / f"{name}.json")


def _peak_rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return 0


def _notebook(cells) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells})


def _odd_entries(submissions: Path, root: Path, solution_source: str) -> None:
    """Entries that are not a plain file appended to a base: links out of the class and to special
    files, a FIFO, notebooks nested too deeply or of the wrong types, odd student ids."""
    secret = root / "instructor_only.py"
    secret.write_text("INSTRUCTOR_ONLY_SECRET = 'the answers are 1.4 and 1.10'\n")
    linked = submissions / "linked_solution"
    linked.mkdir()
    (linked / "induction_heads.py").symlink_to(PACK.solution)
    (submissions / "link_out.py").symlink_to(PACK.solution)
    leak = submissions / "link_secret"
    leak.mkdir()
    (leak / "induction_heads.py").symlink_to(secret)
    (submissions / "dev_zero.py").symlink_to("/dev/zero")
    fifo = submissions / "fifo"
    fifo.mkdir()
    os.mkfifo(fifo / "induction_heads.py")
    os.mkfifo(submissions / "fifo_file.py")
    (submissions / "deep_notebook.ipynb").write_text('{"cells": ' + "[" * 200_000 + "]" * 200_000 + "}")
    (submissions / "cells_number.ipynb").write_text(json.dumps({"nbformat": 4, "cells": 5}))
    (submissions / "source_numbers.ipynb").write_text(_notebook([{"cell_type": "code", "source": [1, 2]}]))
    for name in ODD_IDS:
        (submissions / f"{name}.py").write_text(solution_source)
    (submissions / "not_utf8_\udcff.py").write_text(solution_source)


def test_the_grader_exits_cleanly(attack):
    done = attack["done"]
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert attack["elapsed"] < 300


def test_honest_submissions_keep_full_marks_before_and_after_the_attacks(attack):
    for name in ("aaa_honest", "zzz_honest"):
        assert result_of(attack, name).score == 100


@pytest.mark.parametrize("path", ATTACKS, ids=lambda p: p.stem)
def test_no_attack_earns_an_undeserved_point(attack, path):
    result = result_of(attack, path.stem)
    ceiling = float(header(path, "max_score"))
    assert result.score <= ceiling
    if path.stem in SOLUTION_BASED:  # the honest part of the submission keeps its points
        assert result.score == ceiling, [t.name for t in result.tests if not t.passed]


def test_failures_are_explained(attack):
    def outputs(name, function):
        return "\n".join(t.output for t in result_of(attack, name).tests if t.function == function)

    assert "took longer than 3 s" in outputs("infinite_loop", "induction_attn_detector")
    assert "SystemExit" in outputs("sys_exit_in_function", "prev_attn_detector")
    assert "exited with status 0" in outputs("exit_at_import", "current_attn_detector")
    memory = outputs("huge_allocation", "first_attn_detector")
    assert "allocate" in memory or "MemoryError" in memory


def test_output_is_capped_and_the_rest_counted(attack):
    result = result_of(attack, "output_flood")
    assert len(result.output) < 70_000
    assert "more bytes of output were dropped" in result.output
    assert by_function(result)["run_and_cache_model_repeated_tokens"] == (20, 20)


def test_no_process_can_be_started(attack):
    output = result_of(attack, "daemons").output
    assert "FORK REFUSED" in output and "SUBPROCESS REFUSED" in output


def test_no_process_outlives_the_grading(attack):
    assert processes_with(f"ig-daemon-{attack['tag']}") == []
    assert processes_with(attack["tag"]) == []  # neither the workers nor their templates


def test_nothing_is_written_outside_the_scratch_directory(attack):
    assert list(attack["marker"].iterdir()) == []  # no unpickling either: it would have made a file here
    assert not (ROOT / "written-by-student").exists()
    assert not Path(os.path.expanduser("~/written-by-student")).exists()
    assert not Path(f"/tmp/written-by-student-{attack['tag']}").exists()
    assert not (attack["results"] / "written-by-student.json").exists()
    written = [
        line for line in result_of(attack, "write_outside").output.splitlines() if line.startswith("WROTE")
    ]
    assert all("/unit-" in line for line in written)  # only inside its own scratch directory (its HOME)


def test_no_network_not_even_loopback(attack):
    assert attack["listener"].received == []
    output = result_of(attack, "network").output
    assert "CONNECTED" not in output and "RESOLVED" not in output


def test_results_cannot_be_forged_after_grading(attack):
    now = {p.name: p.read_text() for p in attack["results"].glob("*.json")}
    assert now == attack["first_read"]
    assert json.loads(now["forge_results.json"])["score"] == 0


def test_solutions_and_checks_cannot_be_found(attack):
    result = result_of(attack, "search_solutions")
    everything = result.output + "\n".join(t.output for t in result.tests)
    assert "FOUND 0" in result.output
    for secret in SECRETS:
        assert secret not in everything


def test_a_flood_of_processes_and_threads_is_capped_where_the_kernel_can(attack):
    output = result_of(attack, "task_flood").output
    counts = [int(n) for n in re.findall(r"STARTED (\d+)", output)]
    assert counts, output[-2000:]
    if sandbox.kernel_version() >= (6, 14):  # pid_max per PID namespace
        assert max(counts) < Limits.tasks
    else:  # no cap: the flood's own limit stops it; the other tests show it did no harm
        assert max(counts) == 1000


def test_the_judge_stays_small(attack):
    assert attack["peak"] < 1.5 * (1 << 30), f"the judge's peak resident memory: {attack['peak'] >> 20} MiB"


def test_forged_events_are_invalid_output_scored_zero(attack):
    for name in (
        "forged_imported_event",
        "forged_sandbox_event",
        "forged_start_events",
        "forged_result_items",
    ):
        result = result_of(attack, name)
        assert result.score == 0 and result.status == "invalid output", name
        assert result.protections_off == {}  # what the grader found, never what a submission claims
        assert "cannot accept" in result.problems[0]


def test_links_special_files_and_malformed_notebooks_fail_alone_with_a_message(attack):
    expected = {
        "linked_solution": "outside the submission",
        "link_out": "outside the submission",
        "link_secret": "outside the submission",
        "dev_zero": "outside the submission",
        "fifo": "not a regular file",
        "fifo_file": "not a regular file",
        "deep_notebook": "nested too deeply",
        "cells_number": "not a readable notebook",
    }
    for name, words in expected.items():
        result = result_of(attack, name)
        assert result.score == 0 and result.status == "not imported", name
        assert words in " ".join(result.problems), (name, result.problems)
    malformed = result_of(attack, "source_numbers")
    assert malformed.score == 0 and "not a readable notebook" in " ".join(malformed.problems)
    written = "\n".join(p.read_text(errors="replace") for p in attack["results"].rglob("*") if p.is_file())
    assert "INSTRUCTOR_ONLY_SECRET" not in written and "the answers are 1.4" not in written


def test_reports_stay_inert_whatever_students_wrote(attack):
    import csv
    import xml.etree.ElementTree as ET

    for row in csv.reader((attack["results"] / "gradebook.csv").open(encoding="utf-8")):
        assert not any(cell.startswith(("=", "+", "-", "@")) for cell in row), row
    suites = ET.parse(attack["root"] / "junit.xml").getroot().findall("testsuite")
    names = {suite.get("name") for suite in suites}
    assert "lone_surrogate" in names and "control_characters" in names
    assert b"\x1b" not in attack["done"].stdout_bytes + attack["done"].stderr.encode()
    for name in ODD_IDS[:4]:
        assert result_of(attack, name).score == 100  # an odd name is still a student, graded
    assert (
        result_of(attack, "lone_surrogate").status != ""
        and (attack["root"] / "html" / "lone_surrogate.html").exists()
    )
    pages = {p.name: p.stat().st_size for p in (attack["root"] / "html").glob("*.html")}
    assert pages["huge_loss_plot.html"] < pages["aaa_honest.html"] + (2 << 20)
    assert (attack["root"] / "html" / "index.html").exists()


def test_the_graders_environment_does_not_reach_students(attack):
    written = "\n".join(p.read_text(errors="replace") for p in attack["results"].rglob("*") if p.is_file())
    written += "\n".join(p.read_text(errors="replace") for p in (attack["root"] / "html").glob("*.html"))
    for value in GRADERS_SECRETS.values():
        assert value not in written
    assert "ENVIRONMENT" in result_of(attack, "env_leak").output  # it did print its environment


def test_system_v_ipc_dies_with_each_submission(attack):
    # The marker's segment must exist for the reader's check to mean anything; on a loaded machine
    # the loop may meet the statement's time limit before the last segment, which changes nothing.
    assert "SEGMENT 0 CREATED" in result_of(attack, "sysv_shm_writer").output
    reader = result_of(attack, "sysv_shm_reader").output
    assert "SHM EMPTY" in reader and "SHM-MARKER" not in reader
    key = 0x1000000 + int(attack["tag"][:6], 16)
    listed = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    assert not [line for line in listed if key <= int(line.split()[0]) < key + 8]


def test_the_judge_is_quick_on_huge_answers(attack):
    for name, score in (("generate_many_rows", 80), ("huge_loss_plot", 80), ("detector_many_labels", 96)):
        assert result_of(attack, name).score == score, name
    assert result_of(attack, "big_return_values1").score == 0
