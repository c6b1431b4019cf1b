"""Trains the embedded default model: `python -m autograder.transformer_lens.train [--out DIR]`.

A 2-layer attention-only transformer with exactly TransformerLens's parametrisation (shortformer
positions, no LayerNorm), trained by a small pure-torch forward (several times faster than
HookedTransformer's on CPU) on the data of `train_data.py`, in stages:

1. 32-token rows of random tokens with repeated spans only: the induction circuit (a previous-token
   head in layer 0, induction heads in layer 1) forms here. Text rows in this stage delay it.
2. 128-token rows, half text and half repeats: the heads sharpen, and hold on text too; every
   position the exercises use (up to 121) is trained.
3. Optionally (`--full-steps`, 0 by default), 256-token rows: the whole context.

The loss is the next-token loss plus an auxiliary loss on attention (`aux_loss`): the seed's heads
(ROLES: 0.9 current-token, 0.7 previous-token, 0.3 first-token, 1.4 and 1.10 induction) are
supervised to attend where their kind does, and every other head is held well below each detector's
threshold, so that the seed notebook's detectors find exactly the seed's heads. Then the logits are
checked against HookedTransformer's, and the weights, tokenizer, config and a report (training.json)
are written to `--out`. Deterministic given `--seed` and `--threads` (on one machine and torch
version): `--verify` retrains and compares the weights with the shipped model's, byte for byte.
docs/models.md describes the model and its figures.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import math
import random
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import torch
import torch.nn.functional as F
from jaxtyping import Bool, Float, Int
from safetensors.torch import save_file
from tokenizers import Tokenizer
from torch import Tensor, nn
from transformer_lens import HookedTransformer
from transformers import PreTrainedTokenizerFast

from autograder.engine.files import ROOT
from autograder.transformer_lens import train_data
from autograder.transformer_lens.models import DEFAULT_MODEL_DIR, load_default_model

N_LAYERS, N_HEADS, N_CTX = 2, 12, 256
SEQ_LEN = 50  # the exercise's repeated-tokens length
SOLUTIONS = ROOT / "solutions" / "induction_heads.py"
HEAD_WEIGHTS = ("W_Q", "W_K", "W_V", "W_O", "b_Q", "b_K", "b_V")  # one slice per head
ATTN_WEIGHTS = (*HEAD_WEIGHTS, "b_O")


def sinusoidal_positions(n_ctx: int, d_model: int) -> Float[Tensor, "n_ctx d_model"]:
    """Sinusoidal position embeddings of about unit norm: the initial value of the learned W_pos.

    "One position back" is then the same rotation at every position, which makes the previous-token
    head easier to learn: the induction circuit formed ~200 steps sooner than from a random W_pos.
    """
    pos = torch.arange(n_ctx, dtype=torch.float32)[:, None]
    freqs = torch.exp(-math.log(1000.0) * torch.arange(0, d_model, 2) / d_model)
    out = torch.zeros(n_ctx, d_model)
    out[:, 0::2] = torch.sin(pos * freqs)
    out[:, 1::2] = torch.cos(pos * freqs)
    return out * math.sqrt(2 / d_model)


class AttnOnly(nn.Module):
    """TransformerLens's attention-only shortformer transformer, with the layers' weights stacked."""

    def __init__(self, d_vocab: int, d_model: int, d_head: int):
        super().__init__()
        attn = (N_LAYERS, N_HEADS, d_model, d_head)
        self.d_head = d_head
        # Unit-norm embeddings and small attention weights, so every head starts near uniform.
        self.W_E = nn.Parameter(torch.randn(d_vocab, d_model) / math.sqrt(d_model))
        self.W_pos = nn.Parameter(sinusoidal_positions(N_CTX, d_model))
        self.W_Q = nn.Parameter(torch.randn(attn) * 0.05)
        self.W_K = nn.Parameter(torch.randn(attn) * 0.05)
        self.W_V = nn.Parameter(torch.randn(attn) * 0.05)
        self.W_O = nn.Parameter(torch.randn(N_LAYERS, N_HEADS, d_head, d_model) * 0.05)
        self.b_Q = nn.Parameter(torch.zeros(N_LAYERS, N_HEADS, d_head))
        self.b_K = nn.Parameter(torch.zeros(N_LAYERS, N_HEADS, d_head))
        self.b_V = nn.Parameter(torch.zeros(N_LAYERS, N_HEADS, d_head))
        self.b_O = nn.Parameter(torch.zeros(N_LAYERS, d_model))
        self.W_U = nn.Parameter(torch.randn(d_model, d_vocab) * 0.05)
        self.b_U = nn.Parameter(torch.zeros(d_vocab))
        # Softmax ignores b_K (it adds the same score to every key), so its gradient is rounding
        # noise, which Adam would scale up into steps: keep it at zero.
        self.b_K.requires_grad_(False)

    @classmethod
    def from_tl_state_dict(cls, state: dict[str, Tensor]) -> AttnOnly:
        """The model with HookedTransformer's weights `state` (as saved in model.safetensors)."""
        d_vocab, d_model = state["embed.W_E"].shape
        model = cls(d_vocab, d_model, state["blocks.0.attn.W_Q"].shape[-1])
        with torch.no_grad():
            model.W_E.copy_(state["embed.W_E"])
            model.W_pos.copy_(state["pos_embed.W_pos"])
            model.W_U.copy_(state["unembed.W_U"])
            model.b_U.copy_(state["unembed.b_U"])
            for name in ATTN_WEIGHTS:
                getattr(model, name).copy_(
                    torch.stack([state[f"blocks.{i}.attn.{name}"] for i in range(N_LAYERS)])
                )
        return model

    def forward(
        self, tokens: Int[Tensor, "batch pos"], patterns: list[Tensor] | None = None
    ) -> Float[Tensor, "batch pos d_vocab"]:
        """Returns the logits; appends each layer's attention pattern to `patterns` when given."""
        resid = self.W_E[tokens]
        # Shortformer: positions enter the queries and keys only, never the residual stream.
        pos = self.W_pos[: tokens.shape[1]]
        for layer in range(N_LAYERS):
            qk_in = resid + pos
            q = torch.einsum("bpd,hde->bhpe", qk_in, self.W_Q[layer]) + self.b_Q[layer][:, None]
            k = torch.einsum("bpd,hde->bhpe", qk_in, self.W_K[layer]) + self.b_K[layer][:, None]
            v = torch.einsum("bpd,hde->bhpe", resid, self.W_V[layer]) + self.b_V[layer][:, None]
            if patterns is None:
                z = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # scaled by 1/sqrt(d_head)
            else:
                scores = q @ k.transpose(-1, -2) / math.sqrt(self.d_head)
                causal = torch.ones(scores.shape[-2:], dtype=torch.bool).tril()
                pattern = scores.masked_fill(~causal, -math.inf).softmax(-1)
                patterns.append(pattern)
                z = pattern @ v
            resid = resid + torch.einsum("bhpe,hed->bpd", z, self.W_O[layer]) + self.b_O[layer]
        return resid @ self.W_U + self.b_U

    def tl_state_dict(self) -> dict[str, Tensor]:
        """The weights under HookedTransformer's state-dict names."""
        state = {"embed.W_E": self.W_E, "pos_embed.W_pos": self.W_pos, "unembed.W_U": self.W_U}
        state["unembed.b_U"] = self.b_U
        for layer in range(N_LAYERS):
            for name in ATTN_WEIGHTS:
                state[f"blocks.{layer}.attn.{name}"] = getattr(self, name)[layer]
        return {name: tensor.detach().clone().contiguous() for name, tensor in state.items()}


