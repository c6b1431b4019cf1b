"""A submission as a program, inside the sandboxed worker: cells, statements, and running them.

Everything here parses or runs what the student wrote, so it runs in the worker only. A notebook's
code cells (or a script) are read the way Jupyter would run them: IPython's own input transformer
turns `%magics` and `!shell` lines into calls (valid Python wherever they stand), and those calls
reach a stand-in `get_ipython()` whose magics do nothing. The program then runs one top-level
statement at a time, as nbgrader's and Otter's "allow errors" execution does a cell at a time: a
statement that raises is recorded, with its cell and line as the student sees them, and the rest
goes on, so every function defined anywhere can be graded.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import linecache
import re
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any

MAX_PROBLEMS = 50  # recorded problems per program; later ones are counted
# Cell magics whose body is ordinary Python: the body runs, the magic does nothing.
PYTHON_CELL_MAGICS = {"time", "timeit", "capture", "prun", "debug", "memit"}
# Line magics whose argument is Python to run: `%time x = f()` still assigns x.
PYTHON_LINE_MAGICS = {"time", "timeit", "prun", "memit"}
TOP_LEVEL_DEF = re.compile(r"^(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(", re.M)
# A line that may start a top-level statement (used only to split a file that does not parse).
CONTINUES = re.compile(r"^(?:[ \t]|#|$|\)|\]|\}|else\b|elif\b|except\b|finally\b|case\b)")


class StatementTimeout(BaseException):
    """A top-level statement ran past its time limit (raised in it by an interval timer)."""


@dataclass
class Cell:
    label: str  # "cell 3", "In [5]", or "" for a script (whose lines are the file's)
    source: str
    line_offset: int = 0  # lines of the file before this cell's first line (magic lines taken off)


@dataclass
class Statement:
    index: int  # over the whole program, so the judge can name one to skip
    cell: Cell
    code: Any  # a code object
    line: int  # first line in the cell (or the file)
    defines: list[str]  # the functions it defines
    node: Any = None  # the AST, kept to retry a definition whose annotations fail


@dataclass
class Program:
    filename: str
    statements: list[Statement] = field(default_factory=list)
    # Functions defined inside `if MAIN:` (or `if __name__ == "__main__":`), which the grader does not
    # run: defined afterwards where the grader asks for them and the top level left none.
    guarded: list[Statement] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)  # found while reading and running
    notes: list[str] = field(default_factory=list)  # magics ignored and the like, each once
    dropped: int = 0  # problems beyond MAX_PROBLEMS

    def problem(
        self, where: str, kind: str, message: str, defines: list[str] = (), skipped: str = ""
    ) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.dropped += 1
            return
        message = " ".join(
            message.replace(_scratch(), "<working folder>").split()
        )  # one line, no sandbox paths
        self.problems.append(
            {
                "where": where,
                "type": kind,
                "message": message[:300],
                "defines": list(defines),
                "skipped": skipped,
            }
        )

    def note(self, text: str) -> None:
        if text not in self.notes and len(self.notes) < MAX_PROBLEMS:
            self.notes.append(text)


def _scratch() -> str:
    import os

    try:
        return os.getcwd()  # the worker runs in its scratch folder
    except OSError:
        return "\0"


class Unloadable(Exception):
    """Nothing of the submission can be run (not text, not a notebook): the message says why."""


# --- reading ---------------------------------------------------------------------------------


def read(data: bytes, filename: str, kind: str) -> Program:
    """The submission's bytes as a program of compiled statements (nothing run yet)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise Unloadable(f"{filename} is not UTF-8 text ({error.reason} at byte {error.start})") from None
    program = Program(filename)
    if kind == "ipynb":
        cells = notebook_cells(text, filename, program)
    else:
        cells = [Cell("", text)]
    for cell in cells:
        _compile_cell(program, cell)
    return program


