# base: stubs
# max_score: 0
# expect: graded like any other failing submission (0, with the message shown, the surrogate replaced
# or escaped): a result, a JUnit entry and a feedback page are written; nobody ends NOT GRADED.
# current_attn_detector raises an error whose message holds a lone surrogate. It travels as JSON
# ("\ud800") and comes back a str that UTF-8 cannot encode: writing the HTML page or JUnit XML fails.
# Today: with --html, NOT GRADED (UnicodeEncodeError writing the page), exit status 0; junit.xml
# holds &#55296; and does not parse.


def current_attn_detector(cache):
    raise RuntimeError("lone surrogate: \ud800 (end)")
