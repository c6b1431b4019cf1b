"""Loading submissions: files, notebooks and folders, read as regular files only and within limits;
everything else fails that student alone, with a message."""

import json
import os

from autograder.engine.submission import MAX_SCRIPT_BYTES, find, load


def test_files_folders_and_student_ids(tmp_path):
    (tmp_path / "alice.py").write_text("x = 1\n")
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "induction_heads.ipynb").write_text(json.dumps({"cells": [], "nbformat": 4}))
    (tmp_path / ".hidden.py").write_text("")
    (tmp_path / ".ipynb_checkpoints").mkdir()
    found = find([tmp_path])
    assert [p.name for p in found] == ["alice.py", "bob"]
    assert [load(p).student for p in found] == ["alice", "bob"]
    assert load(found[1]).error == "" and load(found[1]).format == "ipynb"


def test_a_folder_prefers_the_exercise_file_and_skips_checkpoints(tmp_path):
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "notes.py").write_text("x = 1\n")
    (tmp_path / "work" / "induction_heads.py").write_text("y = 2\n")
    (tmp_path / "work" / ".ipynb_checkpoints").mkdir()
    (tmp_path / "work" / ".ipynb_checkpoints" / "induction_heads-checkpoint.ipynb").write_text("{}")
    submission = load(tmp_path / "work")
    assert submission.path.name == "induction_heads.py" and submission.data == b"y = 2\n"
    (tmp_path / "two").mkdir()
    (tmp_path / "two" / "a.py").write_text("")
    (tmp_path / "two" / "b.py").write_text("")
    assert "expected one .py or .ipynb" in load(tmp_path / "two").error


def test_unreadable_submissions_say_why(tmp_path):
    (tmp_path / "a.txt").write_text("hi")
    (tmp_path / "d").mkdir()
    (tmp_path / "big.py").write_bytes(b"#" * (MAX_SCRIPT_BYTES + 1))
    assert "not a .py file" in load(tmp_path / "a.txt").error
    assert "expected one .py or .ipynb" in load(tmp_path / "d").error
    assert "more than the" in load(tmp_path / "big.py").error


def test_links_out_of_the_submission_and_special_files_are_refused(tmp_path):
    secret = tmp_path / "instructor_only.py"
    secret.write_text("ANSWER = 42\n")
    folder = tmp_path / "class" / "mallory"
    folder.mkdir(parents=True)
    (folder / "induction_heads.py").symlink_to(secret)
    assert "symbolic link to a file outside" in load(folder).error and load(folder).data == b""
    (tmp_path / "class" / "eve.py").symlink_to("/dev/zero")
    assert load(tmp_path / "class" / "eve.py").error  # never read: not a regular file of the submission
    os.mkfifo(tmp_path / "class" / "fifo.py")
    assert "not a regular file" in load(tmp_path / "class" / "fifo.py").error  # no hang: O_NONBLOCK
    inside = tmp_path / "class" / "trent"
    inside.mkdir()
    (inside / "real.py").write_text("z = 3\n")
    (inside / "induction_heads.py").symlink_to(inside / "real.py")  # a link inside the submission is fine
    assert load(inside / "induction_heads.py").data == b"z = 3\n"