def notebook_cells(text: str, filename: str, program: Program) -> list[Cell]:
    """A notebook's code cells, numbered as the student sees them (the n-th cell from the top; a
    kernel's cells by their execution count). Malformed cells are skipped with a problem."""
    import nbformat

    try:
        notebook = nbformat.reader.reads(text)
        notebook = nbformat.convert(notebook, 4)
        cells = notebook["cells"]
    except RecursionError:
        raise Unloadable(f"{filename} is not a readable notebook: its JSON is nested too deeply") from None
    except Exception as error:  # nbformat raises several kinds for malformed JSON and versions
        raise Unloadable(f"{filename} is not a readable notebook: {str(error)[:200]}") from None
    if not isinstance(cells, list):
        raise Unloadable(f"{filename} is not a readable notebook: its cells are not a list")
    kernel = isinstance(notebook.get("metadata"), dict) and notebook["metadata"].get("autograder_kernel")
    found = []
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        count = cell.get("execution_count")
        label = f"In [{count}]" if kernel and isinstance(count, int) else f"cell {number}"
        source = cell.get("source", "")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if not isinstance(source, str):
            program.problem(label, "MalformedCell", "its source is not text", skipped="skipped")
            continue
        found.append(Cell(label, source))
    return found


def _compile_cell(program: Program, cell: Cell) -> None:
    source = _cell_magic(program, cell)
    if source is None:
        return
    filename = _register(program, cell, source)
    tree = _parse(source, filename)
    if tree is not None:
        _add(program, cell, tree, filename)
        return
    # Some statement does not parse: split the cell at its top-level lines and keep what parses.
    for start, chunk in _chunks(source):
        padded = "\n" * start + chunk  # keeps line numbers those of the cell
        tree = _parse(padded, filename)
        if tree is not None:
            _add(program, cell, tree, filename)
            continue
        try:  # the error as Python reports it, at the student's line (IPython's reading drops blank lines)
            ast.parse(padded, filename)
        except SyntaxError as error:
            line = error.lineno or start + 1
            message = f"{error.msg}" + (
                f": {error.text.strip()}" if error.text and error.text.strip() else ""
            )
        except (ValueError, RecursionError, MemoryError) as error:
            line, message = start + 1, str(error) or type(error).__name__
        else:  # plain Python parses it; only IPython's reading failed
            line, message = start + 1, "IPython could not read this code"
        defines = TOP_LEVEL_DEF.findall(chunk)
        skipped = "skipped: " + ", ".join(defines) if defines else "skipped"
        program.problem(_where(cell, line), "SyntaxError", message, defines, skipped)


def _cell_magic(program: Program, cell: Cell) -> str | None:
    """The cell's Python: a `%%time`-like first line taken off; None for a `%%bash`-like cell."""
    stripped = cell.source.lstrip("\n")
    if not stripped.startswith("%%"):
        return cell.source
    first, _, body = stripped.partition("\n")
    name = first[2:].split(maxsplit=1)[0] if first[2:].strip() else ""
    skipped_lines = len(cell.source) - len(stripped)
    if name in PYTHON_CELL_MAGICS:
        program.note(f"%%{name} does nothing while grading; the cell's code ran")
        cell.line_offset += skipped_lines + 1
        return body
    program.note(f"a %%{name} cell ({_where(cell, skipped_lines + 1)}) was skipped: only Python cells run")
    return None


def _register(program: Program, cell: Cell, source: str) -> str:
    """A file name for the cell's code, with its lines known to linecache for tracebacks."""
    filename = f"<{cell.label}>" if cell.label else program.filename
    lines = "\n" * cell.line_offset + source
    linecache.cache[filename] = (len(lines), None, lines.splitlines(keepends=True), filename)
    return filename


def _parse(source: str, filename: str) -> ast.Module | None:
    """The source's AST, through IPython's transformer when plain Python does not parse; None when
    neither does."""
    try:
        return ast.parse(source, filename)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        pass
    transformed = _transform(source)
    if transformed is not None and transformed != source:
        try:
            return ast.parse(transformed, filename)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            pass
    return None


