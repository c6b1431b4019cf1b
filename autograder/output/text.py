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

    return escape(clean(str(value)))


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
