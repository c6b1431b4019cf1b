"""The fast tier: plain data in, plain data out. Nothing here may start a process (a sandbox, a kernel,
a subprocess): each way to start one fails the test that tries, so a slow test cannot slip in."""

from __future__ import annotations

import multiprocessing
import os
import subprocess

import pytest


def _refuse(*args, **kwargs):
    raise AssertionError("tests/unit starts no process: move this test to tests/e2e")


@pytest.fixture(autouse=True)
def no_processes(monkeypatch):
    monkeypatch.setattr(subprocess, "Popen", _refuse)
    for name in ("fork", "forkpty", "posix_spawn", "posix_spawnp", "system", "execv", "execve"):
        if hasattr(os, name):
            monkeypatch.setattr(os, name, _refuse)
    monkeypatch.setattr(multiprocessing.Process, "start", _refuse)