# The seed's heads: (layer, head) places per detector kind. The auxiliary loss keeps each of these
# heads well above its detector's threshold and every other head well below it, so that the
# exercise's detectors find exactly the seed's lists.
ROLES = {
    "current": {(0, 9)},
    "previous": {(0, 7)},
    "first": {(0, 3), (1, 4), (1, 10)},
    "induction": {(1, 4), (1, 10)},
}
# Scores the auxiliary loss aims for (the detectors' thresholds are 0.4, and 0.2 for induction):
# the seed's heads at least HIGH, the others at most LOW, clear of both thresholds.
HIGH = 0.6
LOW = {"current": 0.28, "previous": 0.28, "first": 0.28, "induction": 0.08}
AUX_PREFIX = 80  # positions the position scores are measured over: about the sample text's length
AUX_WEIGHT = 1.0


def lm_loss(model: AttnOnly, tokens: Int[Tensor, "batch pos"]) -> Tensor:
    """Mean next-token cross-entropy."""
    logits = model(tokens)
    return F.cross_entropy(logits[:, :-1].flatten(0, 1), tokens[:, 1:].flatten())


def attention_targets(tokens: Int[Tensor, "batch pos"]) -> dict[str, Bool[Tensor, "batch query key"]]:
    """Per detector kind, the keys each query of each row should attend to in a head of that kind.

    Induction: the keys just after earlier copies of the query's token, or BOS where it has none
    (where the seed's induction heads look then).
    """
    n = tokens.shape[1]
    causal = torch.ones(n, n, dtype=torch.bool).tril()
    eye = torch.eye(n, dtype=torch.bool)
    before = F.pad(tokens[:, :-1], (1, 0), value=-1)  # the token before each key
    copies = (tokens[:, :, None] == before[:, None, :]) & causal
    bos = torch.zeros(n, n, dtype=torch.bool)
    bos[:, 0] = True
    previous = torch.eye(n, dtype=torch.bool).roll(-1, 1) & causal
    previous[0, 0] = True  # the first query has no previous token
    return {
        "current": eye.expand_as(copies),
        "previous": previous.expand_as(copies),
        "first": bos.expand_as(copies),
        "induction": torch.where(copies.any(-1, keepdim=True), copies, bos),
        "copies": copies,
    }


