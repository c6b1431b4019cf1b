"""The adversarial corpus (tests/submissions/adversarial): graded as a class, beside honest
submissions, by the real command line. No attack earns a point it does not deserve, changes another
result, leaves a process or a file behind, reaches the network, or keeps the grader from exiting."""

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
from conftest import SUBMISSIONS, by_function

from autograder.authoring import build
from autograder.engine import files, sandbox
from autograder.engine import pack as packs
from autograder.engine.files import ROOT
from autograder.engine.runner import Limits
from autograder.output.results import Result

PACK = packs.get("induction_heads")

ATTACKS = sorted((SUBMISSIONS / "adversarial").glob("*.py"))
SECRETS = [
    "### BEGIN SOLUTION",
    "pattern.diagonal(offset=-1).mean() > 0.4",
    "LOSS_GAP",
    "def det_matches",
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
    (submissions / "aaa_honest.py").write_text(solution_source)  # graded first, on the same workers
    (submissions / "zzz_honest.py").write_text(solution_source)  # and last
    started = time.monotonic()
    tagged = root / f"tmp-{tag}"  # the grader's private folder, and so its workers' environment, name the tag
    tagged.mkdir()
    env = dict(os.environ, IG_ATTACK_TAG=tag, TMPDIR=str(tagged))
    done = subprocess.run(
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
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
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
    )
    listener.server.close()
    for pid in processes_with(f"ig-daemon-{tag}") + processes_with(tag):  # tidy up after a failed test
        os.kill(pid, signal.SIGKILL)


def result_of(attack, name: str) -> Result:
    return Result.read(attack["results"] / f"{name}.json")


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
