"""Escaping for each output format: what a student wrote is data in every one of them.

Text from the worker is cleaned once, where it arrives (`clean`, called by `engine.wire`: no control
characters, no lone surrogates); each writer then escapes what its own format would read as syntax.
"""

from __future__ import annotations

import re

# Control characters (but newline and tab), DEL, C1 controls and bidirectional overrides: they could
# rewrite a terminal, break XML, or make a line read other than it is.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
FORMULA = ("=", "+", "-", "@", "\t", "\r")  # a spreadsheet reads a cell starting so as a formula
XML_INVALID = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text: str) -> str:
    """Text safe to store and show anywhere: lone surrogates replaced, control characters escaped."""
    if not isinstance(text, str):
        text = str(text)
    text = text.encode("utf-8", "replace").decode("utf-8")
    return CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 256 else f"\\u{ord(m[0]):04x}", text)


def csv_cell(value) -> str:
    """A CSV cell a spreadsheet shows as text: a leading formula character is quoted with '."""
    text = clean(str(value))
    return "'" + text if text.startswith(FORMULA) else text


def xml_text(value) -> str:
    """Text XML 1.0 allows (ElementTree escapes <, > and &; it does not drop invalid characters)."""
    return XML_INVALID.sub("\ufffd", clean(str(value)))


def terminal(value) -> str:
    """Text for a terminal, with rich's markup escaped: shown as written, never as markup or as a
    control sequence."""
    from rich.markup import escape

    return escape(ci_safe(clean(str(value))))


def markdown_code(value) -> str:
    """A fenced code block that the text cannot close: the fence is longer than any run of
    backticks in it. Markdown renders a code block's content as text, HTML included."""
    text = clean(str(value))
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def markdown_text(value) -> str:
    """Inline text in Markdown: HTML escaped, and the characters that would start Markdown syntax
    (an underscore only at a word's edge: inside a word it is not emphasis)."""
    import html

    text = html.escape(clean(str(value)), quote=False)
    text = re.sub(r"([\\`*{}\[\]#|~])", r"\\\1", text)
    return re.sub(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])", r"\\_", text)


# A CI reads its job's log line by line and obeys some lines: GitHub Actions a line that starts with
# "::" (and, its older form, "##[" anywhere), Azure Pipelines "##vso[" and "##[" anywhere, TeamCity
# "##teamcity[" anywhere, GitLab "section_start:"/"section_end:", Travis "travis_fold:"/"travis_time:".
CI_ANYWHERE = re.compile(r"#(?=#(?:vso|teamcity)?\[)", re.I)
CI_LINE_START = ("::", "section_start:", "section_end:", "travis_fold:", "travis_time:")
CI_LINE_PREFIX = "| "
_LEADING = re.compile(r"^[\s\u200b-\u200f\u2060-\u2064\ufeff]*")  # what a CI might strip before looking


def ci_line(line: str) -> str:
    """One line that no CI runs as a command: the markers found anywhere are broken ("##vso[" becomes
    "# #vso["), and a line that starts with one, after whitespace, is prefixed with "| ". ASCII only:
    a CI's log may be ASCII."""
    line = CI_ANYWHERE.sub("# ", line)
    rest = line[_LEADING.match(line).end() :]
    if rest.lower().startswith(CI_LINE_START):
        return CI_LINE_PREFIX + line
    return line


def ci_safe(text) -> str:
    """Text of any number of lines, each made safe by `ci_line`: the one escaping of everything that
    reaches a CI's log (stdout, stderr, --summary files, grading.log). A carriage return starts a line
    as a newline does, for a CI that reads it so."""
    parts = re.split(r"(\r\n|\n|\r)", str(text))
    return "".join(part if i % 2 else ci_line(part) for i, part in enumerate(parts))


class CiSafeStream:
    """A text stream whose every line goes through `ci_safe` on its way out: installed on stdout and
    stderr by the command line, so that no print can forget. A line is held until it ends (or until
    flush, at the end of a run) so that a marker split over two writes is still seen whole."""

    def __init__(self, stream):
        self._stream, self._pending = stream, ""

    def write(self, text: str) -> int:
        written = len(text)
        text = self._pending + text
        cut = max(text.rfind("\n"), text.rfind("\r"))
        self._pending = text[cut + 1 :]
        if cut >= 0:
            self._stream.write(ci_safe(text[: cut + 1]))
        if len(self._pending) > 1 << 16:  # a huge line without an end: out it goes, made safe
            self._stream.write(ci_safe(self._pending))
            self._pending = ""
        return written

    def flush(self) -> None:
        if self._pending:
            self._stream.write(ci_safe(self._pending))
            self._pending = ""
        self._stream.flush()

    def __getattr__(self, name):  # isatty, fileno, encoding, buffer...: the stream's own
        return getattr(self._stream, name)
