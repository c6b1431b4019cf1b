"""The template process: imports done and inputs built once, then one fresh sandboxed worker per unit.

Started by the judge (`runner.py`) as `python -m autograder.zygote FD`, it talks over the Unix socket
FD. Its life:

1. enter new user and network namespaces (before any thread exists, which unshare requires);
2. read the catalog of inputs, import torch and transformer_lens, build the models and caches;
3. for each unit request, fork: the child S makes a new PID namespace and forks the worker W, its
   init. W confines itself (sandbox.py), imports the submission and runs the unit (worker.py),
   writing results to one pipe and its output to another, both owned by the judge. When W ends,
   or when the judge asks for a kill (S dies, and W with it), every process in the namespace dies.

The template never imports a submission, never sees an expected value, and forks a fresh worker for
each unit, so no state passes from one submission to the next.
"""

from __future__ import annotations

import os
import select
import signal
import socket
import sys
from pathlib import Path

from autograder import sandbox, wire

RESULT_FD = 3


def main() -> None:
    sandbox.die_with_parent()  # if the judge dies, so does the template, and with it every worker
    if sys.path and Path(sys.path[0]).resolve() == Path.cwd():
        sys.path.pop(0)  # `-m` put the working directory (where the units' scratch lives) on the path
    channel = wire.Channel(socket.socket(fileno=int(sys.argv[1])))
    settings, blob = channel.receive()
    off: dict[str, str] = {}
    if settings["sandbox"]:
        reason = sandbox.enter_user_and_network_namespaces()
        if reason:
            off["network"] = off["privileges"] = reason

    # Everything a submission might import at the top, imported once here rather than per worker.
    import torch as t

    t.set_num_threads(1)  # one worker per core; and forked children must not inherit a thread pool
    import circuitsvis  # noqa: F401
    import einops  # noqa: F401
    import jaxtyping  # noqa: F401
    import plotly.basedatatypes
    import plotly.express  # noqa: F401

    plotly.basedatatypes.BaseFigure.show = lambda *args, **kwargs: None  # no browser to show figures in
    from IPython.display import display  # noqa: F401

    if settings["sandbox"] and sys.platform.startswith("linux"):
        try:  # loads libseccomp now (finding it runs ldconfig): each worker then only builds a filter
            import pyseccomp  # noqa: F401
        except (ImportError, OSError, RuntimeError):
            pass  # each worker reports it
    from safetensors.torch import load as load_tensors

    from autograder import worker  # noqa: F401
    from autograder.inputs import Inputs

    inputs = Inputs(settings["catalog"], load_tensors(blob) if blob else {})
    if not sys.platform.startswith("linux"):
        off.setdefault("processes", "PID namespaces are Linux-only")
    channel.send({"event": "ready", "off": off})

    while True:
        try:
            request, blob = channel.receive()
        except EOFError:  # the judge is done with this template (or gone)
            exit_now()
        if request.get("event") != "run":
            continue  # a kill that arrived after its unit had ended
        fds = channel.take_fds(2)
        stand_in_tensors = load_tensors(blob) if blob else {}
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            try:
                channel.sock.close()
                supervise(request, fds, inputs, stand_in_tensors, settings, dict(off))
            finally:
                os._exit(70)
        for fd in fds:
            os.close(fd)
        channel.send({"event": "exited", "status": wait(channel, pid)})


def exit_now() -> None:
    """Ends the template at once. A normal interpreter shutdown would tear down torch and
    transformer_lens module by module, which takes over a second (1.3-1.5 s on 2 cores), and the
    judge waits for it when it closes a template; there is nothing to clean up but the log."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def wait(channel: wire.Channel, pid: int) -> int:
    """Waits for the unit's process S, killing it if the judge asks; returns its exit status."""
    # A pidfd wakes us the moment S ends; without one (not Linux), poll for it every 20 ms.
    pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    try:
        while True:
            watched = [channel.sock] + ([pidfd] if pidfd is not None else [])
            ready, _, _ = select.select(watched, [], [], None if pidfd is not None else 0.02)
            if channel.sock in ready:
                try:
                    channel.fill()
                except EOFError:  # the judge has gone: nothing would read the results
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    exit_now()
                if any(frame.get("event") == "kill" for frame, _ in channel.frames):
                    os.kill(pid, signal.SIGKILL)
                channel.frames = [f for f in channel.frames if f[0].get("event") != "kill"]
            if pidfd is None or pidfd in ready:
                done, status = os.waitpid(pid, 0 if pidfd is not None else os.WNOHANG)
                if done:
                    return os.waitstatus_to_exitcode(status)
    finally:
        if pidfd is not None:
            os.close(pidfd)


def supervise(request: dict, fds: list[int], inputs, stand_in_tensors, settings: dict, off: dict) -> None:
    """Process S: makes the PID namespace, forks the worker into it, and passes on how it ended."""
    sandbox.die_with_parent()
    os.setsid()  # the judge's terminal signals (Ctrl-C) are for the judge, which cleans up
    if settings["sandbox"] and "processes" not in off:
        reason = sandbox.enter_new_pid_namespace()
        if reason:
            off["processes"] = reason
    supervisor = os.getpid()
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            run_worker(request, fds, inputs, stand_in_tensors, settings, off, supervisor)
        except BaseException:
            code = 71
        os._exit(code)
    for fd in fds:
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    os._exit(code if code >= 0 else 128 - code)


def run_worker(request, fds, inputs, stand_in_tensors, settings, off, supervisor: int) -> None:
    """Process W: confine, then run the unit."""
    from autograder import worker

    sandbox.die_with_parent()
    if os.getppid() not in (0, supervisor):  # 0: our parent is outside our PID namespace
        os._exit(72)
    result_fd, output_fd = fds
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    os.dup2(result_fd, RESULT_FD)
    os.closerange(RESULT_FD + 1, 1 << 16)
    scratch = Path(request["scratch"])
    os.chdir(scratch)
    os.environ.update(HOME=str(scratch), TMPDIR=str(scratch), TMP=str(scratch), TEMP=str(scratch))
    limits = settings["limits"]
    reason = sandbox.limit_resources(limits["memory_bytes"], limits["cpu_seconds"], limits["file_bytes"])
    if reason:
        off["limits"] = reason
    if settings["sandbox"]:
        # Best effort, not a required protection: older kernels lack it, and the time limit still
        # ends a flood of threads (seccomp below refuses processes).
        sandbox.limit_tasks(limits["tasks"])
        trees, listable = sandbox.readable_paths(
            [Path(p) for p in settings["readable"]], [Path(p) for p in settings["hidden"]]
        )
        reason = sandbox.restrict_filesystem(trees, listable, [scratch])
        if reason:
            off["filesystem"] = reason
        reason = sandbox.forbid_new_processes()  # last: nothing after it may need a process
        if reason:
            off["fork"] = reason
    sys.dont_write_bytecode = True
    out = os.fdopen(RESULT_FD, "wb", buffering=0)
    unit = worker.Unit(request, inputs, out, stand_in_tensors)
    unit.send({"event": "sandbox", "off": off})  # sent before any student code has run
    unit.run()
    sys.stdout.flush()
    sys.stderr.flush()


if __name__ == "__main__":
    main()
