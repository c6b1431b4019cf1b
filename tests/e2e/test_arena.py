"""load_model("arena"): the seed notebook's model, from local files only (no network anywhere tests run).

The weight files are made here from the architecture's shapes (zeros, plus random biases to check that
values arrive), once per module: ~335 MB fp32 and ~175 MB fp16 in pytest's temporary directory.
"""

from __future__ import annotations

import os
import pickle
import shutil
import socket
import time
from pathlib import Path

import huggingface_hub
import pytest
import torch
import transformers
from tokenizers import Tokenizer, models, pre_tokenizers

from autograder.transformer_lens import arena
from autograder.transformer_lens.arena import InvalidWeights, ModelUnavailable
from autograder.transformer_lens.models import load_model

BOS = "<|endoftext|>"
WORDS = "the cat sat on a mat and then the dog".split()


@pytest.fixture(autouse=True)
def isolated_env(monkeypatch, tmp_path) -> Path:
    """No test reads or writes the real cache or sees the user's own settings."""
    for var in (arena.WEIGHTS_ENV, arena.TOKENIZER_ENV, arena.CACHE_ENV, "XDG_CACHE_HOME"):
        monkeypatch.delenv(var, raising=False)
    cache = tmp_path / "cache"
    monkeypatch.setenv(arena.CACHE_ENV, str(cache))
    return cache


class NetworkCalls(list):
    """Every call of the network functions, by name; each fails as an unreachable host does."""


@pytest.fixture
def no_network(monkeypatch) -> NetworkCalls:
    calls = NetworkCalls()

    def unreachable(name):
        def fake(*args, **kwargs):
            calls.append(name)
            raise ConnectionError(f"{name}: network disabled in tests")

        return fake

    import gdown

    monkeypatch.setattr(gdown, "download", unreachable("gdown.download"))
    monkeypatch.setattr(huggingface_hub, "get_hf_file_metadata", unreachable("get_hf_file_metadata"))
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", unreachable("hf_hub_download"))
    # The machine's own Hugging Face cache may hold the real tokenizer; these tests must not see it.
    monkeypatch.setattr(arena, "_tokenizer_from_hf_cache", lambda: None)
    return calls


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory) -> Path:
    """A tiny word-level tokenizer with a BOS token, saved as a Hugging Face tokenizer directory."""
    vocab = {BOS: 0, "<unk>": 1} | {w: i + 2 for i, w in enumerate(dict.fromkeys(WORDS))}
    backend = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=backend, bos_token=BOS, eos_token=BOS, unk_token="<unk>"
    )
    directory = tmp_path_factory.mktemp("tokenizer")
    tokenizer.save_pretrained(directory)
    return directory


def arena_state_dict(dtype: torch.dtype, old_style_masks: bool) -> dict[str, torch.Tensor]:
    """The arena architecture's state dict: zero weights, random biases (to check values arrive)."""
    generator = torch.Generator().manual_seed(0)
    state = {}
    for name, ref in arena._reference_model().state_dict().items():
        if ref.dtype == torch.bool:
            # The published file was saved by an older TransformerLens with full causal masks.
            n = arena.ARENA_CONFIG["n_ctx"] if old_style_masks else 0
            state[name] = torch.ones(n, n, dtype=torch.bool).tril()
        elif ref.ndim <= 2 and ref.numel() <= 100_000:  # biases and the IGNORE scalar
            state[name] = torch.randn(ref.shape, generator=generator).to(dtype)
        else:
            state[name] = torch.zeros(ref.shape, dtype=dtype)
    return state


@pytest.fixture(scope="module")
def weight_files(tmp_path_factory) -> dict[str, Path]:
    directory = tmp_path_factory.mktemp("weights")
    files = {}
    for dtype, old_style in ((torch.float32, False), (torch.float16, True)):
        files[str(dtype).removeprefix("torch.")] = path = directory / f"{dtype}.pth"
        torch.save(arena_state_dict(dtype, old_style), path)
    return files


def link_or_copy(source: Path, target: Path) -> None:
    """A hard link costs nothing; fall back to a copy where the filesystem has none."""
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)


def files_under(directory: Path) -> list[Path]:
    return sorted(p for p in directory.rglob("*") if p.is_file()) if directory.exists() else []


