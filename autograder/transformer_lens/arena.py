"""The seed notebook's model: ARENA's 2-layer attention-only transformer (`load_model("arena")`).

Weights (attn_only_2L_half.pth) come from, in order:
  1. `weights_path=` or $INDUCTION_GRADER_ARENA_WEIGHTS (then no network is tried);
  2. the cache dir (`cache_dir=`, else $INDUCTION_GRADER_CACHE, else $XDG_CACHE_HOME/induction-grader,
     else ~/.cache/induction-grader);
  3. a download, once per source with short timeouts: the seed's Google Drive file (gdown), then the
     Hugging Face repo callummcdougall/attn_only_2L_half.
The tokenizer (EleutherAI/gpt-neox-20b) comes from `tokenizer_dir=` or $INDUCTION_GRADER_ARENA_TOKENIZER,
else the cache dir, else the Hugging Face cache, else the hub.

Without network access this fails within seconds with `ModelUnavailable`, whose message gives every
source's reason and how to supply the files by hand.
"""

from __future__ import annotations

import functools
import inspect
import os
import shutil
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path

import torch
from transformer_lens import HookedTransformer, HookedTransformerConfig
from transformers import PreTrainedTokenizerBase

from autograder.engine import files as paths

WEIGHTS_FILENAME = "attn_only_2L_half.pth"
DRIVE_FILE_ID = "1vcZLJnJoYKQs-2KOjkd6LvHZrkSdoxhu"  # from the seed notebook
HF_WEIGHTS_REPO = "callummcdougall/attn_only_2L_half"
TOKENIZER_NAME = "EleutherAI/gpt-neox-20b"
TOKENIZER_CACHE_SUBDIR = "gpt-neox-20b-tokenizer"

WEIGHTS_ENV = "INDUCTION_GRADER_ARENA_WEIGHTS"
TOKENIZER_ENV = "INDUCTION_GRADER_ARENA_TOKENIZER"
CACHE_ENV = paths.CACHE_ENV

# Each network source is tried once: both libraries retry with back-off by default (huggingface_hub
# spends ~23 s per file offline, transformers' AutoTokenizer ~46 s), which is what "fail fast" rules out.
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 60.0  # between bytes of a download that has started

# Exactly the seed notebook's config, minus the device.
ARENA_CONFIG = dict(
    d_model=768,
    d_head=64,
    n_heads=12,
    n_layers=2,
    n_ctx=2048,
    d_vocab=50278,
    attention_dir="causal",
    attn_only=True,
    tokenizer_name=TOKENIZER_NAME,
    seed=398,
    use_attn_result=True,
    normalization_type=None,
    positional_embedding_type="shortformer",
)

# A state dict's file size is its tensors' bytes plus a little zip/pickle overhead; the margin covers
# that and the IGNORE scalars. Files saved by older TransformerLens versions (like the published one)
# also hold each layer's full n_ctx x n_ctx bool causal mask, which the upper bound allows for.
SIZE_MARGIN = 0.01

DRIVE_URL = f"https://drive.google.com/file/d/{DRIVE_FILE_ID}/view"
HF_WEIGHTS_URL = f"https://huggingface.co/{HF_WEIGHTS_REPO}/resolve/main/{WEIGHTS_FILENAME}"
HF_TOKENIZER_URL = f"https://huggingface.co/{TOKENIZER_NAME}/tree/main"


class ModelUnavailable(RuntimeError):
    """The arena model's weights or tokenizer can't be had; the message says why and how to supply them."""

    def __init__(self, *parts: str):
        self.parts = parts
        super().__init__("The seed notebook's model (\"arena\") can't be loaded.\n\n" + "\n\n".join(parts))

    def __reduce__(self):  # so that it crosses process boundaries (the sandbox) intact
        return (type(self), self.parts)


class InvalidWeights(ModelUnavailable):
    """A weights file exists but is not the arena model's state dict (truncated, an HTML page, wrong keys)."""


def default_cache_dir() -> Path:
    return paths.cache_dir()


def arena_config(device: str | torch.device = "cpu") -> HookedTransformerConfig:
    return HookedTransformerConfig(**ARENA_CONFIG, device=str(device))


def _hooked_transformer(config: HookedTransformerConfig, **kwargs) -> HookedTransformer:
    # transformer_lens 3.x warns that HookedTransformer goes in 4.0; the project pins <4 (pyproject.toml),
    # so the warning would only be noise in students' output.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "HookedTransformer is deprecated", DeprecationWarning)
        return HookedTransformer(config, **kwargs)


