"""The inputs: planted patterns are what they claim, and no score sits on a threshold."""

import numpy as np

from autograder import cases


def test_planted_patterns_are_causal_attention():
    specs, tensors, _ = cases.caches()
    for key, spec in specs.items():
        if spec["kind"] != "patterns":
            continue
        for ref in spec["patterns"]:
            pattern = tensors[ref]
            assert np.allclose(pattern.sum(-1), 1, atol=1e-5), key
            assert np.all(pattern >= 0) and np.allclose(np.triu(pattern, 1), 0), key


def test_planted_heads_sit_just_above_and_below_each_threshold():
    specs, tensors, _ = cases.caches()
    layers = [tensors[ref] for ref in specs["planted-near-a"]["patterns"]]
    for kind, function in [
        ("current", "current_attn_detector"),
        ("prev", "prev_attn_detector"),
        ("first", "first_attn_detector"),
        ("induction", "induction_attn_detector"),
    ]:
        plants = cases._near_plants(0)
        for label, (planted_kind, mean) in plants.items():
            if planted_kind != kind:
                continue
            layer, head = map(int, label.split("."))
            score = cases.scores(layers[layer][head])[function]
            assert abs(score - mean) < 1e-5
            assert 0.01 <= abs(score - cases.THRESHOLDS[function]) <= 0.02


def test_no_planted_score_is_within_the_margin_of_a_threshold():
    specs, tensors, _ = cases.caches()
    for spec in specs.values():
        for ref in spec.get("patterns", []):
            for head in tensors[ref]:
                for score in cases.scores(head).values():
                    assert min(abs(score - 0.2), abs(score - 0.4)) >= cases.MARGIN


def test_catalog_is_deterministic():
    first = cases.digest(*cases.catalog())
    cases.caches.cache_clear()
    cases.all_cases.cache_clear()
    assert cases.digest(*cases.catalog()) == first


def test_every_function_has_cases_and_ids_are_unique():
    all_cases = cases.all_cases()
    assert len({c.id for c in all_cases}) == len(all_cases)
    for function in cases.EXERCISES:
        assert sum(c.function == function for c in all_cases) >= 3
    # a detector is tried on every model shape, and on sequences of several lengths
    induction = [c for c in all_cases if c.function == "induction_attn_detector"]
    assert {c.extra["model"] for c in induction} == set(cases.MODELS)