def test_config_is_the_seed_notebooks():
    cfg = arena.arena_config()
    expected = dict(
        d_model=768,
        d_head=64,
        n_heads=12,
        n_layers=2,
        n_ctx=2048,
        d_vocab=50278,
        attention_dir="causal",
        attn_only=True,
        tokenizer_name="EleutherAI/gpt-neox-20b",
        seed=398,
        use_attn_result=True,
        normalization_type=None,
        positional_embedding_type="shortformer",
    )
    assert {k: getattr(cfg, k) for k in expected} == expected


def test_expected_sizes_bracket_fp16_and_fp32_parameter_bytes():
    n_params = sum(p.numel() for p in arena._reference_model().parameters())
    assert n_params == 83_574_886  # 2 x 50278 x 768 (embed, unembed) + 2048 x 768 + 2 layers + b_U
    sizes = arena.expected_weights_sizes()
    for dtype, itemsize in (("float16", 2), ("float32", 4)):
        low, high = sizes[dtype]
        assert low < n_params * itemsize < high
    assert sizes["float16"][1] < sizes["float32"][0]  # the two ranges don't overlap


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_weight_files_pass_the_size_check(weight_files, dtype):
    arena.check_weights_size(weight_files[dtype])  # raises if the range were wrong


def test_loads_fp32_file_via_arguments_without_network(weight_files, tokenizer_dir, no_network):
    model = arena.load_arena_model(weights_path=weight_files["float32"], tokenizer_dir=tokenizer_dir)

    assert no_network == []
    assert not model.training
    for key, value in arena.ARENA_CONFIG.items():
        assert getattr(model.cfg, key) == value, key
    assert all(p.dtype == torch.float32 for p in model.parameters())
    saved = torch.load(weight_files["float32"], weights_only=True)
    assert torch.equal(model.blocks[1].attn.b_O, saved["blocks.1.attn.b_O"])
    assert torch.equal(model.unembed.b_U, saved["unembed.b_U"])

    tokens = model.to_tokens("the cat sat")
    assert tokens.tolist() == [[0, 2, 3, 4]]  # BOS first, from the supplied tokenizer
    logits = model(tokens)
    assert logits.shape == (1, 4, 50278)
    # With zero weights only the unembedding bias is left in the logits.
    assert torch.allclose(logits[0, -1], saved["unembed.b_U"])


def test_loads_fp16_file_via_env_vars_through_load_model(
    monkeypatch, weight_files, tokenizer_dir, no_network
):
    monkeypatch.setenv(arena.WEIGHTS_ENV, str(weight_files["float16"]))
    monkeypatch.setenv(arena.TOKENIZER_ENV, str(tokenizer_dir))

    model = load_model("arena")

    assert no_network == []
    assert not model.training
    assert model.cfg.d_vocab == 50278 and model.cfg.positional_embedding_type == "shortformer"
    assert all(p.dtype == torch.float32 for p in model.parameters())  # cast from fp16
    saved = torch.load(weight_files["float16"], weights_only=True)
    assert saved["blocks.0.attn.b_Q"].dtype == torch.float16
    assert torch.equal(model.blocks[0].attn.b_Q, saved["blocks.0.attn.b_Q"].float())
    assert model.tokenizer.bos_token == BOS


def test_size_check_rejects_a_truncated_file_and_keeps_the_users_copy(weight_files, tmp_path):
    truncated = tmp_path / "truncated.pth"
    with open(weight_files["float16"], "rb") as f:
        truncated.write_bytes(f.read(10_000_000))

    with pytest.raises(InvalidWeights, match="truncated") as error:
        arena.fetch_arena_weights(weights_path=truncated)

    assert "10,000,000 bytes" in str(error.value)
    assert arena.HF_WEIGHTS_URL in str(error.value)  # and where to get a good copy
    assert truncated.exists()  # a supplied file is reported, never deleted


def test_a_file_cut_short_within_the_size_margin_is_still_rejected(weight_files, tmp_path):
    cut = tmp_path / "cut.pth"
    shutil.copyfile(weight_files["float16"], cut)
    os.truncate(cut, cut.stat().st_size - 1000)  # passes the size check; the zip directory is gone

    with pytest.raises(InvalidWeights, match="not a readable PyTorch state dict"):
        arena.load_arena_state_dict(cut)


