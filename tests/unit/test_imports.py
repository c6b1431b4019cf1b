"""The arrows between the grader's parts run one way, and no modules import each other in a circle.

Read from the source (an AST walk over `autograder/`), every import counted: at the top of a module,
inside a function, or under `TYPE_CHECKING`. Each names the module it reaches: `from a.b import c`
reaches `a.b.c` where that is a module, else `a.b`.

The engine finds packs at run time, by entry point or by the shipped folder's name
(`importlib.import_module(f"autograder.packs.{name}")` in engine/pack.py): a plugin loaded by name is
no arrow, since the engine names no pack. Only `import` statements are arrows here.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "autograder"

# Which parts a part may not import (by module name prefix), and why.
FORBIDDEN = {
    "autograder.output": (
        # the lowest layer: writes what the engine hands it
        "autograder.engine",
        "autograder.integrations",
        "autograder.authoring",
        "autograder.packs",
        "autograder.transformer_lens",
    ),
    "autograder.engine": (
        # knows no exercise, no model library, and none of the tools that drive it
        "autograder.integrations",
        "autograder.authoring",
        "autograder.packs",
        "autograder.transformer_lens",
        "transformer_lens",
    ),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "templates" not in p.parts}


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules `name` imports (every name, this project's or not)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from the package, up level - 1
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports(name, path, known) for name, path in found.items()}


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def wrong_arrows(edges: dict[str, set[str]]) -> list[str]:
    wrong = []
    for source, targets in sorted(edges.items()):
        for part, forbidden in FORBIDDEN.items():
            if not within(source, part):
                continue
            for target in sorted(targets):
                if any(within(target, f) for f in forbidden):
                    wrong.append(f"{source} imports {target}")
    return wrong


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in edges or target == node:
                continue
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return groups


def test_the_walk_sees_the_imports_it_must_judge():
    edges = graph()
    assert "autograder.engine.wire" in edges["autograder.engine.runner"]
    assert "autograder.engine.pack" in edges["autograder.engine.grader"]  # `from ... import pack as packs`
    assert "autograder.output.results" in edges["autograder.engine.grader"]


def test_no_part_imports_a_part_above_it():
    assert wrong_arrows(graph()) == []


def test_no_modules_import_each_other():
    assert circles(graph()) == []


def test_the_rules_catch_a_wrong_arrow_and_a_circle():
    edges = {
        "autograder.output.text": {"autograder.engine.wire"},
        "autograder.engine.wire": {"autograder.output.text"},
        "autograder.engine.batch": {"autograder.integrations.cluster"},
        "autograder.engine.judge": {"transformer_lens.hook_points"},
        "autograder.integrations.cluster": set(),
    }
    assert wrong_arrows(edges) == [
        "autograder.engine.batch imports autograder.integrations.cluster",
        "autograder.engine.judge imports transformer_lens.hook_points",
        "autograder.output.text imports autograder.engine.wire",
    ]
    assert circles(edges) == [["autograder.engine.wire", "autograder.output.text"]]
    longer = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert circles(longer) == [["a", "b", "c"]]
