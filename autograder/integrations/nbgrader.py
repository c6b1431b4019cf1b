"""nbgrader's autograde with the sandboxed grader in place of the student's kernel:
`python -m autograder nbgrader COURSE_DIR ASSIGNMENT`.

`nbgrader autograde` runs a submitted notebook and its hidden tests in one kernel, where the
student's code can replace the tests. Here no notebook is executed:

1. the course is read as nbgrader reads it (`nbgrader_config.py` in COURSE_DIR, the gradebook,
   `submitted/<student>/<assignment>/<notebook>.ipynb`);
2. every submitted notebook is graded by `batch.grade_submissions`, in the sandbox, in parallel;
   the results are kept in COURSE_DIR/autograder_results/<assignment>/<notebook>/, so that a rerun
   grades only what changed;
3. nbgrader's own `Autograde` converter does the rest as it does for `nbgrader autograde` (student and
   submission records, timestamp and late penalty, test cells restored from the gradebook,
   `autograded/<student>/<assignment>/` written), except that its step that executes the notebook is
   replaced: each test cell `test_<function>` gets the grader's feedback as its output and the points
   earned as its result, which nbgrader's `SaveAutoGrades` records as it would a kernel's; then the
   solution cell above the test cells gets the same feedback as its comment.

`nbgrader export`, `generate_feedback` and the formgrader then work as usual.
"""

from __future__ import annotations

import io
import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import sqlalchemy.exc
from nbformat.notebooknode import NotebookNode
from nbformat.v4 import new_output
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.apps.autogradeapp import AutogradeApp
from nbgrader.converters import Autograde, NbGraderException
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute, NbGraderPreprocessor, SaveAutoGrades
from nbgrader.utils import is_grade, is_solution

from autograder.authoring.build import nbgrader_cell_id
from autograder.engine import batch
from autograder.engine.pack import Pack
from autograder.engine.runner import Limits
from autograder.engine.submission import Submission, load
from autograder.output.results import Result, TestResult
from autograder.output.text import markdown_code, markdown_text

RESULTS = "autograder_results"


@dataclass
class Outcome:
    recorded: dict[str, Result] = field(default_factory=dict)  # "student/notebook" -> what was recorded
    skipped: list[str] = field(default_factory=list)  # students already autograded, left as they were
    failed: list[str] = field(default_factory=list)  # "student/notebook" that could not be recorded at all
    zeroed: dict[str, str] = field(default_factory=dict)  # "student/notebook" recorded as zero -> why
    why_failed: dict[str, str] = field(default_factory=dict)  # "student/notebook" in `failed` -> why


def autograde(
    course_dir: Path,
    assignment: str,
    pack: Pack,
    *,
    secret: str | None = None,
    workers: int = 2,
    force: bool = False,
    require_isolation: bool = True,
    limits: Limits | None = None,
    progress: bool = False,
    verbose: bool = False,
) -> Outcome:
    """Grades ASSIGNMENT's submissions in COURSE_DIR and records them in its gradebook."""
    app = _nbgrader_app(Path(course_dir), assignment, verbose)
    notebooks = _graded_notebooks(app.coursedir, assignment, pack)
    converter = SandboxedAutograde(coursedir=app.coursedir, parent=app)
    converter.force, converter.pack = force, pack
    submitted = converter.submitted()
    for notebook in notebooks:  # one batch per notebook of the assignment: the student is the id
        submissions = [
            _load(path, student, pack) for (student, name), path in submitted.items() if name == notebook
        ]
        if not submissions:
            continue
        graded = batch.grade_submissions(
            submissions,
            Path(app.coursedir.root) / RESULTS / assignment / notebook,
            pack,
            secret=secret,
            workers=workers,
            force=force,
            require_isolation=require_isolation,
            limits=limits,
            progress=progress,
        )
        converter.results.update({(r.student, notebook): r for r in graded.results})
    try:
        converter.start()
    except NbGraderException as error:  # raised after every submission was tried
        if not converter.outcome.failed:
            raise RuntimeError(f"nbgrader failed: {error}") from None
    return converter.outcome


