"""The models the exercises run on.

- "default": the project's own small 2-layer attention-only model, shipped in
  `autograder/transformer_lens/data/`, loads offline in well under a second.
- "arena": the seed notebook's model (attn_only_2L_half.pth), downloaded on first use.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from safetensors.torch import load_file
from transformer_lens import HookedTransformer, HookedTransformerConfig
from transformers import PreTrainedTokenizerFast

DATA_DIR = Path(__file__).parent / "data"
DEFAULT_MODEL_DIR = DATA_DIR / "default_model"

MODEL_NAMES = ("default", "arena")


def load_model(name: str = "default", *, device: str = "cpu", **options) -> HookedTransformer:
    """Returns the named model, in eval mode, on `device`. See the module docstring for the names."""
    if name == "default":
        return load_default_model(device=device)
    if name == "arena":
        from autograder.transformer_lens.arena import load_arena_model

        return load_arena_model(device=device, **options)
    raise ValueError(f"unknown model {name!r}: choose one of {', '.join(MODEL_NAMES)}")


def load_default_model(device: str = "cpu", model_dir: Path = DEFAULT_MODEL_DIR) -> HookedTransformer:
    """Returns the model saved in `model_dir` (made by `python -m autograder.transformer_lens.train`),
    in eval mode.

    Reads only local files: config.json, model.safetensors and the tokenizer files.
    """
    cfg = HookedTransformerConfig(**json.loads((model_dir / "config.json").read_text()), device=device)
    # With add_bos_token set, TransformerLens keeps this tokenizer; without it, it would reload the
    # tokenizer by name to get one that adds BOS.
    tokenizer = PreTrainedTokenizerFast.from_pretrained(model_dir, add_bos_token=True, local_files_only=True)
    with warnings.catch_warnings():  # "HookedTransformer is deprecated": noise, as in arena.py
        warnings.filterwarnings("ignore", "HookedTransformer is deprecated", DeprecationWarning)
        model = HookedTransformer(cfg, tokenizer=tokenizer)
    # The file holds the parameters only; the attention masks are the model's own buffers.
    model.load_state_dict(model.state_dict() | load_file(model_dir / "model.safetensors", device=device))
    return model.eval()
