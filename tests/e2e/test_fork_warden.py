"""The fork warden (sandbox.supervise_new_processes, ForkWarden, zygote.wait): a worker that ran a
submission's top level may fork one child at a time, once per function, from its main thread, with
fork()'s own flags, and only after it has said "go"; every other new process is refused."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time

import pytest

from autograder.engine import sandbox, wire, zygote

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="seccomp is Linux-only")


def _try_fork(linger: float = 0.0) -> str:
    """'child PID' if a child started (it ends after `linger` seconds), else the error's name."""
    try:
        child = os.fork()
    except OSError as error:
        return type(error).__name__ + f"({error.errno})"
    if child == 0:
        time.sleep(linger)
        os._exit(0)
    return f"child {child}"


def _worker(warden: socket.socket, report: int) -> None:
    """The worker's side, in a forked process: every kind of request, in order."""
    reason, listener = sandbox.supervise_new_processes()
    if listener is None:
        os.write(report, json.dumps({"unavailable": reason}).encode())
        os._exit(0)
    socket.send_fds(warden, [b"l"], [listener])
    os.close(listener)
    seen: dict[str, str] = {"before go": _try_fork()}
    warden.sendall(b"go")
    warden.close()
    first = _try_fork(linger=0.5)
    seen["after go"] = first.split()[0]
    seen["while a child lives"] = _try_fork()
    from_thread: list[str] = []
    thread = threading.Thread(target=lambda: from_thread.append(_try_fork()))
    thread.start()
    thread.join()
    seen["from a thread"] = from_thread[0]
    try:
        subprocess.run(["true"], check=False)
        seen["subprocess"] = "ok"
    except OSError as error:
        seen["subprocess"] = type(error).__name__
    os.waitpid(int(first.split()[1]), 0)
    for turn in ("second", "third", "beyond the count"):
        outcome = _try_fork()
        seen[turn] = outcome.split()[0]
        if outcome.startswith("child"):
            os.waitpid(int(outcome.split()[1]), 0)
    os.write(report, json.dumps(seen).encode())
    os._exit(0)


def test_the_warden_lets_through_one_child_per_function_after_the_top_level_only():
    judge, template = socket.socketpair()  # the judge's channel to the template: unused here
    warden_end, worker_end = socket.socketpair()
    report_r, report_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            warden_end.close()
            _worker(worker_end, report_w)
        finally:
            os._exit(1)
    worker_end.close()
    os.close(report_w)
    status = zygote.wait(wire.Channel(template), pid, warden_end, forks=3)
    seen = json.loads(os.read(report_r, 10_000) or b"{}")
    os.close(report_r)
    if "unavailable" in seen:
        pytest.skip(seen["unavailable"])
    assert status == 0
    assert seen == {
        "before go": "PermissionError(1)",
        "after go": "child",
        "while a child lives": "PermissionError(1)",
        "from a thread": "PermissionError(1)",
        "subprocess": "PermissionError",
        "second": "child",
        "third": "child",
        "beyond the count": "PermissionError(1)",
    }
