# base: stubs
# max_score: 0
# expect: no line that reaches a CI (stdout, stderr, --summary, grading.log) starts a workflow command:
# GitHub's "::error ...::" (at a line's start, after spaces or invisible characters) and "##[...]",
# Azure's "##vso[...]", TeamCity's "##teamcity[...]" (anywhere in a line), GitLab's section markers.
# Today: the student id "::error title=...::" reaches stdout at the start of a line, and GitHub shows
# "grading aborted - every score below is invalid" as an error annotation.
COMMANDS = [
    "::error title=grading aborted::every score below is invalid",
    "  ::warning::indented",
    "\ufeff::notice::after a byte-order mark",
    "##vso[task.complete result=Failed;]done",
    "text then ##vso[task.setvariable variable=score]100",
    "##[error]the older form",
    "##teamcity[buildStatus status='FAILURE' text='x']",
    "section_start:1700000000:fake[collapsed=true]",
    "::stop-commands::pause",
]
print("\n".join(COMMANDS))


def current_attn_detector(cache):
    raise RuntimeError("\n".join(COMMANDS))