@functools.lru_cache(maxsize=1)
def _reference_model() -> HookedTransformer:
    """The arena architecture on the meta device: its state dict's names, shapes and dtypes at no cost."""
    config = HookedTransformerConfig(**{**ARENA_CONFIG, "tokenizer_name": None}, device="cpu")
    with torch.device("meta"):
        return _hooked_transformer(config, move_to_device=False)


def expected_weights_sizes() -> dict[str, tuple[int, int]]:
    """{"float16": (min_bytes, max_bytes), "float32": (...)}: plausible file sizes of the state dict."""
    model = _reference_model()
    n_params = sum(p.numel() for p in model.parameters())
    full_masks = model.cfg.n_layers * model.cfg.n_ctx**2  # bool, one byte each
    sizes = {}
    for dtype in (torch.float16, torch.float32):
        param_bytes = n_params * dtype.itemsize
        low = int(param_bytes * (1 - SIZE_MARGIN))
        high = int((param_bytes + full_masks) * (1 + SIZE_MARGIN))
        sizes[str(dtype).removeprefix("torch.")] = (low, high)
    return sizes


def check_weights_size(path: Path) -> None:
    """Rejects a truncated download or an error page before torch.load sees it."""
    size = path.stat().st_size
    sizes = expected_weights_sizes()
    if any(low <= size <= high for low, high in sizes.values()):
        return
    with open(path, "rb") as f:
        head = f.read(512).lstrip().lower()
    if head.startswith(b"<") or b"<html" in head:
        what = "an HTML page (e.g. a Google Drive quota or sign-in page), not the weights"
    else:
        what = "truncated, or not this model's weights"
    expected = " or ".join(f"{low:,}-{high:,} bytes ({dtype})" for dtype, (low, high) in sizes.items())
    raise InvalidWeights(f"{path} is {size:,} bytes, so it is {what}: {WEIGHTS_FILENAME} is {expected}.")


def load_arena_state_dict(path: str | os.PathLike, device: str | torch.device = "cpu") -> dict:
    """The checked state dict in `path`, as saved (fp16 or fp32); tensors only, never arbitrary objects."""
    path = Path(path)
    check_weights_size(path)
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except Exception as e:  # a corrupt zip (RuntimeError) or a pickle of non-tensor objects (UnpicklingError)
        raise InvalidWeights(f"{path} is not a readable PyTorch state dict ({_one_line(e)}).") from e
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise InvalidWeights(f"{path} holds a {type(state).__name__}, not a state dict of tensors.")

    reference = _reference_model()
    expected = reference.state_dict()
    # Parameters must all be there; buffers (the causal mask, IGNORE) are constants TransformerLens
    # rebuilds itself, and older versions saved the mask at another shape, so they may differ or be absent.
    params = dict(reference.named_parameters())
    missing = sorted(params.keys() - state.keys())
    unexpected = sorted(state.keys() - expected.keys())
    wrong_shape = [
        f"{k} {tuple(state[k].shape)} (expected {tuple(p.shape)})"
        for k, p in params.items()
        if k in state and state[k].shape != p.shape
    ]
    if missing or unexpected or wrong_shape:
        problems = [
            f"{label}: {_short_list(keys)}"
            for label, keys in (
                ("missing keys", missing),
                ("unexpected keys", unexpected),
                ("wrong shapes", wrong_shape),
            )
            if keys
        ]
        raise InvalidWeights(f"{path} is not the arena model's state dict:\n  " + "\n  ".join(problems))
    return dict(state)


def _short_list(items: list[str], limit: int = 20) -> str:
    more = f", ... ({len(items) - limit} more)" if len(items) > limit else ""
    return ", ".join(items[:limit]) + more