class SandboxedAutograde(Autograde):
    """nbgrader's Autograde, with the results of the sandboxed grader in place of a kernel."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.results: dict[tuple[str, str], Result] = {}  # (student, notebook) -> its result
        self.outcome = Outcome()
        self.pack: Pack | None = None

    def submitted(self) -> dict[tuple[str, str], Path]:
        """(student, notebook) -> the submitted file, found where and as nbgrader finds them."""
        try:
            self.init_notebooks()
        except NbGraderException:
            folders = self._format_source(self.coursedir.assignment_id, self.coursedir.student_id)
            raise ValueError(
                f"no submissions in {folders}: collect them first (`nbgrader collect "
                f"{self.coursedir.assignment_id}` or `nbgrader zip_collect ...`)"
            ) from None
        found = {}
        for notebooks in self.assignments.values():
            for path in notebooks:
                ids = self.init_single_notebook_resources(path)["nbgrader"]
                found[ids["student"], ids["notebook"]] = Path(path)
        return found

    def init_destination(self, assignment_id: str, student_id: str) -> bool:
        process = super().init_destination(assignment_id, student_id)
        if not process:
            self.outcome.skipped.append(student_id)
        return process

    def init_single_notebook_resources(self, notebook_filename: str) -> dict:
        resources = super().init_single_notebook_resources(notebook_filename)
        ids = resources["nbgrader"]
        resources["sandboxed_result"] = self.results.get((ids["student"], ids["notebook"]))
        resources["autograder_pack"] = self.pack
        return resources

    def convert_single_notebook(self, notebook_filename: str) -> None:
        """One notebook, on its own: whatever nbgrader cannot do with it (a duplicated grade_id from a
        copy-pasted cell, a forged schema_version, JSON it cannot read) makes it zero, with the
        reason where the student sees it, and the next notebook is converted as if nothing happened."""
        ids = self.init_single_notebook_resources(notebook_filename)["nbgrader"]
        key = f"{ids['student']}/{ids['notebook']}"
        result = self.results.get((ids["student"], ids["notebook"]))
        try:
            if result is None:
                raise RuntimeError(f"{notebook_filename} was not graded: see grading.log in {RESULTS}/")
            reason = result.error or _unreadable(notebook_filename)
            if not reason:
                try:
                    super().convert_single_notebook(notebook_filename)
                except (KeyboardInterrupt, sqlalchemy.exc.OperationalError):  # stop; the database's fault
                    raise
                except Exception as error:  # the notebook's fault: nbgrader went no further with it
                    reason = "nbgrader cannot process this notebook: " + _in_a_line(error)
            if reason:  # zero, with the reason where the student sees it
                self.log.warning("%s: %s; recorded as zero", notebook_filename, reason)
                _record_unreadable(self.coursedir.db_url, ids, reason)
                self._write_feedback_notebook(ids, reason)
                self.outcome.zeroed[key] = reason
        except Exception as error:
            self.outcome.failed.append(key)
            self.outcome.why_failed[key] = _in_a_line(error)
            raise
        self.outcome.recorded[key] = result

    def _write_feedback_notebook(self, ids: dict, reason: str) -> None:
        """autograded/<student>/<assignment>/<notebook>.ipynb for an unreadable submission: the released
        notebook, with the reason at the top, so that `generate_feedback` tells the student why."""
        release = Path(self.coursedir.format_path(self.coursedir.release_directory, ".", ids["assignment"]))
        source = Path(self.coursedir.format_path(self.coursedir.source_directory, ".", ids["assignment"]))
        template = next(
            (
                p
                for p in (release / f"{ids['notebook']}.ipynb", source / f"{ids['notebook']}.ipynb")
                if p.exists()
            ),
            None,
        )
        notebook = nbformat.read(template, as_version=4) if template else nbformat.v4.new_notebook()
        notebook.cells.insert(
            0,
            nbformat.v4.new_markdown_cell(
                "**Your submitted notebook could not be graded:** "
                + markdown_text(reason)
                + ". Every cell scores zero; fix the file and submit again."
            ),
        )
        folder = Path(self._format_dest(ids["assignment"], ids["student"]))
        folder.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, folder / f"{ids['notebook']}.ipynb")

    def _init_preprocessors(self) -> None:
        if self._sanitizing:
            super()._init_preprocessors()
            return
        # The grading step's preprocessors, as configured for `nbgrader autograde`, with Execute replaced.
        if Execute not in self.autograde_preprocessors:
            raise ValueError("Autograde.autograde_preprocessors has no Execute step to replace")
        self.exporter._preprocessors = []
        for step in self.autograde_preprocessors:
            self.exporter.register_preprocessor(SandboxedTestOutputs if step is Execute else step)
            if step is SaveAutoGrades:  # after it, which sets "No response." comments of its own
                self.exporter.register_preprocessor(SandboxedComments)


class SandboxedTestOutputs(NbGraderPreprocessor):
    """In place of running the notebook: a test cell's output is the feedback on its function, and its
    result the points earned (nbgrader takes a test cell's numeric result as partial credit)."""

    def preprocess_cell(self, cell: NotebookNode, resources: dict, index: int):
        function = _tested_function(cell, resources["autograder_pack"])
        if function is not None:
            result = resources["sandboxed_result"]
            tests = _tests(result, function)
            score = min(round(sum(t.score for t in tests), 6), float(cell.metadata.nbgrader.points))
            cell.outputs = [
                new_output("stream", name="stdout", text=_feedback(result, tests)),
                new_output("execute_result", data={"text/plain": repr(score)}, execution_count=None),
            ]
        return cell, resources


class SandboxedComments(NbGraderPreprocessor):
    """A solution cell's comment in the gradebook: the feedback on the functions tested after it."""

    def preprocess(self, nb: NotebookNode, resources: dict):
        ids = resources["nbgrader"]
        tested: dict[str, list[str]] = {}  # solution cell -> the functions of the test cells after it
        solution = None
        for cell in nb.cells:
            if is_solution(cell):
                solution = cell.metadata.nbgrader.grade_id
            function = _tested_function(cell, resources["autograder_pack"])
            if function is not None and solution is not None:
                tested.setdefault(solution, []).append(function)
        result = resources["sandboxed_result"]
        with Gradebook(ids["db_url"]) as gradebook:
            for cell, functions in tested.items():
                comment = gradebook.find_comment(cell, ids["notebook"], ids["assignment"], ids["student"])
                parts = [_problems_comment(result)] if result.problems else []
                parts += [_comment(function, _tests(result, function)) for function in functions]
                comment.auto_comment = "\n\n".join(parts)
            gradebook.db.commit()
        return nb, resources


def _load(path: Path, student: str, pack: Pack) -> Submission:
    submission = load(path, prefer=pack.name)
    submission.student = student
    return submission


def _in_a_line(error: BaseException) -> str:
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[0]}" if lines else type(error).__name__


