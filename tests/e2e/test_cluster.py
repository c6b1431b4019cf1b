"""Grading on a Dask cluster (`grade --scheduler`): a real scheduler and two workers started as
separate processes on localhost grade a class through the command line into the same scores and
statuses as the local pool, and again with one worker killed with SIGKILL halfway: every result is
still right and written once. Then, in this process, what the client does when a worker cannot
isolate, and how a worker's plain-data answer becomes a Result."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from corpus import files, variant

from autograder.engine import pack as packs
from autograder.output.results import Result

PACK = packs.get("induction_heads")
PYTHON = Path(sys.executable)
DASK = PYTHON.parent / "dask"  # the venv's `dask` command


def make_class(folder: Path, size: int = 40) -> list[str]:
    """Correct variants (notebooks among them), wrong ones, the broken files (a notebook among them)
    and an unreadable notebook: every status but the time limit. Returns the students."""
    pools = {
        "correct": files("induction_heads", "correct"),
        "wrong": [p for p in files("induction_heads", "wrong") if "infinite" not in p.name],
        "broken": files("induction_heads", "broken"),
    }
    kinds = ["correct", "wrong", "wrong", "correct", "broken"]
    folder.mkdir(parents=True)
    for i in range(size - 1):
        pool = pools[kinds[i % len(kinds)]]
        source = pool[(i // len(kinds)) % len(pool)]
        target = folder / f"student{i:02d}{source.suffix}"
        if source.parent.name in ("correct", "wrong") and source.suffix == ".py":
            target.write_text(variant(PACK, source))
        else:
            shutil.copy(source, target)
    (folder / f"student{size - 1:02d}.ipynb").write_text("{not json")
    return sorted(p.stem for p in folder.iterdir())


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command: list[str], log: Path, tmpdir: Path | None = None) -> subprocess.Popen:
    """A process in a session of its own (so that killing its group kills what it started)."""
    env = dict(os.environ, TMPDIR=str(tmpdir)) if tmpdir else None
    return subprocess.Popen(
        command, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True, env=env
    )


def grade(folder: Path, results: Path, *extra: str) -> subprocess.Popen:
    command = [str(PYTHON), "-m", "autograder", "grade", str(folder), "--results-dir", str(results)]
    return subprocess.Popen(
        [*command, "--no-progress", "--public", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def outcomes(results: Path, students: list[str]) -> dict[str, tuple]:
    return {student: summary(Result.read(results / f"{student}.json")) for student in students}


def logged(results: Path) -> list[str]:
    """The students of the log's result lines (one line per result written)."""
    lines = (results / "grading.log").read_text().splitlines()
    return [line.split(":")[0] for line in lines if not line.startswith("---")]