def _one_line(error: BaseException, limit: int = 600) -> str:
    text = " ".join(f"{type(error).__name__}: {error}".split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _supplied(argument: str | os.PathLike | None, name: str, env_var: str) -> tuple[Path | None, str]:
    """The path given by argument, else by environment variable, and where it came from (for messages)."""
    if argument is not None:
        return Path(argument).expanduser(), f"{name}="
    if os.environ.get(env_var):
        return Path(os.environ[env_var]).expanduser(), f"${env_var}"
    return None, ""


def _weights_instructions(cache_dir: Path) -> str:
    return (
        f"To supply the weights by hand, download {WEIGHTS_FILENAME} in a browser from\n"
        f"    {HF_WEIGHTS_URL}\n"
        f"  or {DRIVE_URL}\n"
        f"  then either put it at {cache_dir / WEIGHTS_FILENAME},\n"
        f'  or pass load_model("arena", weights_path="/path/to/{WEIGHTS_FILENAME}"),\n'
        f"  or set {WEIGHTS_ENV}=/path/to/{WEIGHTS_FILENAME}."
    )


def _tokenizer_instructions(cache_dir: Path) -> str:
    return (
        "To supply the tokenizer by hand, download tokenizer.json, tokenizer_config.json and\n"
        f"  special_tokens_map.json from {HF_TOKENIZER_URL} into one folder,\n"
        f"  then either make that folder {cache_dir / TOKENIZER_CACHE_SUBDIR},\n"
        '  or pass load_model("arena", tokenizer_dir="/path/to/folder"),\n'
        f"  or set {TOKENIZER_ENV}=/path/to/folder."
    )


def _download_from_drive(directory: Path) -> Path:
    import gdown

    output = directory / WEIGHTS_FILENAME
    options = {}
    # gdown >= 6 takes a timeout (its default is to wait forever) and retries; older versions take neither.
    if "timeout" in inspect.signature(gdown.download).parameters:
        options = {"timeout": (CONNECT_TIMEOUT_S, READ_TIMEOUT_S), "retries": 0}
    gdown.download(id=DRIVE_FILE_ID, output=str(output), quiet=False, **options)
    if not output.is_file():  # old gdown versions report some failures by returning None
        raise RuntimeError("gdown finished without writing the file")
    return output


def _probe_hub(repo_id: str, filename: str) -> None:
    """One HEAD request, no retries: hf_hub_download and AutoTokenizer retry for ~25-50 s when offline."""
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    get_hf_file_metadata(hf_hub_url(repo_id, filename), timeout=CONNECT_TIMEOUT_S)


def _download_from_hub(directory: Path) -> Path:
    from huggingface_hub import hf_hub_download

    _probe_hub(HF_WEIGHTS_REPO, WEIGHTS_FILENAME)
    path = Path(
        hf_hub_download(
            HF_WEIGHTS_REPO, WEIGHTS_FILENAME, local_dir=directory, etag_timeout=CONNECT_TIMEOUT_S
        )
    )
    if path.is_symlink():  # old huggingface_hub versions link local_dir files into their own cache
        shutil.copyfile(path.resolve(), directory / "copied.pth")
        path = directory / "copied.pth"
    return path


def fetch_arena_weights(
    weights_path: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None
) -> Path:
    """The path of a size-checked attn_only_2L_half.pth: supplied, cached, or downloaded into the cache."""
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    supplied, origin = _supplied(weights_path, "weights_path", WEIGHTS_ENV)
    if supplied is not None:
        if not supplied.is_file():
            raise ModelUnavailable(
                f"Weights: {supplied} (from {origin}) is not a file.\n" + _weights_instructions(cache)
            )
        try:
            check_weights_size(supplied)  # a supplied file is the user's: reported, never deleted
        except InvalidWeights as e:
            raise InvalidWeights(f"Weights: {e.parts[0]}\n" + _weights_instructions(cache)) from None
        return supplied

    target = cache / WEIGHTS_FILENAME
    reasons = []
    if target.is_file():
        try:
            check_weights_size(target)
            return target
        except InvalidWeights as e:
            target.unlink()
            reasons.append(f"the cached copy was unusable and has been deleted: {_one_line(e)}")

    cache.mkdir(parents=True, exist_ok=True)
    sources = (
        (f"Google Drive (gdown, id {DRIVE_FILE_ID})", _download_from_drive),
        (f"Hugging Face ({HF_WEIGHTS_REPO})", _download_from_hub),
    )
    for source, download in sources:
        # Each attempt gets its own temporary directory in the cache (same filesystem, so the final
        # rename is atomic); leftovers such as gdown's partial files go with it.
        with tempfile.TemporaryDirectory(dir=cache, prefix=".download-") as tmp:
            try:
                path = download(Path(tmp))
                check_weights_size(path)
            except InvalidWeights as e:
                reasons.append(f"{source}: the download was rejected and deleted: {_one_line(e)}")
                continue
            except Exception as e:  # each source's failure is reported; the next source is tried
                reasons.append(f"{source}: {_one_line(e)}")
                continue
            os.replace(path, target)
            return target

    raise ModelUnavailable(
        f"Weights: {WEIGHTS_FILENAME} is not in {cache} and could not be downloaded:\n"
        + "".join(f"  - {reason}\n" for reason in reasons)
        + _weights_instructions(cache)
    )


def _tokenizer_from_dir(path: Path, origin: str, cache: Path) -> PreTrainedTokenizerBase:
    from transformers import AutoTokenizer

    if not (path / "tokenizer.json").is_file():
        raise ModelUnavailable(
            f"Tokenizer: {path} (from {origin}) has no tokenizer.json.\n" + _tokenizer_instructions(cache)
        )
    try:
        # add_bos_token=True as TransformerLens asks for; otherwise it reloads the tokenizer by name.
        return AutoTokenizer.from_pretrained(str(path), local_files_only=True, add_bos_token=True)
    except Exception as e:
        raise ModelUnavailable(
            f"Tokenizer: {path} (from {origin}) does not load as a tokenizer ({_one_line(e)}).\n"
            + _tokenizer_instructions(cache)
        ) from e


def _tokenizer_from_hf_cache() -> PreTrainedTokenizerBase | None:
    """The tokenizer from Hugging Face's own cache (e.g. left by running the seed notebook), or None."""
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(TOKENIZER_NAME, local_files_only=True, add_bos_token=True)
    except Exception:  # not cached (OSError), or a partial cache entry
        return None


def load_arena_tokenizer(
    tokenizer_dir: str | os.PathLike | None = None, cache_dir: str | os.PathLike | None = None
) -> PreTrainedTokenizerBase:
    """The EleutherAI/gpt-neox-20b tokenizer: supplied, cached, or downloaded (and then cached)."""
    from transformers import AutoTokenizer

    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    supplied, origin = _supplied(tokenizer_dir, "tokenizer_dir", TOKENIZER_ENV)
    if supplied is not None:
        return _tokenizer_from_dir(supplied, origin, cache)
    cached = cache / TOKENIZER_CACHE_SUBDIR
    if cached.is_dir():
        return _tokenizer_from_dir(cached, "the cache", cache)
    tokenizer = _tokenizer_from_hf_cache()
    if tokenizer is not None:
        return tokenizer

    try:
        _probe_hub(TOKENIZER_NAME, "tokenizer.json")
        tokenizer = AutoTokenizer.from_pretrained(TOKENIZER_NAME, add_bos_token=True)
    except Exception as e:
        raise ModelUnavailable(
            f"Tokenizer: {TOKENIZER_NAME} is not in {cached} or the Hugging Face cache, "
            f"and could not be downloaded:\n  - Hugging Face ({TOKENIZER_NAME}): {_one_line(e)}\n"
            + _tokenizer_instructions(cache)
        ) from None
    try:  # keep a copy in our cache so that later runs work offline; a read-only cache is no error
        cache.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=cache, prefix=".download-") as tmp:
            tokenizer.save_pretrained(Path(tmp) / "tokenizer")
            os.replace(Path(tmp) / "tokenizer", cached)
    except OSError:
        pass
    return tokenizer