def test_size_check_rejects_an_html_page(tmp_path):
    page = tmp_path / "attn_only_2L_half.pth"
    page.write_text("<!DOCTYPE html><html><head><title>Google Drive - Quota exceeded</title></head></html>")

    with pytest.raises(InvalidWeights, match="HTML page"):
        arena.check_weights_size(page)


def test_bad_downloads_are_rejected_deleted_and_reported(monkeypatch, isolated_env, no_network):
    import gdown

    def drive_serves_html(*, id, output, **kwargs):
        Path(output).write_text(
            "<html><body>Too many users have viewed or downloaded this file</body></html>"
        )
        return output

    def hub_serves_truncated(repo_id, filename, *, local_dir, **kwargs):
        path = Path(local_dir) / filename
        path.write_bytes(b"PK\x03\x04" + bytes(1_000_000))
        return str(path)

    monkeypatch.setattr(gdown, "download", drive_serves_html)
    monkeypatch.setattr(huggingface_hub, "get_hf_file_metadata", lambda *args, **kwargs: None)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", hub_serves_truncated)

    with pytest.raises(ModelUnavailable) as error:
        arena.fetch_arena_weights()

    message = str(error.value)
    assert "Google Drive (gdown" in message and "HTML page" in message
    assert f"Hugging Face ({arena.HF_WEIGHTS_REPO}): the download was rejected and deleted" in message
    assert "truncated" in message
    assert files_under(isolated_env) == []  # nothing half-downloaded is left in the cache


def test_a_good_download_lands_in_the_cache_and_is_reused(monkeypatch, isolated_env, weight_files):
    import gdown

    downloads = []

    def drive_serves_the_file(*, id, output, **kwargs):
        downloads.append(id)
        assert not Path(output).parent.samefile(isolated_env)  # written under a temporary name first
        link_or_copy(weight_files["float16"], Path(output))
        return output

    monkeypatch.setattr(gdown, "download", drive_serves_the_file)

    first = arena.fetch_arena_weights()
    second = arena.fetch_arena_weights()

    assert first == second == isolated_env / arena.WEIGHTS_FILENAME
    assert downloads == [arena.DRIVE_FILE_ID]  # the second call used the cache
    assert files_under(isolated_env) == [first]  # no temporary directories left behind


def test_a_cached_file_is_used_without_any_download(isolated_env, weight_files, no_network):
    link_or_copy(weight_files["float32"], isolated_env / arena.WEIGHTS_FILENAME)

    assert arena.fetch_arena_weights() == isolated_env / arena.WEIGHTS_FILENAME
    assert no_network == []


def test_an_unusable_cached_file_is_deleted_and_reported(isolated_env, no_network):
    cached = isolated_env / arena.WEIGHTS_FILENAME
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"\0" * 1000)

    with pytest.raises(ModelUnavailable, match="cached copy was unusable and has been deleted"):
        arena.fetch_arena_weights()
    assert not cached.exists()
    assert no_network.count("gdown.download") == 1  # it then tried to download a good copy


def test_missing_and_unexpected_keys_are_listed(tmp_path, tokenizer_dir, no_network):
    state = arena_state_dict(torch.float16, old_style_masks=False)
    del state["blocks.1.attn.b_V"]
    state["blocks.0.attn.W_extra"] = torch.zeros(12, 64, dtype=torch.float16)
    path = tmp_path / "wrong_keys.pth"
    torch.save(state, path)

    with pytest.raises(InvalidWeights) as error:
        arena.load_arena_model(weights_path=path, tokenizer_dir=tokenizer_dir)

    message = str(error.value)
    assert "missing keys: blocks.1.attn.b_V" in message
    assert "unexpected keys: blocks.0.attn.W_extra" in message


def test_wrong_shapes_are_listed(tmp_path):
    state = arena_state_dict(torch.float16, old_style_masks=False)
    state["blocks.0.attn.b_O"] = torch.zeros(767, dtype=torch.float16)
    path = tmp_path / "wrong_shape.pth"
    torch.save(state, path)

    with pytest.raises(
        InvalidWeights, match=r"wrong shapes: blocks\.0\.attn\.b_O \(767,\) \(expected \(768,\)\)"
    ):
        arena.load_arena_state_dict(path)


