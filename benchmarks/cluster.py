"""Phase 2: the same class on a Dask cluster of W workers, against the local pool, run alternately."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
from pathlib import Path

from common import (
    PYTHON,
    Run,
    must,
    run,
    steady,
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_cluster(workers: int, logs: Path, env: dict) -> tuple[str, list[subprocess.Popen]]:
    """A Dask scheduler and `workers` workers (one process, one thread each) on localhost, the stock
    commands from this venv, each in a session of its own; returns once every worker has joined."""
    from distributed import Client

    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    commands = [[PYTHON, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", str(port)]]
    commands += [
        [PYTHON, "-m", "distributed.cli.dask_worker", address, "--nworkers", "1", "--nthreads", "1"]
        + ["--host", "127.0.0.1"]
        for _ in range(workers)
    ]
    processes = []
    for index, command in enumerate(commands):
        log = (logs / f"{'scheduler' if index == 0 else f'worker-{index}'}.log").open("w")
        processes.append(
            subprocess.Popen(
                [*command, "--no-dashboard"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    try:
        with Client(address, timeout=60, set_as_default=False) as client:
            client.wait_for_workers(workers, timeout=300)
    except BaseException:
        stop_cluster(processes)
        raise
    return address, processes


def stop_cluster(processes: list[subprocess.Popen]) -> None:
    for process in reversed(processes):  # the workers (and their templates), then the scheduler
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        except ProcessLookupError:
            pass


def bench_cluster(members: list[dict], large: list[dict], workers: int, work: Path, env: dict) -> dict:
    """The local pool and the cluster, alternately, on W, N and LARGE submissions."""
    address, processes = start_cluster(workers, work / "cluster-logs", env)
    try:

        def grade(paths: list[Path], results: Path, scheduler: str | None) -> Run:
            command = [
                PYTHON,
                "-m",
                "autograder",
                "grade",
                "--public",
                *map(str, paths),
                "--results-dir",
                str(results),
            ]
            command += ["--no-progress", "--force"]
            command += ["--scheduler", scheduler] if scheduler else ["--workers", str(workers)]
            return must(run(command, env=env), "grading on the cluster" if scheduler else "grading")

        sizes = {"few": [m["path"] for m in members[:workers]], "n": [m["path"] for m in members]}
        if large:
            sizes["large"] = [m["path"] for m in large]
        walls: dict[str, dict[str, float]] = {"local": {}, "cluster": {}}
        for size, paths in sizes.items():
            for mode, scheduler in (("local", None), ("cluster", address)):
                print(f"  {mode}, {len(paths)} submissions ...", flush=True)
                walls[mode][size] = grade(paths, work / f"{mode}-{size}", scheduler).seconds
    finally:
        stop_cluster(processes)
    report: dict = {"workers": workers, "n": len(members), "large_n": len(large)}
    for mode, wall in walls.items():
        per = (wall["n"] - wall["few"]) / (len(members) - workers)
        figures = {
            "wall_few_s": wall["few"],
            "wall_s": wall["n"],
            "start_s": wall["few"] - workers * per,
            "per_submission_s": per,
            "steady_per_submission_s": steady(work / f"{mode}-n"),
        }
        if large:
            figures["wall_large_s"] = wall["large"]
            figures["per_submission_large_s"] = (wall["large"] - wall["few"]) / (len(large) - workers)
            figures["steady_per_submission_large_s"] = steady(work / f"{mode}-large")
        report[mode] = figures
    report["ratio"] = report["cluster"]["per_submission_s"] / report["local"]["per_submission_s"]
    if large:
        report["ratio_large"] = (
            report["cluster"]["per_submission_large_s"] / report["local"]["per_submission_large_s"]
        )
    same = 0
    for member in members:
        local, cluster = (
            json.loads((work / f"{mode}-n" / f"{member['student']}.json").read_text())
            for mode in ("local", "cluster")
        )
        same += [local["score"], local["extra_data"]["status"]] == [
            cluster["score"],
            cluster["extra_data"]["status"],
        ]
    report["same_scores_and_statuses"] = same
    return report