def aux_loss(
    patterns: list[Tensor], tokens: Int[Tensor, "batch pos"], is_text: Bool[Tensor, " batch"]
) -> Tensor:
    """The auxiliary loss that puts the seed's heads (ROLES) where the seed has them, and no others.

    - Each of the seed's heads is supervised: the cross-entropy of its attention on its kind's keys
      (`attention_targets`), on every row, except that induction heads learn induction on repeats
      rows only and the first token (at least HIGH on average) on text rows.
    - Every other head is held at most LOW on each kind's score, as the detectors compute it (on the
      first AUX_PREFIX positions: a causal model's pattern on a prefix is its pattern on that prefix
      alone; induction on repeats rows, over the queries whose token occurred before).
    """
    pattern = torch.stack(patterns)  # [layer, batch, head, query, key]
    targets = attention_targets(tokens)
    loss = torch.zeros(())
    repeats = ~is_text
    for kind in ROLES:
        on_target = (pattern * targets[kind][None, :, None]).sum(-1)  # [layer, batch, head, query]
        for layer, head in ROLES[kind]:
            if kind == "first" and layer > 0:
                if is_text.any():
                    loss = loss + F.relu(HIGH - on_target[layer, is_text, head, :AUX_PREFIX].mean())
                continue
            rows = repeats if kind == "induction" else torch.ones_like(is_text)
            if rows.any():
                loss = loss - on_target[layer, rows, head].clamp(min=1e-6).log().mean()
        if kind == "induction":
            queries = targets["copies"][repeats].any(-1)  # [rows, query]
            copies = (pattern[:, repeats] * targets["copies"][repeats][None, :, None]).sum(-1)
            score = (copies * queries[None, :, None]).sum((1, 3)) / queries.sum().clamp(min=1)
        else:
            score = on_target[..., :AUX_PREFIX].mean((1, 3))  # [layer, head]
        others = torch.ones(N_LAYERS, N_HEADS, dtype=torch.bool)
        for layer, head in ROLES[kind]:
            others[layer, head] = False
        loss = loss + F.relu(score - LOW[kind])[others].sum()
    return loss


def train(
    model: AttnOnly,
    docs: list[list[int]],
    stages: list[tuple[int, int, int, float]],
    rng: random.Random,
    lr: float,
    sample: Int[Tensor, "1 pos"],
) -> None:
    """AdamW on the next-token loss plus the auxiliary loss, through the stages, each (steps, row
    length, batch, fraction of text rows).

    Logs the losses and the seed's heads' scores beside the best other head's (on `sample` and on
    repeated tokens).
    """
    total = sum(steps for steps, *_ in stages)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    # Warm up, hold, then decay linearly to 10% over the last 30%, to settle the final weights.
    decay_from = int(0.7 * total)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 100, 1 - 0.9 * max(0, s - decay_from) / max(1, total - decay_from))
    )
    d_vocab = model.W_E.shape[0]
    step, t0 = 0, time.time()
    # On, whatever ran before: importing the exercise's solutions (head_report) turns gradients off.
    with torch.enable_grad():
        for steps, length, batch, text_frac in stages:
            for _ in range(steps):
                tokens, is_text = train_data.make_batch(rng, docs, d_vocab, length, batch, text_frac)
                patterns: list[Tensor] = []
                logits = model(tokens, patterns)
                loss = F.cross_entropy(logits[:, :-1].flatten(0, 1), tokens[:, 1:].flatten())
                aux = aux_loss(patterns, tokens, is_text)
                opt.zero_grad()
                (loss + AUX_WEIGHT * aux).backward()
                opt.step()
                sched.step()
                step += 1
                if step % 200 == 0 or step == total:
                    print(
                        f"step {step}/{total} ({length}-token rows, {time.time() - t0:.0f}s): "
                        f"loss {loss.item():.3f}, aux {aux.item():.3f}; {role_summary(model, sample)}",
                        flush=True,
                    )