def _transform(source: str) -> str | None:
    """IPython's own reading of a cell: magics and shell lines become calls on `get_ipython()`.
    Line magics stay one line each, so line numbers still match the student's."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:
        return None


def _chunks(source: str) -> list[tuple[int, str]]:
    """(first line index, text) of each run of lines from one top-level line to the next."""
    lines = source.splitlines(keepends=True)
    starts = [i for i, line in enumerate(lines) if not CONTINUES.match(line)]
    # A decorator belongs to the definition under it.
    starts = [s for s in starts if not (s > 0 and lines[s - 1].startswith("@"))] or [0]
    if starts[0] != 0:
        starts.insert(0, 0)
    bounds = starts[1:] + [len(lines)]
    return [(start, "".join(lines[start:end])) for start, end in zip(starts, bounds, strict=True)]


def _add(program: Program, cell: Cell, tree: ast.Module, filename: str) -> None:
    for node in tree.body:
        module = ast.Module([node], type_ignores=[])
        try:
            code = compile(module, filename, "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
            message = getattr(error, "msg", None) or str(error) or type(error).__name__
            program.problem(
                _where(cell, node.lineno), type(error).__name__, message, _defines(node), "skipped"
            )
            continue
        program.statements.append(
            Statement(len(program.statements), cell, code, node.lineno, _defines(node), node)
        )
        for nested in _guarded_definitions(node):
            try:
                code = compile(ast.Module([nested], type_ignores=[]), filename, "exec", dont_inherit=True)
            except (SyntaxError, ValueError, RecursionError, MemoryError):
                continue
            program.guarded.append(Statement(-1, cell, code, nested.lineno, _defines(nested), nested))


def _guarded_definitions(node: ast.AST) -> list[ast.AST]:
    """The functions defined directly in the body of `if MAIN:` or `if __name__ == "__main__":`
    (and of such blocks nested in it): code that runs in Jupyter and as a script, not as a module."""
    if not (isinstance(node, ast.If) and _is_main(node.test)):
        return []
    found: list[ast.AST] = []
    for child in node.body:
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found.append(child)
        found += _guarded_definitions(child)
    return found


def _is_main(test: ast.AST) -> bool:
    if isinstance(test, ast.Name):
        return test.id == "MAIN"
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
        sides = [test.left, *test.comparators]
        names = [s for s in sides if isinstance(s, ast.Name) and s.id == "__name__"]
        texts = [s for s in sides if isinstance(s, ast.Constant) and s.value == "__main__"]
        return len(names) == 1 and len(texts) == 1
    return False


def _defines(node: ast.AST) -> list[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return [node.name]
    return []


def where(statement: Statement) -> str:
    return _where(statement.cell, statement.line)


def _where(cell: Cell, line: int) -> str:
    line += cell.line_offset
    return f"{cell.label}, line {line}" if cell.label else f"line {line}"


# --- running -----------------------------------------------------------------------------------


class IPythonStandIn:
    """What `get_ipython()` returns while grading: magics and shell commands do nothing (each noted
    once), except that `%time code` and the like still run their code."""

    def __init__(self, program: Program, namespace: dict):
        self._program, self._namespace = program, namespace
        self.user_ns = namespace

    def run_line_magic(self, name: str, line: str = "", *args, **kwargs):
        if name in PYTHON_LINE_MAGICS and line.strip():
            exec(compile(line, "<magic>", "exec"), self._namespace)
            return None
        self._program.note(f"%{name} does nothing while grading")
        return None

    def run_cell_magic(self, name: str, line: str = "", cell: str = "", *args, **kwargs):
        self._program.note(f"%%{name} does nothing while grading")

    def system(self, command: str = "", *args, **kwargs):
        self._program.note(
            f"!{str(command).split(maxsplit=1)[0] if str(command).split() else ''} "
            "(a shell command) does not run while grading"
        )
        return 0

    def getoutput(self, command: str = "", *args, **kwargs):
        self.system(command)
        return []

    def magic(self, line: str = "", *args, **kwargs):
        name, _, rest = str(line).lstrip("%").partition(" ")
        return self.run_line_magic(name, rest)

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return lambda *args, **kwargs: None

    def __repr__(self) -> str:
        return "<grader's stand-in for IPython>"


def namespace(program: Program, ns: dict, filename: str) -> dict:
    """Makes `ns` (a fresh module's dict) the program's namespace, with Jupyter's `get_ipython` and
    `display` among its builtins."""
    ns["__file__"] = filename
    shell = IPythonStandIn(program, ns)
    ns["__builtins__"] = dict(vars(builtins), get_ipython=lambda: shell, display=_display)
    return ns


def _display(*objects, **kwargs) -> None:
    """Jupyter's `display`, which notebooks call without importing: shows nothing while grading."""
    return None


def cheap_displays() -> None:
    """Makes what a notebook's top level shows cost next to nothing while grading, without changing
    what any of its code computes; called once in the template, after the preloads, so that each
    worker inherits it:

    - figures have no browser or screen to open in: plotly's `show` and `webbrowser.open` do nothing
      (matplotlib draws with Agg, set in the worker's environment);
    - `display` imported from IPython (`from IPython.display import display`) shows nothing, as the
      builtin one does: outside a kernel it would print each object's text (megabytes for a
      circuitsvis render);
    - a circuitsvis render builds its HTML (the data as JSON, twice, and the whole JavaScript bundle)
      only when something reads it (`str()`, `_repr_html_`): the same text, from a copy of the data
      taken when it was made;
    - plotly builds a first figure here, so that its validators, imported on first use (2-3 s), are
      imported once for every worker."""
    try:
        import plotly.basedatatypes

        plotly.basedatatypes.BaseFigure.show = lambda *args, **kwargs: None
    except ImportError:
        pass
    try:
        import webbrowser

        webbrowser.open = lambda *args, **kwargs: False
    except ImportError:
        pass
    for name in ("IPython.core.display_functions", "IPython.core.display", "IPython.display"):
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "display"):
            module.display = _display
    if "circuitsvis.utils.render" in sys.modules:
        _lazy_circuitsvis()
    if "plotly.express" in sys.modules:
        try:
            sys.modules["plotly.express"].line(y=[0.0, 1.0]).add_vrect(x0=0, x1=1)
            sys.modules["plotly.express"].imshow([[0.0, 1.0]])
        except Exception:  # a version that differs: only the warm-up is lost
            pass


