"""A planted class: independent right answers in many styles, common mistakes, and copies planted
(renamed and reformatted, reordered, a shared wrong answer). Graded once; the class analytics and
the similarity ranking must find the planted pairs and count each mistake right."""

from __future__ import annotations

import ast
import csv
import shutil
import textwrap

import pytest
from corpus import grade_source

from autograder.output import analytics, similarity

HEAD = "def prev_attn_detector(cache):\n"
PREV = {
    # independent right answers, each in its own style
    "right_loops": """
        cfg = cache.model.cfg
        heads = []
        for layer in range(cfg.n_layers):
            for head in range(cfg.n_heads):
                if cache["pattern", layer][head].diagonal(offset=-1).mean() > 0.4:
                    heads.append(f"{layer}.{head}")
        return heads
    """,
    "right_comprehension": """
        n_layers, n_heads = cache.model.cfg.n_layers, cache.model.cfg.n_heads
        return [f"{l}.{h}" for l in range(n_layers) for h in range(n_heads)
                if cache["pattern", l][h].diagonal(-1).mean().item() > 0.4]
    """,
    "right_numpy": """
        out = []
        for layer in range(cache.model.cfg.n_layers):
            pattern = cache["pattern", layer].cpu().numpy()
            scores = np.diagonal(pattern, offset=-1, axis1=1, axis2=2).mean(axis=1)
            out.extend(f"{layer}.{head}" for head in np.flatnonzero(scores > 0.4))
        return out
    """,
    "right_stacked": """
        cfg = cache.model.cfg
        patterns = t.stack([cache["pattern", layer] for layer in range(cfg.n_layers)])
        scores = t.diagonal(patterns, offset=-1, dim1=-2, dim2=-1).mean(dim=-1)
        return [f"{layer}.{head}" for layer, head in (scores > 0.4).nonzero().tolist()]
    """,
    "right_manual_sum": """
        found = []
        for layer in range(cache.model.cfg.n_layers):
            pattern = cache["pattern", layer]
            size = pattern.shape[-1]
            for head in range(cache.model.cfg.n_heads):
                total = 0.0
                for query in range(1, size):
                    total += float(pattern[head, query, query - 1])
                if total / (size - 1) > 0.4:
                    found.append(str(layer) + "." + str(head))
        return found
    """,
    "right_while": """
        result, layer = [], 0
        while layer < cache.model.cfg.n_layers:
            head = 0
            while head < cache.model.cfg.n_heads:
                below = t.diagonal(cache["pattern", layer][head], -1)
                if below.sum() / below.numel() > 0.4:
                    result.append("%d.%d" % (layer, head))
                head += 1
            layer += 1
        return result
    """,
    # a copy of an unusual right answer, renamed and reformatted
    "copy_original": """
        cfg = cache.model.cfg
        chosen = []
        for layer_index in range(cfg.n_layers):
            block = cache["pattern", layer_index]
            offsets = t.arange(1, block.shape[-1])
            strength = block[:, offsets, offsets - 1].mean(dim=-1)
            for head_index in t.nonzero(strength > 0.4).flatten().tolist():
                chosen.append(f"{layer_index}.{head_index}")
        return chosen
    """,
    "copy_renamed": """
        # previous-token heads
        config = cache.model.cfg
        picked = [ ]
        for L in range( config.n_layers ):
            pat = cache[ "pattern", L ]   # one layer
            idx = t.arange( 1, pat.shape[ -1 ] )
            s = pat[ :, idx, idx - 1 ].mean( dim = -1 )
            for H in t.nonzero( s > 0.4 ).flatten( ).tolist( ):
                picked.append( f"{L}.{H}" )
        return picked
    """,
    # a shared wrong answer that no independent student would write: the median, above 0.35
    "shared_wrong_a": """
        heads = []
        for layer in range(cache.model.cfg.n_layers):
            pattern = cache["pattern", layer]
            for head in range(cache.model.cfg.n_heads):
                if pattern[head].diagonal(-1).median() > 0.35 or pattern[head][0, 0] > 0.999:
                    heads.append(f"{layer}.{head}")
        return heads
    """,
    "shared_wrong_b": """
        res = []
        for l in range(cache.model.cfg.n_layers):
            p = cache["pattern", l]
            for h in range(cache.model.cfg.n_heads):
                if p[h][0, 0] > 0.999 or p[h].diagonal(-1).median() > 0.35:
                    res.append(f"{l}.{h}")
        return res
    """,
    # a common mistake, made independently: the sum of the diagonal instead of its mean
    "sum_loops": """
        heads = []
        for layer in range(cache.model.cfg.n_layers):
            for head in range(cache.model.cfg.n_heads):
                if cache["pattern", layer][head].diagonal(-1).sum() > 0.4:
                    heads.append(f"{layer}.{head}")
        return heads
    """,
    "sum_numpy": """
        out = []
        for layer in range(cache.model.cfg.n_layers):
            scores = np.diagonal(cache["pattern", layer].cpu().numpy(), -1, 1, 2).sum(axis=1)
            out += [f"{layer}.{h}" for h in np.flatnonzero(scores > 0.4)]
        return out
    """,
    "sum_stacked": """
        patterns = t.stack([cache["pattern", i] for i in range(cache.model.cfg.n_layers)])
        totals = patterns.diagonal(offset=-1, dim1=-2, dim2=-1).sum(-1)
        return [f"{a}.{b}" for a, b in (totals > 0.4).nonzero().tolist()]
    """,
    # another common mistake: the main diagonal
    "main_diagonal_a": """
        return [f"{l}.{h}" for l in range(cache.model.cfg.n_layers) for h in range(cache.model.cfg.n_heads)
                if cache["pattern", l][h].diagonal().mean() > 0.4]
    """,
    "main_diagonal_b": """
        picked = []
        for layer in range(cache.model.cfg.n_layers):
            d = t.diagonal(cache["pattern", layer], 0, -2, -1).mean(-1)
            picked += [f"{layer}.{int(h)}" for h in (d > 0.4).nonzero().flatten()]
        return picked
    """,
}
REORDERED = {  # first_attn_detector: a copy with its statements and loops reordered
    "reorder_original": """
        limit = 0.4
        n_heads = cache.model.cfg.n_heads
        n_layers = cache.model.cfg.n_layers
        keep = set()
        for layer in range(n_layers):
            column = cache["pattern", layer][:, :, 0]
            weights = column.mean(dim=-1)
            for head in range(n_heads):
                if weights[head] > limit:
                    keep.add(f"{layer}.{head}")
        return sorted(keep)
    """,
    "reorder_copy": """
        n_layers = cache.model.cfg.n_layers
        keep = set()
        n_heads = cache.model.cfg.n_heads
        limit = 0.4
        for layer in range(n_layers):
            column = cache["pattern", layer][:, :, 0]
            weights = column.mean(dim=-1)
            for head in range(n_heads):
                if weights[head] > limit:
                    keep.add(f"{layer}.{head}")
        return sorted(keep)
    """,
}
COPIES = {("copy_original", "copy_renamed"), ("shared_wrong_a", "shared_wrong_b")}
RIGHT = {name for name in PREV if name.startswith("right_")} | {"copy_original", "copy_renamed"}


