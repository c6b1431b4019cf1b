# A course folder for nbgrader, ready to use: see "nbgrader" in README.md.
c = get_config()  # noqa: F821  (nbgrader provides get_config)

c.CourseDirectory.course_id = "induction-heads"
c.CourseDirectory.root = "."
# The source notebook is generated from solutions/induction_heads.py by `python -m autograder.build`.
c.CourseDirectory.assignment_id = "induction_heads"
# Hidden test cells call the project's grader; keep their code out of the student release.
c.ClearHiddenTests.enforce_metadata = True
# A student's notebook may take a while under plain `nbgrader autograde` (it imports transformer_lens).
c.ExecutePreprocessor.timeout = 600
