"""A submission as a program (engine/program.py): notebooks and scripts read as Jupyter would, magics
made harmless by IPython's own transformer, statements run one by one, and every problem recorded
once in the student's own cell and line numbers. Run here in-process, as the worker runs it."""

from __future__ import annotations

import json
import sys

import pytest

from autograder.engine import program


def notebook(*cells, kernel: bool = False) -> bytes:
    made = [{"cell_type": "markdown", "metadata": {}, "source": "# Title"}]
    made += [
        {"cell_type": "code", "execution_count": i + 3, "metadata": {}, "outputs": [], "source": c}
        for i, c in enumerate(cells)
    ]
    return json.dumps(
        {
            "nbformat": 4,
            "nbformat_minor": 5,
            "cells": made,
            "metadata": {"autograder_kernel": True} if kernel else {},
        }
    ).encode()


def run(data: bytes, kind: str = "ipynb", seconds: float = 5.0):
    prog = program.read(data, "student.ipynb" if kind == "ipynb" else "student.py", kind)
    module = type(sys)("submission")
    ns = program.namespace(prog, module.__dict__, prog.filename)
    program.run(prog, ns, skip=set(), seconds=seconds, record=True)
    return prog, ns


def test_a_colab_setup_cell_runs_and_its_magics_do_nothing():
    setup = (
        "import sys\nIN_COLAB = 'google.colab' in sys.modules\n"
        "if IN_COLAB:\n    %pip install transformer_lens\n"
        "else:\n    !echo local\nfiles = !ls\n%load_ext autoreload\n%autoreload 2\n%matplotlib inline\n"
    )
    prog, ns = run(notebook(setup, "def f():\n    return files\n"))
    assert prog.problems == [] and ns["f"]() == []
    assert any("%load_ext does nothing" in note for note in prog.notes)
    assert any("shell command" in note for note in prog.notes)


def test_a_failing_statement_is_recorded_in_the_students_terms_and_the_rest_runs():
    prog, ns = run(notebook("x = 1\n", "from plotly_utils import imshow\n\ndef g():\n    return x + 1\n"))
    assert ns["g"]() == 2
    [problem] = prog.problems
    assert problem["where"] == "cell 3, line 1" and problem["type"] == "ModuleNotFoundError"
    assert "plotly_utils" in problem["message"] and problem["skipped"] == "skipped; the rest ran"


def test_a_kernels_cells_are_named_by_their_execution_count():
    prog, _ = run(notebook("1 / 0\n", kernel=True))
    assert prog.problems[0]["where"] == "In [3], line 1" and prog.problems[0]["type"] == "ZeroDivisionError"


def test_a_percent_script_with_magics_is_read_as_ipython_reads_it():
    script = (
        b"# %%\n%load_ext autoreload\n%autoreload 2\n!pip install einops\n\n# %%\ndef h():\n    return 3\n"
    )
    prog, ns = run(script, "py")
    assert prog.problems == [] and ns["h"]() == 3


def test_a_syntax_error_costs_only_the_definition_it_is_in():
    cell = "def ok():\n    return 1\n\n\ndef broken(:\n    return 2\n\n\nLATER = 5\n"
    prog, ns = run(notebook(cell))
    assert ns["ok"]() == 1 and ns["LATER"] == 5 and "broken" not in ns
    [problem] = prog.problems
    assert problem["type"] == "SyntaxError" and problem["where"] == "cell 2, line 5"
    assert problem["defines"] == ["broken"] and program.definitions(prog) == {"broken": "cell 2, line 5"}


def test_cell_magics_run_their_python_and_skip_the_rest():
    prog, ns = run(
        notebook("%%time\ndef timed():\n    return 4\n", "%%bash\necho hi\n", "%%capture out\ny = 2\n")
    )
    assert ns["timed"]() == 4 and ns["y"] == 2 and "echo" not in str(ns)
    assert prog.problems == [] and any("%%bash cell" in note for note in prog.notes)


def test_time_magics_still_assign():
    _, ns = run(notebook("%time z = 6 * 7\n"))
    assert ns["z"] == 42


def test_display_and_get_ipython_need_no_import():
    prog, ns = run(
        notebook("display('x')\nshell = get_ipython()\nshell.run_line_magic('pip', 'install foo')\n")
    )
    assert prog.problems == [] and "stand-in" in repr(ns["shell"])


def test_annotations_naming_a_failed_import_do_not_lose_the_function():
    prog, ns = run(
        notebook("from missing_helpers import Cache\n", "def f(cache: Cache) -> int:\n    return 1\n")
    )
    assert ns["f"](None) == 1
    assert len(prog.problems) == 1 and any("annotations of f" in note for note in prog.notes)