def role_summary(model: AttnOnly, sample: Int[Tensor, "1 pos"]) -> str:
    """Per detector kind, the seed's heads' scores and the best other head's."""
    parts = []
    for kind, score in head_scores(model, sample, range(2)).items():
        roles = ROLES[kind]
        mine = " ".join(f"{layer}.{head} {score[layer, head]:.2f}" for layer, head in sorted(roles))
        other = max(
            score[layer, head].item()
            for layer in range(N_LAYERS)
            for head in range(N_HEADS)
            if (layer, head) not in roles
        )
        parts.append(f"{kind} {mine} (others <= {other:.2f})")
    return "; ".join(parts)


def rep_tokens(d_vocab: int, seed: int, seq_len: int = SEQ_LEN) -> Int[Tensor, "1 pos"]:
    """The exercise's repeated random tokens for torch seed `seed` (BOS, then a random sequence twice).

    Drawn from a private generator: the same tokens as after `torch.manual_seed(seed)`, without
    reseeding torch's global one in the middle of training.
    """
    generator = torch.Generator().manual_seed(seed)
    seq = torch.randint(0, d_vocab, (1, seq_len), dtype=torch.int64, generator=generator)
    return torch.cat([torch.full((1, 1), train_data.BOS_ID), seq, seq], dim=1)


@torch.no_grad()
def head_scores(
    model: AttnOnly, sample: Int[Tensor, "1 pos"], seeds: range = range(10)
) -> dict[str, Float[Tensor, "layer head"]]:
    """The four detectors' scores (before their thresholds) for every head.

    Current-, previous- and first-token scores on `sample`; induction scores averaged over the
    repeated tokens of `seeds`.
    """
    text = []
    model(sample, text)
    induction = []
    for seed in seeds:
        patterns = []
        model(rep_tokens(model.W_E.shape[0], seed), patterns)
        induction.append(torch.stack([p[0].diagonal(-(SEQ_LEN - 1), -2, -1).mean(-1) for p in patterns]))
    return {
        "current": torch.stack([p[0].diagonal(0, -2, -1).mean(-1) for p in text]),
        "previous": torch.stack([p[0].diagonal(-1, -2, -1).mean(-1) for p in text]),
        "first": torch.stack([p[0][:, :, 0].mean(-1) for p in text]),
        "induction": torch.stack(induction).mean(0),
    }


def load_solutions() -> ModuleType:
    """The exercise's reference detectors (solutions/induction_heads.py)."""
    spec = importlib.util.spec_from_file_location("induction_heads_solutions", SOLUTIONS)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@torch.no_grad()
def head_report(model: HookedTransformer, seeds: range = range(10)) -> dict:
    """What the exercise's detectors find: on the sample text, and on repeated tokens per torch seed."""
    sol = load_solutions()
    _, cache = model.run_with_cache(train_data.SAMPLE_TEXT, remove_batch_dim=True)
    report = {
        "current": sol.current_attn_detector(cache),
        "previous": sol.prev_attn_detector(cache),
        "first": sol.first_attn_detector(cache),
        "repeated_tokens": [],
    }
    for seed in seeds:
        torch.manual_seed(seed)
        tokens, logits, rep_cache = sol.run_and_cache_model_repeated_tokens(model, SEQ_LEN, 1)
        rep_cache.remove_batch_dim()
        log_probs = sol.get_log_probs(logits, tokens).squeeze()
        report["repeated_tokens"].append(
            {
                "seed": seed,
                "induction": sol.induction_attn_detector(rep_cache),
                "first_half": round(log_probs[:SEQ_LEN].mean().item(), 3),
                "second_half": round(log_probs[SEQ_LEN:].mean().item(), 3),
            }
        )
    return report


