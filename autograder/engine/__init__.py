"""The engine: a submission flows one way through it, and it knows no exercise of its own.

submission.py   load: reads the student's file (bytes only, safely)
runner.py       run: the judge's side of the sandbox (deadlines, frames, limits)
zygote.py       the warm template process; a fresh sandboxed worker per submission (sandbox.py, landlock.py)
worker.py       inside the worker: the program (program.py) run statement by statement, each function
                called on its cases with the pack's fixtures (fixtures.py), results as plain data (wire.py)
judge.py        raw outputs against the reference's (reference.py), test by test, with the pack's checks
grader.py       ties the steps together for one pack; batch.py grades a class
pack.py         what a pack declares; contract.py the signatures of the callables it gives; kit.py the
                words its checks are written in (selectors, messages, comparisons)
"""
