"""The template process: imports done and inputs built once, then one fresh sandboxed worker per unit.

Started by the judge (`runner.py`) as `python -m autograder.engine.zygote FD`, it talks over the
Unix socket FD. Its life:

1. enter new user and network namespaces (before any thread exists, which unshare requires);
2. read its settings (the pack's fixtures and what the worker may read), import torch and what
   the pack preloads, build the fixtures;
3. for each unit request, fork the worker W straight into new PID, IPC and mount namespaces (it is
   init of its PID namespace, and mounts a tmpfs of its own for scratch). W confines itself
   (sandbox.py), runs the submission and the unit (worker.py), writing results to one pipe and
   its output to another, both owned by the judge. When W ends, or when the judge asks for a kill,
   every process in its namespace dies.

The template never runs a submission, never sees an expected value, and forks a fresh worker for
each unit, so no state passes from one submission to the next.
"""

from __future__ import annotations

import fcntl
import gc
import importlib
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path

from autograder.engine import program as programs
from autograder.engine import sandbox, wire

RESULT_FD = 3
WARDEN_FD = 4  # the worker's end of the pair it hands its fork listener over, until it has
# Imported once here, for every submission: what the engine itself and most notebooks use.
# numpy.ctypeslib: torch imports it lazily, on first use, which would look like a change to numpy
# (see worker.Unit.shared_state).
PRELOAD = (
    "encodings.utf_8_sig",  # the worker reads every submission with it
    "numpy",
    "numpy.ctypeslib",
    "torch",
    "nbformat",
    "IPython.core.inputtransformer2",
    "IPython.display",
)


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

    import torch as t

    t.set_num_threads(1)  # one worker per core; and forked children must not inherit a thread pool
    for name in (*PRELOAD, *settings.get("preload", ())):
        try:
            importlib.import_module(name)
        except Exception as error:  # a missing optional module: the submission will say so itself
            print(f"template: could not preload {name}: {error}", file=sys.stderr)
    programs.cheap_displays()  # after the preloads, which it patches and warms
    if settings["sandbox"] and sys.platform.startswith("linux"):
        try:  # loads libseccomp now (finding it runs ldconfig): each worker then only builds a filter
            import pyseccomp  # noqa: F401
        except (ImportError, OSError, RuntimeError):
            pass  # each worker reports it
    from safetensors.torch import load as load_tensors

    from autograder.engine import worker

    module_name, _, class_name = settings["fixtures"].partition(":")
    fixtures_class = getattr(importlib.import_module(module_name), class_name or "Fixtures")
    fixtures = fixtures_class(settings["catalog"], load_tensors(blob) if blob else {})
    worker.watch_in_template(fixtures)
    readable = sandbox.readable_paths(
        [Path(p) for p in settings["readable"]], [Path(p) for p in settings["hidden"]]
    )
    gc.freeze()  # a worker's garbage collections leave the template's objects alone (and uncopied)
    sandbox.use_huge_pages()  # last: what stays in memory for every worker is all there now
    channel.send({"event": "ready", "off": off})

    while True:
        try:
            request, blob = channel.receive()
        except EOFError:  # the judge is done with this template (or gone)
            exit_now()
        if request.get("event") != "run":
            continue  # a kill that arrived after its unit had ended
        fds = channel.take_fds(2)
        tensors = load_tensors(blob) if blob else {}
        scratch = Path(tempfile.mkdtemp(prefix="unit-", dir=settings["workdir"]))
        # The worker hands its fork listener over this pair, then closes its end (see ForkWarden).
        warden_end, worker_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        sys.stdout.flush()
        sys.stderr.flush()
        if settings["sandbox"]:
            pid, unit_off = sandbox.fork_into_unit_namespaces()
        else:
            pid, unit_off = os.fork(), {name: "switched off" for name in ("processes", "ipc", "disk")}
        if pid == 0:
            code = 0
            try:
                channel.sock.close()
                warden_end.close()
                settings = dict(settings, warden=worker_end)
                run_worker(request, fds, fixtures, tensors, settings, readable, off | unit_off, scratch)
            except BaseException:  # a fault of the grader's: its traceback goes to the output, for the log
                import traceback

                traceback.print_exc()
                code = 71
            os._exit(code)
        for fd in fds:
            os.close(fd)
        worker_end.close()
        status = wait(channel, pid, warden_end, len(request.get("functions", ())))
        warden_end.close()
        shutil.rmtree(scratch, ignore_errors=True)  # on the disk only where no tmpfs could be mounted
        channel.send({"event": "exited", "status": status})