def test_bad_supplied_paths_are_reported_without_trying_the_network(tmp_path, no_network):
    with pytest.raises(ModelUnavailable) as error:
        load_model("arena", weights_path=tmp_path / "nowhere.pth", tokenizer_dir=tmp_path)

    message = str(error.value)
    assert f"Weights: {tmp_path / 'nowhere.pth'} (from weights_path=) is not a file" in message
    assert f"Tokenizer: {tmp_path} (from tokenizer_dir=) has no tokenizer.json" in message
    assert no_network == []


def test_offline_fails_fast_with_every_reason_and_the_manual_instructions(isolated_env, no_network):
    start = time.monotonic()
    with pytest.raises(ModelUnavailable) as error:
        load_model("arena")
    elapsed = time.monotonic() - start

    assert elapsed < 5
    message = str(error.value)
    assert str(pickle.loads(pickle.dumps(error.value))) == message  # intact across processes
    # Each source was tried exactly once; hf_hub_download is never reached once its probe fails.
    assert sorted(no_network) == ["gdown.download", "get_hf_file_metadata", "get_hf_file_metadata"]
    assert message.count("network disabled in tests") == 3
    for text in (
        arena.WEIGHTS_ENV,
        arena.TOKENIZER_ENV,
        'weights_path="/path/to/attn_only_2L_half.pth"',
        'tokenizer_dir="/path/to/folder"',
        arena.DRIVE_URL,
        arena.HF_WEIGHTS_URL,
        arena.HF_TOKENIZER_URL,
        str(isolated_env / arena.WEIGHTS_FILENAME),
        str(isolated_env / arena.TOKENIZER_CACHE_SUBDIR),
    ):
        assert text in message


def test_tokenizer_download_is_cached_for_offline_use(monkeypatch, isolated_env, tokenizer_dir, no_network):
    # The hub answers once: the probe succeeds and "downloading" the tokenizer gives the tiny one.
    monkeypatch.setattr(huggingface_hub, "get_hf_file_metadata", lambda *args, **kwargs: None)
    real_from_pretrained = transformers.AutoTokenizer.from_pretrained

    def from_hub(name, **kwargs):
        assert name == arena.TOKENIZER_NAME or Path(name).is_dir()
        return real_from_pretrained(str(tokenizer_dir) if name == arena.TOKENIZER_NAME else name, **kwargs)

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", from_hub)
    arena.load_arena_tokenizer()
    assert (isolated_env / arena.TOKENIZER_CACHE_SUBDIR / "tokenizer.json").is_file()

    # Offline again: the cached copy is used.
    monkeypatch.setattr(huggingface_hub, "get_hf_file_metadata", lambda *args, **kwargs: 1 / 0)
    tokenizer = arena.load_arena_tokenizer()
    assert tokenizer("the cat").input_ids == [0, 2, 3]


def test_cache_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(arena.CACHE_ENV, str(tmp_path / "grader"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert arena.default_cache_dir() == tmp_path / "grader"

    monkeypatch.delenv(arena.CACHE_ENV)
    assert arena.default_cache_dir() == tmp_path / "xdg" / "induction-grader"

    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert arena.default_cache_dir() == tmp_path / "home" / ".cache" / "induction-grader"


def _network_reachable() -> bool:
    for host in ("drive.google.com", "huggingface.co"):
        try:
            socket.create_connection((host, 443), timeout=3).close()
            return True
        except OSError:
            pass
    return False


@pytest.mark.skipif(_network_reachable(), reason="this checks the offline path; the network is reachable")
def test_offline_fails_fast_with_the_real_libraries(isolated_env):
    """No monkeypatching: gdown, huggingface_hub and transformers as they are, with no network."""
    start = time.monotonic()
    with pytest.raises(ModelUnavailable) as error:
        load_model("arena")
    elapsed = time.monotonic() - start

    # Instant where DNS fails; where connections hang instead, each of the three sources is tried
    # once with a 5 s connect timeout, so this stays under 20 s (the libraries' own retries take ~70 s).
    assert elapsed < 20, f"took {elapsed:.1f} s"
    message = str(error.value)
    assert "Google Drive (gdown" in message and f"Hugging Face ({arena.HF_WEIGHTS_REPO})" in message
    assert arena.WEIGHTS_ENV in message and arena.DRIVE_URL in message
    assert not any(p.name.endswith((".pth", ".part")) for p in files_under(isolated_env))