def _unreadable(path: str) -> str:
    """Why nbgrader itself cannot read the notebook, or ""."""
    try:
        nbformat.read(path, as_version=4)
    except RecursionError:
        return "the notebook's JSON is nested too deeply"
    except Exception as error:
        return f"the notebook cannot be read ({type(error).__name__})"
    return ""


def _tested_function(cell: NotebookNode, pack: Pack) -> str | None:
    """The exercise function an autograded test cell grades; None for any other cell."""
    if cell.cell_type != "code" or not is_grade(cell) or is_solution(cell):
        return None
    functions = {nbgrader_cell_id(function): function for function in pack.names}
    grade_id = cell.metadata.nbgrader.grade_id
    if grade_id not in functions:
        raise ValueError(f"the autograded cell {grade_id} tests none of {', '.join(pack.names)}")
    return functions[grade_id]


def _tests(result: Result, function: str) -> list[TestResult]:
    return [t for t in result.tests if t.function == function]


def _feedback(result: Result, tests: list[TestResult]) -> str:
    """The student's view of the tests (as `check -v` prints it), as plain text."""
    from rich.console import Console

    from autograder.output.reporters import print_result

    buffer = io.StringIO()
    shown = Result(result.student, tests, problems=result.problems, notes=result.notes, status=result.status)
    print_result(shown, Console(file=buffer, width=110, color_system=None), verbose=True)
    return buffer.getvalue()