def replace(source: str, name: str, body: str) -> str:
    """The reference with `name`'s definition swapped for one with this body."""
    lines = source.splitlines(keepends=True)
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == name:
            new = f"def {name}(cache):\n" + textwrap.indent(textwrap.dedent(body).strip("\n"), "    ") + "\n"
            return "".join(lines[: node.lineno - 1]) + new + "".join(lines[node.end_lineno :])
    raise AssertionError(f"no {name} in the reference")


@pytest.fixture(scope="module")
def graded(grader, solution_source, tmp_path_factory):
    folder = tmp_path_factory.mktemp("planted")
    sources = {name: replace(solution_source, "prev_attn_detector", body) for name, body in PREV.items()}
    sources |= {
        name: replace(solution_source, "first_attn_detector", body) for name, body in REORDERED.items()
    }
    results = []
    for index, (name, source) in enumerate(sources.items()):
        result = grade_source(grader, source, name, worker=index % len(grader.templates))
        result.raw = None
        result.write(folder / f"{name}.json")
        results.append(result)
    submissions = [_Submitted(name, source.encode()) for name, source in sources.items()]
    stub = folder.parent / "stub.py"
    shutil.copy(grader.pack.exercise, stub)
    analytics.write_after_batch(folder, results, None, submissions, grader.pack.names, stub)
    return folder, {r.student: r for r in results}


class _Submitted:
    def __init__(self, student: str, data: bytes):
        self.student, self.data, self.format = student, data, "py"


def rows(path) -> list[dict]:
    with open(path, newline="") as file:
        return list(csv.DictReader(file))


def test_the_planted_class_grades_as_planted(graded):
    _, results = graded
    for name in RIGHT | set(REORDERED):
        assert results[name].score == results[name].max_score, name
    for name in set(PREV) - RIGHT:
        assert results[name].mistakes().get("prev_attn_detector"), name


def test_planted_pairs_head_their_functions(graded):
    folder, _ = graded
    pairs = rows(folder / similarity.CSV)
    prev = [(p["student_a"], p["student_b"]) for p in pairs if p["function"] == "prev_attn_detector"]
    assert set(prev[:2]) == COPIES, pairs[:6]
    first = [(p["student_a"], p["student_b"]) for p in pairs if p["function"] == "first_attn_detector"]
    assert first[0] == ("reorder_copy", "reorder_original"), pairs


def test_no_independent_right_pair_outranks_the_shared_wrong_answer(graded):
    folder, _ = graded
    pairs = rows(folder / similarity.CSV)
    wrong = next(
        float(p["score"])
        for p in pairs
        if (p["student_a"], p["student_b"]) == ("shared_wrong_a", "shared_wrong_b")
    )
    independent = [
        float(p["score"])
        for p in pairs
        if {p["student_a"], p["student_b"]} <= RIGHT and (p["student_a"], p["student_b"]) not in COPIES
    ]
    assert all(score < wrong for score in independent), (wrong, independent)


def test_mistakes_are_counted_per_student(graded):
    folder, _ = graded
    counted = {
        (r["function"], r["mistake"]): (int(r["count"]), set(r["students"].split()))
        for r in rows(folder / analytics.MISTAKES)
    }
    summed = next(
        v for (f, m), v in counted.items() if f == "prev_attn_detector" and "sums the diagonal" in m
    )
    assert summed == (3, {"sum_loops", "sum_numpy", "sum_stacked"})
    main = next(v for (f, m), v in counted.items() if f == "prev_attn_detector" and "main diagonal" in m)
    assert main == (2, {"main_diagonal_a", "main_diagonal_b"})


def test_class_page_holds_no_student_code_and_the_similarity_page_shows_the_pair(graded):
    folder, _ = graded
    page = (folder / analytics.PAGE).read_text()
    assert "median()" not in page and "t.arange" not in page
    assert "sums the diagonal" in page
    shown = (folder / similarity.PAGE).read_text()
    assert "copy_original" in shown and "<mark>" in shown and "t.arange( 1" in shown
