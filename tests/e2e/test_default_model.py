"""The embedded default model (autograder/transformer_lens/data/): what the exercise needs of it.

The head checks use the exercise's reference detectors (solutions/induction_heads.py) with their
thresholds, on the sample text and on repeated random tokens (seq_len 50) for torch seeds 0..9.
"""

from __future__ import annotations

import ast
import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from autograder.transformer_lens import train_data
from autograder.transformer_lens.models import DEFAULT_MODEL_DIR, load_default_model
from autograder.transformer_lens.train import SOLUTIONS, AttnOnly, head_report, rep_tokens

ROOT = Path(__file__).parents[2]
MIN_LOSS_GAP = 3.0  # nats between the second and first halves' mean log-probs


@pytest.fixture(scope="module")
def model():
    return load_default_model()


@pytest.fixture(scope="module")
def report(model) -> dict:
    return head_report(model)


def check_heads(report: dict) -> None:
    """The heads and the loss gap the exercise needs, as found by its detectors."""
    assert any(head.startswith("0.") for head in report["previous"]), report["previous"]
    assert report["current"], "no current-token head"
    assert report["first"], "no first-token head"
    for run in report["repeated_tokens"]:
        assert any(head.startswith("1.") for head in run["induction"]), run
        assert run["second_half"] - run["first_half"] >= MIN_LOSS_GAP, run


def test_shipped_model_has_the_heads_and_the_loss_gap(report):
    check_heads(report)
    assert [run["seed"] for run in report["repeated_tokens"]] == list(range(10))


def test_heads_are_the_seed_models(report):
    # The seed notebook's report: current 0.9; previous 0.7; first 0.3, 1.4, 1.10; induction 1.4, 1.10.
    assert report["current"] == ["0.9"]
    assert report["previous"] == ["0.7"]
    assert report["first"] == ["0.3", "1.4", "1.10"]
    for run in report["repeated_tokens"]:
        assert run["induction"] == ["1.4", "1.10"], run


def test_sample_text_is_the_exercise_text():
    assignments = [
        node for node in ast.walk(ast.parse(SOLUTIONS.read_text())) if isinstance(node, ast.Assign)
    ]
    texts = [ast.literal_eval(a.value) for a in assignments if ast.unparse(a.targets[0]) == "text"]
    assert texts == [train_data.SAMPLE_TEXT]


def test_tokenizer_round_trip_and_bos(model):
    text = train_data.SAMPLE_TEXT
    str_tokens = model.to_str_tokens(text)
    assert str_tokens[0] == train_data.BOS
    assert "".join(str_tokens[1:]) == text
    assert len(str_tokens) < 80  # word-level tokens, not characters
    assert " superhuman" in str_tokens and " manipulative" in str_tokens
    tokens = model.to_tokens(text)
    assert tokens[0, 0].item() == model.tokenizer.bos_token_id == train_data.BOS_ID
    assert model.to_string(tokens[0, 1:]) == text
    assert model.to_tokens("héllo wörld ✓").shape[1] > 1  # byte-level: any text has tokens


def test_artifacts_are_small():
    files = {path.name: path.stat().st_size for path in DEFAULT_MODEL_DIR.iterdir()}
    assert {"model.safetensors", "config.json", "tokenizer.json", "training.json"} <= set(files)
    assert sum(files.values()) < 2 * 2**20, files


def test_loads_offline_and_fast(monkeypatch):
    def no_network(*args, **kwargs):
        raise OSError("network access during load_default_model")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    start = time.perf_counter()
    loaded = load_default_model()
    assert time.perf_counter() - start < 1.0
    assert not loaded.training
    assert loaded.tokenizer.bos_token_id == train_data.BOS_ID


def test_training_forward_matches_hooked_transformer(model):
    """The weights mean the same in the training script's forward as in HookedTransformer's."""
    trained = AttnOnly.from_tl_state_dict(load_file(DEFAULT_MODEL_DIR / "model.safetensors"))
    for tokens in (model.to_tokens(train_data.SAMPLE_TEXT), rep_tokens(model.cfg.d_vocab, 0, seq_len=100)):
        with torch.no_grad():
            assert torch.allclose(trained(tokens), model(tokens), atol=1e-4)


def test_training_json_matches_the_shipped_model(report):
    summary = json.loads((DEFAULT_MODEL_DIR / "training.json").read_text())
    assert summary["head_report"] == report


def test_training_is_deterministic_and_verify_says_when_weights_differ(tmp_path):
    """Two short runs of the training script (40 steps: no induction head yet) write the same bytes,
    and `--verify` says that such weights are not the shipped model's, with exit status 1. (The full
    run, `--verify` alone, reproduces the shipped weights bit for bit: about 5 minutes, so run by
    hand; docs/models.md has the figures.)"""
    command = [sys.executable, "-m", "autograder.transformer_lens.train", "--repeat-steps", "30"]
    command += ["--mixed-steps", "10", "--threads", "1"]
    runs = {
        name: subprocess.Popen(
            [*command, "--out", str(tmp_path / name), *flags], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        for name, flags in (("plain", []), ("verified", ["--verify"]))
    }
    printed = {name: run.communicate(timeout=300)[0] for name, run in runs.items()}
    assert runs["plain"].returncode == 0, printed["plain"][-2000:]
    assert runs["verified"].returncode == 1 and "differs from the shipped model" in printed["verified"]
    weights = [(tmp_path / name / "model.safetensors").read_bytes() for name in runs]
    assert weights[0] == weights[1]
    assert weights[0] != (DEFAULT_MODEL_DIR / "model.safetensors").read_bytes()
    trained = load_default_model(model_dir=tmp_path / "plain")  # HookedTransformer reads what it wrote
    assert trained.cfg.n_layers == 2 and trained.cfg.n_heads == 12