def _problems_comment(result: Result) -> str:
    return (
        "**Problems in the notebook's top-level code** (each was skipped; the rest ran):\n\n"
        + markdown_code("\n".join(result.problems))
    )


def _comment(function: str, tests: list[TestResult]) -> str:
    """Markdown: the points of the function, then each failed test with its message (as text)."""
    score, top = sum(t.score for t in tests), sum(t.max_score for t in tests)
    parts = [f"**{markdown_text(function)}**: {score:g} / {top:g} points"]
    for test in tests:
        if not test.passed:
            parts.append(
                f"{markdown_text(test.name)} ({test.score:g} / {test.max_score:g}):\n"
                + markdown_code(test.output)
            )
    return "\n\n".join(parts)


def _record_unreadable(db_url: str, ids: dict, reason: str) -> None:
    """Zero on every cell of a notebook that could not be read, and the reason as every comment."""
    with Gradebook(db_url) as gradebook:
        submitted = gradebook.find_submission_notebook(ids["notebook"], ids["assignment"], ids["student"])
        for grade in submitted.grades:
            grade.auto_score, grade.needs_manual_grade = 0.0, False
        for comment in submitted.comments:
            comment.auto_comment = f"Not graded: {markdown_text(reason)}."
        gradebook.db.commit()


def _nbgrader_app(course_dir: Path, assignment: str, verbose: bool = False) -> AutogradeApp:
    """nbgrader's configuration as `nbgrader autograde` sees it when run in COURSE_DIR."""
    if not course_dir.is_dir():
        raise ValueError(f"no such course folder: {course_dir}")
    app = AutogradeApp()
    saved_path = list(sys.path)
    with _working_directory(course_dir):
        app.initialize([])
    sys.path[:] = saved_path  # nbgrader puts the course folder first on sys.path: nothing is imported from it
    app.coursedir.assignment_id = assignment
    if not verbose:  # nbgrader says INFO about every step of every notebook; say only what went wrong
        app.log_level = logging.WARNING
        app.log.setLevel(logging.WARNING)
    return app


@contextmanager
def _working_directory(path: Path) -> Iterator[None]:
    previous = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(previous)


def _graded_notebooks(coursedir: CourseDirectory, assignment: str, pack: Pack) -> list[str]:
    """The assignment's notebooks, once it is clear that this grader can grade every autograded cell."""
    database = coursedir.db_url.removeprefix("sqlite:///")
    if coursedir.db_url.startswith("sqlite:///") and not Path(database).exists():
        raise ValueError(
            f"no gradebook at {database}: run `nbgrader generate_assignment {assignment}` in "
            f"{coursedir.root} first"
        )
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        try:
            notebooks = gradebook.find_assignment(assignment).notebooks
        except MissingEntry:
            known = ", ".join(a.name for a in gradebook.assignments) or "none"
            raise ValueError(
                f"no assignment {assignment!r} in the gradebook (it has: {known}); run "
                f"`nbgrader generate_assignment {assignment}` in {coursedir.root} first"
            ) from None
        for notebook in notebooks:
            answers = {cell.name for cell in notebook.solution_cells}  # graded by hand in the formgrader
            for cell in notebook.grade_cells:
                if cell.cell_type != "code" or cell.name in answers:
                    continue
                function = {nbgrader_cell_id(f): f for f in pack.names}.get(cell.name)
                if function is None:
                    raise ValueError(
                        f"{notebook.name}.ipynb of {assignment} has the autograded cell {cell.name}, "
                        f"which the {pack.name} exercise does not know "
                        f"(its functions: {', '.join(pack.names)}): "
                        "grade that assignment with `nbgrader autograde`"
                    )
                points = pack.points_of(function)
                if cell.max_score != points:
                    raise ValueError(
                        f"{cell.name} is worth {cell.max_score:g} points in the gradebook, but the "
                        f"grader's tests of {function} are worth {points:g}: regenerate the source "
                        "notebook (`python -m autograder build`), copy it into the course and run "
                        f"`nbgrader generate_assignment {assignment} --force`"
                    )
        return [notebook.name for notebook in notebooks]