def _lazy_circuitsvis() -> None:
    import copy
    import functools

    render = sys.modules["circuitsvis.utils.render"]
    eager = render.render

    class LazyHTML(render.RenderedHTML):
        """circuitsvis's RenderedHTML, its two sources built when first read."""

        def __init__(self, element: str, props: dict):
            self._element, self._props = element, props

        @functools.cached_property
        def local_src(self) -> str:
            return render.render_local(self._element, **self._props)

        @functools.cached_property
        def cdn_src(self) -> str:
            return render.render_cdn(self._element, **self._props)

    def lazy(react_element_name: str, **kwargs):
        props = {}
        for key, value in kwargs.items():  # a copy: what the caller changes later is not shown
            clone = getattr(value, "clone", None) if type(value).__module__.startswith("torch") else None
            props[key] = clone() if callable(clone) else copy.deepcopy(value)
        return LazyHTML(react_element_name, props)

    for name, module in list(sys.modules.items()):
        if name.startswith("circuitsvis") and getattr(module, "render", None) is eager:
            module.render = lazy


def run(
    program: Program,
    ns: dict,
    *,
    skip: set[int],
    seconds: float,
    record: bool,
    on_statement=None,
    wanted: frozenset[str] = frozenset(),
) -> None:
    """Runs every statement in `ns`, each within `seconds`; a failing one is recorded (when `record`)
    and skipped. Statements in `skip` (they hung a worker before) are not run. Then each function in
    `wanted` that the top level left undefined is defined where the file has a definition of it."""
    for statement in program.statements:
        if statement.index in skip:
            continue
        if on_statement:
            on_statement(statement)
        _define(program, statement, ns, seconds, record)
    for name in sorted(wanted):
        if not callable(ns.get(name)):
            _define_again(program, name, ns, seconds, record, skip)


def _define_again(
    program: Program, name: str, ns: dict, seconds: float, record: bool, skip: set[int]
) -> None:
    """Defines `name` from its last top-level definition where later code gave the name to something
    else (ARENA's demo cell `pos_by_pos_pattern = pos_by_pos_pattern(model, 0, 7)`), or from its
    definition inside `if MAIN:` where the top level has none."""
    defined = [s for s in program.statements if name in s.defines and s.index not in skip]
    if defined and name in ns:  # (a definition that failed, and left no name, is not run again)
        rebound = _kind(ns[name])
        _define(program, defined[-1], ns, seconds, record=False)
        if record and callable(ns.get(name)):
            program.note(
                f"{name} was defined ({where(defined[-1])}), then later code gave its name to {rebound}: "
                "it was graded as defined"
            )
        return
    guarded = [s for s in program.guarded if name in s.defines]
    if guarded and not defined:
        _define(program, guarded[-1], ns, seconds, record)
        if record and callable(ns.get(name)):
            program.note(
                f"{name} is defined inside an `if MAIN:` block, which does not run while grading: "
                "it was graded as defined there"
            )


def _kind(value: Any) -> str:
    try:
        return f"a {str(type(value).__name__)[:40]}"
    except Exception:
        return "a value"


