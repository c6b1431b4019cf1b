# A course folder for nbgrader, ready to use: see "nbgrader" in README.md.
# Run nbgrader from this folder (the course root is the working directory, nbgrader's default);
# `python -m autograder nbgrader COURSE_DIR ASSIGNMENT` takes the folder as its argument.
# The assignment id is not set here: nbgrader refuses an assignment both in config and as an argument.
c = get_config()  # noqa: F821  (nbgrader provides get_config)

c.CourseDirectory.course_id = "induction-heads"
# Hidden test cells call the project's grader; keep their code out of the student release.
c.ClearHiddenTests.enforce_metadata = True
# A student's notebook may take a while under plain `nbgrader autograde` (it imports transformer_lens).
c.Execute.timeout = 600