def test_a_default_naming_a_global_not_yet_defined_does_not_lose_the_function():
    # `model` is loaded under `if MAIN:`, which the grader does not run: the function is defined with
    # a placeholder the worker replaces with the case's model (worker.GlobalDefaults).
    prog, ns = run(
        notebook("if False:\n    model = 1\n", "def f(x, model=model, *, seq=seq_len):\n    return x\n")
    )
    assert ns["f"](3) == 3 and not prog.problems
    assert [d.name for d in ns["f"].__defaults__] == ["model"] and ns["f"].__kwdefaults__[
        "seq"
    ].name == "seq_len"
    assert "model" not in ns and "seq_len" not in ns  # the placeholders were only there for the definition
    assert any("defaults of f read `model`, `seq_len`" in note for note in prog.notes)


def test_a_function_defined_only_inside_if_main_is_defined_when_asked_for():
    # Jupyter and `python file.py` run `if MAIN:` blocks; the grader, running the file as a module,
    # does not: the functions defined in them are defined afterwards, where the grader wants them.
    source = (
        b'MAIN = __name__ == "__main__"\n'
        b"def kept():\n    return 'top'\n"
        b"if MAIN:\n    data = load_everything()\n    def f(x):\n        return x + 1\n"
        b"    if MAIN:\n        def deeper():\n            return 2\n"
        b"    def kept():\n        return 'guarded'\n"
        b'if "__main__" == __name__:\n    def g():\n        return seq_len\n'
        b"if other:\n    def h():\n        return 3\n"
    )
    prog = program.read(source, "student.py", "py")
    module = type(sys)("submission")
    ns = program.namespace(prog, module.__dict__, prog.filename)
    wanted = frozenset({"f", "g", "h", "deeper", "kept"})
    program.run(prog, ns, skip=set(), seconds=5.0, record=True, wanted=wanted)
    assert ns["f"](1) == 2 and ns["deeper"]() == 2 and callable(ns["g"])
    assert "h" not in ns and "data" not in ns  # another condition; the block's other code never runs
    assert ns["kept"]() == "top"  # a definition at the top level is the one that counts
    assert any("f is defined inside an `if MAIN:` block" in note for note in prog.notes)
    prog, ns = run(source, "py")  # nothing asked for: nothing defined
    assert "f" not in ns


def test_a_function_whose_name_later_code_reuses_is_graded_as_defined():
    # ARENA's demo cell stores the function's result under the function's own name.
    source = b"def pattern(n):\n    return [n] * n\npattern = pattern(3)\n"
    prog = program.read(source, "student.py", "py")
    ns = program.namespace(prog, type(sys)("submission").__dict__, prog.filename)
    program.run(prog, ns, skip=set(), seconds=5.0, record=True, wanted=frozenset({"pattern"}))
    assert ns["pattern"](2) == [2, 2]
    assert any(
        "pattern was defined (line 1), then later code gave its name to a list" in n for n in prog.notes
    )


def test_a_definition_that_fails_otherwise_is_still_a_problem():
    prog, ns = run(notebook("def f(x=missing.attribute + 1):\n    return x\n"))
    assert "f" not in ns and "missing" not in ns
    assert [p["type"] for p in prog.problems] == ["NameError"]


def test_a_statement_that_hangs_is_stopped_and_recorded():
    prog, ns = run(notebook("import time\nwhile True:\n    time.sleep(0.01)\n", "after = 1\n"), seconds=0.3)
    assert ns["after"] == 1
    assert prog.problems[0]["type"] == "Timeout" and "took longer than 0.3 s" in prog.problems[0]["message"]


@pytest.mark.parametrize(
    "data, words",
    [
        (b"{not json", "not a readable notebook"),
        (b"[" * 100_000 + b"]" * 100_000, "not a readable notebook"),
        (json.dumps({"nbformat": 4, "cells": 3}).encode(), "not a readable notebook"),
        (b"\xff\xfe\x00", "not UTF-8"),
    ],
)
def test_what_cannot_be_read_at_all_says_why(data, words):
    with pytest.raises(program.Unloadable, match=words):
        program.read(data, "student.ipynb", "ipynb")


def test_a_malformed_cell_is_skipped_and_the_others_run():
    data = json.loads(notebook("a = 1\n"))
    data["cells"].insert(1, {"cell_type": "code", "source": 42, "metadata": {}, "outputs": []})
    prog, ns = run(json.dumps(data).encode())
    assert ns["a"] == 1 and prog.problems[0]["type"] == "MalformedCell"