def _define(program: Program, statement: Statement, ns: dict, seconds: float, record: bool) -> None:
    """Runs one statement; a definition that fails for a name it reads is tried again (see below);
    what still fails is recorded."""
    error = _run_one(statement, ns, seconds)
    if error is not None and isinstance(error, NameError) and statement.defines:
        error = _retry_without_annotations(statement, ns, seconds) or None
        if error is None and record:
            program.note(
                f"the annotations of {statement.defines[0]} could not be evaluated; "
                "it was defined without them"
            )
    if isinstance(error, NameError) and statement.defines:
        names = _define_with_placeholders(statement, ns, seconds, error)
        if names:
            error = None
            if record:
                shown = ", ".join(f"`{n}`" for n in names)
                program.note(
                    f"the defaults of {statement.defines[0]} read {shown}, not defined when it was "
                    "(the grader runs the file as a module, so `if MAIN:` code does not run); "
                    "each call gets the notebook's value instead"
                )
    if error is not None and record:
        where = _where(statement.cell, statement.line)
        if isinstance(error, StatementTimeout):
            kind, message = "Timeout", f"took longer than {seconds:g} s"
        else:
            kind, message = type(error).__name__, _message(error)
        refused = " (the sandbox refused it)" if isinstance(error, PermissionError) else ""
        program.problem(where, kind, message + refused, statement.defines, "skipped; the rest ran")


def _run_one(statement: Statement, ns: dict, seconds: float) -> BaseException | None:
    try:
        with time_limit(seconds):
            exec(statement.code, ns)
    except BaseException as error:  # SystemExit and KeyboardInterrupt too: all are the submission's
        return error
    finally:
        _flush()
    return None


@contextlib.contextmanager
def time_limit(seconds: float):
    """StatementTimeout is raised in what runs inside, once it has run `seconds` (an interval timer);
    inside another such limit, the sooner of the two, and the outer one goes on afterwards."""
    outer = signal.getitimer(signal.ITIMER_REAL)[0]
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, min(seconds, outer) if outer > 0 else seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        if outer > 0:
            signal.setitimer(signal.ITIMER_REAL, max(outer - (time.monotonic() - started), 1e-6))


def _retry_without_annotations(statement: Statement, ns: dict, seconds: float) -> BaseException | None:
    """Defines the function again with its annotations as strings (PEP 563), for annotations that
    name something a failed import would have given."""
    import __future__

    try:
        code = compile(
            ast.Module([statement.node], type_ignores=[]),
            statement.code.co_filename,
            "exec",
            flags=__future__.annotations.compiler_flag,
            dont_inherit=True,
        )
    except Exception as error:
        return error
    return _run_one(
        Statement(statement.index, statement.cell, code, statement.line, statement.defines), ns, seconds
    )


class NotebookGlobal:
    """A default that named a notebook global not defined when its function was (`model=model`, the
    model being loaded under `if MAIN:`): the worker puts the case's value of that global in its
    place before each call (worker.GlobalDefaults)."""

    def __init__(self, name: str):
        self.name = name

    def __getattr__(self, attribute: str):
        if attribute.startswith("__"):  # what libraries probe for (`__torch_function__`)
            raise AttributeError(attribute)
        raise NameError(f"name {self.name!r} was not defined when this function was defined", name=self.name)

    def __repr__(self) -> str:
        return self.name


def _define_with_placeholders(statement: Statement, ns: dict, seconds: float, error: NameError) -> list[str]:
    """Defines the function again with each name its definition missed bound, meanwhile, to a
    `NotebookGlobal`: the names, or [] where it still fails (then nothing is left behind)."""
    names: list[str] = []
    while isinstance(error, NameError) and len(names) < 8:
        name = getattr(error, "name", None)
        if not isinstance(name, str) or name in ns or name in names:
            break
        names.append(name)
        ns[name] = NotebookGlobal(name)
        error = _retry_without_annotations(statement, ns, seconds)  # annotations are not defaults
    for name in names:
        if isinstance(ns.get(name), NotebookGlobal):
            del ns[name]
    return names if error is None else []


def _alarm(signum, frame):
    raise StatementTimeout()


def _message(error: BaseException) -> str:
    try:
        return str(error)[:500]
    except Exception:
        return "<str() failed>"


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def definitions(program: Program) -> dict[str, str]:
    """Functions the program would define but that a problem kept out: name -> where."""
    return {name: p["where"] for p in program.problems for name in p["defines"]}
