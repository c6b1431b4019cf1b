# base: stubs
# max_score: 0
# expect: every report stays well formed and inert: junit.xml parses and no ESC byte reaches the
# instructor's terminal (`grade`, `check`); control characters are shown escaped (e.g. as \x1b) or
# dropped.
# Prints control characters and terminal escape sequences (clear the screen, an OSC 8 hyperlink, with
# both of its terminators), and raises them in current_attn_detector's error message, which `check`
# prints, JUnit XML embeds and the results carry.
# Today: junit.xml is not well formed; the escapes reach the terminal through `check` (and, in a
# student id, through `grade`).
SEQUENCES = (
    "\x00\x01\x08\x0b\x0c"  # NUL and other C0 controls: not allowed in XML 1.0
    "\x1b[2J\x1b[H"  # clear the screen, cursor home
    "\x1b]8;;http://evil.example\x07click me\x1b]8;;\x07 "  # an OSC 8 hyperlink, ended by BEL
    "\x1b]8;;http://evil.example\x1b\\again\x1b]8;;\x1b\\"  # the same, ended by ESC \\ (ST)
)
print("PRINTED", SEQUENCES)


def current_attn_detector(cache):
    raise RuntimeError("RAISED " + SEQUENCES)