def save(model: AttnOnly, tokenizer: Tokenizer, out: Path) -> None:
    """Writes model.safetensors, config.json and the tokenizer (tokenizer.json and its config)."""
    out.mkdir(parents=True, exist_ok=True)
    save_file(model.tl_state_dict(), out / "model.safetensors")
    (out / "model.safetensors").chmod(0o644)  # safetensors writes it owner-only; graders read it too
    d_vocab, d_model = model.W_E.shape
    config = {
        "n_layers": N_LAYERS,
        "n_heads": N_HEADS,
        "d_model": d_model,
        "d_head": model.d_head,
        "d_vocab": d_vocab,
        "n_ctx": N_CTX,
        "attn_only": True,
        "normalization_type": None,
        "positional_embedding_type": "shortformer",
        "use_attn_result": True,
        "attention_dir": "causal",
    }
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    bos = train_data.BOS
    hf_tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, bos_token=bos, eos_token=bos, pad_token=bos, model_max_length=N_CTX
    )
    hf_tokenizer.save_pretrained(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_DIR, help="where to write the model")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeat-steps", type=int, default=2000, help="stage 1 steps (32-token repeat rows)")
    parser.add_argument("--mixed-steps", type=int, default=1000, help="stage 2 steps (128-token rows)")
    parser.add_argument("--full-steps", type=int, default=0, help="stage 3 steps (256-token rows)")
    parser.add_argument("--lr", type=float, default=5e-3)
    parser.add_argument("--d-model", type=int, default=64)
    parser.add_argument("--d-head", type=int, default=16)
    parser.add_argument("--vocab", type=int, default=1024, help="tokenizer vocabulary size")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (the shipped model: 1)")
    parser.add_argument(
        "--verify",
        action="store_true",
        help="train into a temporary folder (or --out) and compare the weights with the shipped model's, "
        "byte for byte: exit status 0 if they are identical, 1 if not",
    )
    args = parser.parse_args()
    if args.verify:
        sys.exit(verify(args))
    run(args)


def verify(args: argparse.Namespace) -> int:
    """Retrains with `args` and says whether the weights are the shipped model's, bit for bit."""
    with tempfile.TemporaryDirectory() as scratch:
        if args.out == DEFAULT_MODEL_DIR:
            args.out = Path(scratch)
        run(args)
        ours, shipped = (folder / "model.safetensors" for folder in (args.out, DEFAULT_MODEL_DIR))
        digests = [hashlib.sha256(path.read_bytes()).hexdigest() for path in (ours, shipped)]
    if digests[0] == digests[1]:
        print(f"identical to the shipped model: model.safetensors sha256 {digests[0]}")
        return 0
    print(f"differs from the shipped model: sha256 {digests[0]}, shipped {digests[1]}")
    return 1


def run(args: argparse.Namespace) -> None:
    """Trains a model as `args` say and writes it, its tokenizer and training.json to `args.out`."""
    t0 = time.time()
    torch.set_num_threads(args.threads)
    torch.use_deterministic_algorithms(True)  # else some CPU kernels vary in the last bits between runs
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    documents = train_data.sample_documents(6000, args.seed)
    tokenizer = train_data.train_tokenizer(documents, args.vocab)
    docs = [encoding.ids[1:] for encoding in tokenizer.encode_batch(documents)]  # without BOS
    sample = torch.tensor([tokenizer.encode(train_data.SAMPLE_TEXT).ids])

    d_vocab = tokenizer.get_vocab_size()
    model = AttnOnly(d_vocab, args.d_model, args.d_head)
    # (steps, row length, batch, fraction of text rows); see the module docstring.
    stages = [
        (args.repeat_steps, 32, 32, 0.0),
        (args.mixed_steps, 128, 12, 0.5),
        (args.full_steps, N_CTX, 16, 0.5),
    ]
    train(model, docs, stages, rng, args.lr, sample)
    train_seconds = time.time() - t0

    probe = rep_tokens(d_vocab, 0)
    with torch.no_grad():
        # On 32 fresh 256-token rows of each kind.
        final_loss = {}
        for kind, text_frac in (("text", 1.0), ("repeats", 0.0)):
            rows, _ = train_data.make_batch(random.Random(-1), docs, d_vocab, N_CTX, 32, text_frac)
            final_loss[kind] = round(lm_loss(model, rows).item(), 3)

    save(model, tokenizer, args.out)
    hooked = load_default_model(model_dir=args.out)
    with torch.no_grad():
        error = (hooked(probe) - model(probe)).abs().max().item()
    assert error < 1e-4, f"HookedTransformer's logits differ from the training forward's by {error}"
    report = head_report(hooked)
    summary = {
        "seed": args.seed,
        "stages": [
            dict(zip(("steps", "row_length", "batch", "text_fraction"), s, strict=True)) for s in stages
        ],
        "lr": args.lr,
        "train_seconds": round(train_seconds, 1),
        "total_seconds": round(time.time() - t0, 1),
        "final_loss": final_loss,
        "max_logit_error_vs_hooked_transformer": error,
        "head_report": report,
    }
    (args.out / "training.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(f"wrote {args.out} in {summary['total_seconds']}s; final loss {final_loss}")
    print(f"current {report['current']}, previous {report['previous']}, first {report['first']}")
    for rep in report["repeated_tokens"]:
        print(rep)


if __name__ == "__main__":
    main()