def exit_now() -> None:
    """Ends the template at once. A normal interpreter shutdown would tear down torch and
    transformer_lens module by module, which takes over a second (1.3-1.5 s on 2 cores), and the
    judge waits for it when it closes a template; there is nothing to clean up but the log."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def wait(channel: wire.Channel, pid: int, warden: socket.socket, forks: int) -> int:
    """Waits for the unit's worker, killing it if the judge asks, and answering its fork requests
    (at most `forks`, see sandbox.ForkWarden) once it has handed over its listener on `warden`;
    returns its exit status."""
    # A pidfd wakes us the moment it ends; without one (not Linux), poll for it every 20 ms.
    pidfd = os.pidfd_open(pid) if hasattr(os, "pidfd_open") else None
    poller = select.poll()
    for fd in (channel.sock.fileno(), warden.fileno(), pidfd):
        if fd is not None:
            poller.register(fd, select.POLLIN)
    forker: sandbox.ForkWarden | None = None
    try:
        while True:
            ready = dict(poller.poll(None if pidfd is not None else 20))
            if channel.sock.fileno() in ready:
                try:
                    channel.fill()
                except EOFError:  # the judge has gone: nothing would read the results
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    exit_now()
                if any(frame.get("event") == "kill" for frame, _ in channel.frames):
                    os.kill(pid, signal.SIGKILL)
                channel.frames = [f for f in channel.frames if f[0].get("event") != "kill"]
            if warden.fileno() in ready:
                # First the listener, sent before any student code ran; then "go" once the top level
                # is done (student code could send that early: it gains no more than forks take).
                try:
                    data, fds, _, _ = socket.recv_fds(warden, 2, 1)
                except OSError:
                    data, fds = b"", []
                if forker is None and fds:
                    forker = sandbox.ForkWarden(fds[0], pid, forks)
                    poller.register(forker.listener, select.POLLIN)
                elif forker is not None and data == b"go":
                    forker.open = True
                else:
                    poller.unregister(warden.fileno())
                    for fd in fds:
                        os.close(fd)
            if forker is not None and forker.listener in ready:
                if ready[forker.listener] & select.POLLIN:
                    forker.answer()
                else:  # hung up: no process of the unit is left to ask
                    poller.unregister(forker.listener)
            if pidfd is None or pidfd in ready:
                done, status = os.waitpid(pid, 0 if pidfd is not None else os.WNOHANG)
                if done:
                    return os.waitstatus_to_exitcode(status)
    finally:
        if pidfd is not None:
            os.close(pidfd)
        if forker is not None:
            forker.close()


def run_worker(request, fds, fixtures, tensors, settings, readable, off, scratch: Path) -> None:
    """Process W: its scratch, its confinement, then the unit."""
    from autograder.engine import worker

    sandbox.die_with_parent()
    os.setsid()  # the judge's terminal signals (Ctrl-C) are for the judge, which cleans up
    if os.getppid() != 0 and "processes" not in off:  # 0: our parent is outside our PID namespace
        os._exit(72)
    if "disk" not in off:
        reason = sandbox.mount_scratch(scratch, settings["limits"]["scratch_bytes"])
        if reason:
            off["disk"] = reason
    result_fd, output_fd = fds
    warden_fd = fcntl.fcntl(settings["warden"].detach(), fcntl.F_DUPFD, 10)  # clear of 0-4 below
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    os.dup2(result_fd, RESULT_FD)
    os.dup2(warden_fd, WARDEN_FD)
    os.closerange(WARDEN_FD + 1, 1 << 16)
    os.chdir(scratch)
    kept = {k: v for k, v in os.environ.items() if k not in ("HOME", "TMPDIR", "TMP", "TEMP", "PWD")}
    os.environ.clear()  # the template's environment is already an allow-list; the rest is the unit's own
    os.environ.update(kept, HOME=str(scratch), TMPDIR=str(scratch), TMP=str(scratch), TEMP=str(scratch))
    tempfile.tempdir = str(scratch)
    limits = settings["limits"]
    warden = socket.socket(fileno=WARDEN_FD)
    warden_kept = None
    fork = True  # one child per function, forked after the top level (see worker.Unit)
    reason = sandbox.limit_resources(limits["memory_bytes"], limits["cpu_seconds"], limits["file_bytes"])
    if reason:
        off["limits"] = reason
    if settings["sandbox"]:
        # Best effort, not a required protection: older kernels lack it, and the time limit still
        # ends a flood of threads (seccomp below refuses processes).
        sandbox.limit_tasks(limits["tasks"])
        trees, listable = readable
        reason = sandbox.restrict_filesystem(trees, listable, [scratch])
        if reason:
            off["filesystem"] = reason
        # Last: nothing after it may need a process. The worker may fork one child per function,
        # through the template's warden; where that is not possible, it forks none.
        reason, listener = sandbox.supervise_new_processes()
        if listener is not None:
            socket.send_fds(warden, [b"l"], [listener])
            os.close(listener)
            warden_kept = warden  # the worker says "go" on it after the top level
        else:
            reason = sandbox.forbid_new_processes()
            fork = bool(reason)  # no filter at all: forks are not refused anyway
        if reason:
            off["fork"] = reason
    if warden_kept is None:
        warden.close()
    sys.dont_write_bytecode = True
    source = bytes(tensors.pop("__source__").numpy().tobytes())[: request.get("source_bytes", 0)]
    out = os.fdopen(RESULT_FD, "wb", buffering=0)
    unit = worker.Unit(request, source, fixtures, out, tensors, fork=fork, warden=warden_kept)
    unit.send({"event": "sandbox", "off": off})  # sent before any student code has run
    unit.run()
    sys.stdout.flush()
    sys.stderr.flush()


if __name__ == "__main__":
    main()