def processes_with(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "environ").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                pass
    return found


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and two workers (one process, one thread each) on free ports of localhost; each
    worker's temporary folder is tagged, which finds its processes (and its templates') in /proc."""
    address = f"tcp://127.0.0.1:{free_port()}"
    scheduler = start(
        [str(PYTHON), "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1"]
        + ["--port", address.rsplit(":", 1)[1], "--no-dashboard"],
        tmp_path / "scheduler.log",
    )
    workers = []
    for index in range(2):
        tag = f"dask-worker-{uuid.uuid4().hex}"
        (tmp_path / tag).mkdir()
        command = [str(DASK), "worker", address, "--nworkers", "1", "--nthreads", "1", "--host", "127.0.0.1"]
        log = tmp_path / f"worker-{index}.log"
        workers.append((start([*command, "--no-dashboard"], log, tmp_path / tag), tag))
    yield address, workers
    for process, _ in [*workers, (scheduler, None)]:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()


def wait_for_workers(address: str, count: int) -> None:
    from distributed import Client

    with Client(address, timeout=60, set_as_default=False) as client:
        client.wait_for_workers(count, timeout=120)


def grade_locally(grader, folder: Path) -> dict[str, Result]:
    """The class graded here, by the session's grader (two templates, a thread each), as the local
    pool grades it."""
    from concurrent.futures import ThreadPoolExecutor

    from autograder.engine.submission import find, load

    submissions = [load(p, prefer=PACK.name) for p in find([folder])]
    free: queue.Queue[int] = queue.Queue()
    for index in range(len(grader.templates)):
        free.put(index)

    def grade_one(submission):
        index = free.get()
        try:
            return grader.grade(submission, index)
        finally:
            free.put(index)

    with ThreadPoolExecutor(len(grader.templates)) as pool:
        return {r.student: r for r in pool.map(grade_one, submissions)}


def summary(result: Result) -> tuple:
    return result.score, result.status, [(t.name, t.score) for t in result.tests]


@pytest.mark.slow
def test_a_class_graded_on_a_cluster_scores_as_locally_even_when_a_worker_is_killed(
    tmp_path, cluster, grader
):
    from autograder.output import reporters

    address, workers = cluster
    students = make_class(tmp_path / "class")
    local = grade_locally(grader, tmp_path / "class")  # while the cluster starts
    expected = {student: summary(result) for student, result in local.items()}
    assert sorted(expected) == students
    statuses = {status for _, status, _ in expected.values()}
    assert statuses >= {"graded", "imported with problems", "not imported"}
    wait_for_workers(address, 2)

    first = grade(tmp_path / "class", tmp_path / "cluster", "--scheduler", address)
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err[-3000:]
    assert f"Graded {len(students)}, kept 0 earlier results" in out
    assert outcomes(tmp_path / "cluster", students) == expected
    assert sorted(logged(tmp_path / "cluster")) == students
    reporters.write_gradebook([local[s] for s in students], tmp_path / "local.csv")
    gradebook = (tmp_path / "cluster" / "gradebook.csv").read_text()
    assert gradebook == (tmp_path / "local.csv").read_text()

    # Again, and one worker (its nanny, its process, its templates) is killed with SIGKILL halfway.
    results = tmp_path / "killed"
    second = grade(tmp_path / "class", results, "--scheduler", address)
    deadline = time.monotonic() + 120
    while len(list(results.glob("student*.json"))) < 10:
        assert second.poll() is None, "the batch finished before a worker could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    victim, tag = workers[0]
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait()
    killed_at = len(list(results.glob("student*.json")))
    out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err[-3000:]
    assert killed_at < len(students)
    assert outcomes(results, students) == expected  # every result present, and right
    assert sorted(logged(results)) == students  # each written once
    deadline = time.monotonic() + 10
    while processes_with(tag):  # the killed worker's templates and units die with it
        assert time.monotonic() < deadline, processes_with(tag)
        time.sleep(0.1)


def test_a_worker_that_cannot_isolate_refuses_the_batch_with_the_reason(tmp_path, monkeypatch):
    """In-process (threads, not processes), with a grader that cannot isolate on the worker."""
    from distributed import LocalCluster

    from autograder.engine import grader, reference
    from autograder.engine.batch import grade_submissions
    from autograder.engine.submission import from_source
    from autograder.integrations import cluster

    def cannot_isolate(*args, **kwargs):
        raise grader.IsolationUnavailable(
            "refusing to grade without isolation; these protections are off:\n  landlock: not here"
        )

    view = cluster.ClientView(PACK, reference.Reference({}), PACK.inputs(None), PACK.names)
    monkeypatch.setattr(cluster, "client_view", lambda *args: view)
    monkeypatch.setattr(grader, "Grader", cannot_isolate)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None) as local:
        with pytest.raises(cluster.WorkerRefused) as refused:
            grade_submissions(
                [from_source("alice", "x = 1\n")],
                tmp_path / "results",
                PACK,
                pool=cluster.dask_pool(local.scheduler_address),
                progress=False,
            )
    message = str(refused.value)
    assert "refusing to grade on this cluster" in message and "landlock: not here" in message
    assert "Dask worker inproc://" in message  # names the worker
    assert not (tmp_path / "results" / "alice.json").exists()


def test_a_workers_answer_is_rebuilt_from_plain_data_and_checked(tmp_path):
    import numpy as np

    from autograder.engine import reference, wire
    from autograder.engine.submission import from_source
    from autograder.integrations.cluster import rebuild
    from autograder.output.results import TestResult

    submission = from_source("bob", "x = 1\n")
    result = Result(
        "bob",
        [TestResult("f: works", "f", 1.0, 2.0, "wrong on input 3")],
        "printed",
        0.25,
        status="imported with problems",
        problems=["line 1: NameError"],
        submission_digest=submission.digest,
        exercise=PACK.name,
    )
    answer = json.loads(json.dumps({"result": result.to_gradescope(), "seconds": 0.25}))
    rebuilt = rebuild(answer, submission)
    assert rebuilt.to_gradescope() == result.to_gradescope() and rebuilt.seconds == 0.25
    # The raw values an HTML page shows travel as the reference does: JSON and safetensors.
    values = np.arange(6, dtype=np.float32).reshape(2, 3)
    raw = {"f/case": {"status": "ok", "value": [wire.Tensor(values, "float32", "cpu"), 3]}}
    answer["raw"] = reference.dumps(reference.Reference(raw))
    tensor, number = rebuild(answer, submission).raw["f/case"]["value"]
    assert np.array_equal(tensor.values, values) and tensor.dtype == "float32" and number == 3
    with pytest.raises(ValueError, match="another submission"):
        rebuild(answer, from_source("bob", "x = 2\n"))