def load_arena_model(
    device: str | torch.device = "cpu",
    weights_path: str | os.PathLike | None = None,
    tokenizer_dir: str | os.PathLike | None = None,
    cache_dir: str | os.PathLike | None = None,
) -> HookedTransformer:
    """The seed notebook's model with its pretrained weights, in eval mode, on `device`."""
    # Both are looked for before either fails, so that one error names everything that is missing.
    errors: list[ModelUnavailable] = []
    tokenizer = weights = None
    try:
        tokenizer = load_arena_tokenizer(tokenizer_dir, cache_dir)
    except ModelUnavailable as e:
        errors.append(e)
    try:
        weights = fetch_arena_weights(weights_path, cache_dir)
    except ModelUnavailable as e:
        errors.append(e)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ModelUnavailable(*(part for e in errors for part in e.parts))

    try:
        state = load_arena_state_dict(weights, device)
    except InvalidWeights as e:
        cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
        raise InvalidWeights(f"Weights: {e.parts[0]}\n" + _weights_instructions(cache)) from None
    model = _hooked_transformer(arena_config(device), tokenizer=tokenizer)
    model_state = model.state_dict()
    # fp16 and fp32 files both load: floats are cast to the model's dtype. Keys were checked above;
    # strict=False only lets absent buffers keep the values TransformerLens built.
    model.load_state_dict(
        {k: v.to(model_state[k].dtype) if v.is_floating_point() else v for k, v in state.items()},
        strict=False,
    )
    return model.eval()
