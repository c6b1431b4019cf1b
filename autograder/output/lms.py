"""The gradebook the course keeps: the class's scores in the CSV its learning platform imports.

Canvas: the instructor exports the gradebook (Grades > Export), and that CSV is the roster. Its
columns are `Student, ID, SIS User ID, SIS Login ID, Section`, then one per assignment
(`Name (id)`), and its second row may be `Points Possible`. The file written keeps those five
columns, that row, and one assignment column: the one named (an existing `Name (id)` column is
filled in place; a new name makes Canvas create the assignment on import). Each result is matched
to a roster row by its student id (the submission's file name) against the roster's id columns,
ignoring case and an e-mail domain; a student graded but not on the roster is listed, never dropped
silently, and a roster student with no result gets an empty cell (Canvas leaves those unchanged).

Another platform is another `Format`: its identity columns, the ones to match on, its header rows.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from autograder.output.results import Result, write_atomically
from autograder.output.text import csv_cell


@dataclass(frozen=True)
class Format:
    name: str
    identity: tuple[str, ...]  # the roster's columns kept in the file written, in order
    match: tuple[str, ...]  # the columns a student id is looked for in, first match wins
    extra_rows: tuple[str, ...] = ()  # rows after the header, named by their first cell, kept as they are
    points_row: str = ""  # the row that holds each assignment's points possible


CANVAS = Format(
    "canvas",
    identity=("Student", "ID", "SIS User ID", "SIS Login ID", "Section"),
    match=("SIS Login ID", "SIS User ID", "ID", "Student"),
    extra_rows=("Points Possible",),
    points_row="Points Possible",
)
FORMATS = {CANVAS.name: CANVAS}


class RosterError(ValueError):
    """The roster is not the platform's export: said in one line."""


@dataclass
class Export:
    path: Path
    matched: int
    unmatched: list[str] = field(default_factory=list)  # graded, not on the roster
    missing: list[str] = field(default_factory=list)  # on the roster, not graded


def _key(value: str) -> str:
    value = value.strip().lower()
    return value.split("@", 1)[0] if "@" in value else value


def export(
    results: list[Result], roster: Path, assignment: str, out: Path, format: Format = CANVAS
) -> Export:
    """Writes `out`: the roster's identity columns and the assignment's column, filled from `results`."""
    try:
        with open(roster, newline="", encoding="utf-8-sig") as file:
            rows = list(csv.reader(file))
    except (OSError, UnicodeDecodeError) as error:
        raise RosterError(f"cannot read the roster {roster}: {error}") from None
    if not rows:
        raise RosterError(f"the roster {roster} is empty: export the gradebook from {format.name} again")
    header = [cell.strip() for cell in rows[0]]
    absent = [column for column in format.identity if column not in header]
    if absent:
        raise RosterError(
            f"the roster {roster} has no column {absent[0]!r}: give the gradebook CSV {format.name} exports "
            f"(its columns start {', '.join(format.identity)})"
        )
    column = next((c for c in header if c == assignment or c.rsplit(" (", 1)[0] == assignment), assignment)
    extra = [r for r in rows[1:] if r and r[0].strip() in format.extra_rows]
    students = [
        r for r in rows[1:] if r and r[0].strip() not in format.extra_rows and any(c.strip() for c in r)
    ]
    index = {name: header.index(name) for name in format.identity}
    by_key: dict[str, int] = {}
    for number, row in enumerate(students):
        for name in reversed(format.match):  # the first column named wins: it is written last
            cell = row[header.index(name)] if header.index(name) < len(row) else ""
            if cell.strip():
                by_key[_key(cell)] = number
    scores: dict[int, float] = {}
    unmatched = []
    for result in sorted(results, key=lambda r: r.student):
        number = by_key.get(_key(result.student))
        if number is None:
            unmatched.append(result.student)
        else:
            scores[number] = result.score
    top = max((r.max_score for r in results), default=0.0)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*format.identity, column])
    for row in extra:
        cells = [row[index[name]] if index[name] < len(row) else "" for name in format.identity]
        writer.writerow([*cells, f"{top:g}" if row[0].strip() == format.points_row else ""])
    for number, row in enumerate(students):
        cells = [row[index[name]] if index[name] < len(row) else "" for name in format.identity]
        cells[0] = csv_cell(cells[0])  # a name is free text; the ids are the platform's own
        writer.writerow([*cells, f"{scores[number]:g}" if number in scores else ""])
    write_atomically(Path(out), buffer.getvalue().encode())
    missing = [students[n][index[format.identity[0]]] for n in range(len(students)) if n not in scores]
    return Export(Path(out), len(scores), unmatched, missing)
