"""Trains the embedded default model: `python -m autograder.transformer_lens.train [--out DIR]`.

A 2-layer attention-only transformer with exactly TransformerLens's parametrisation (shortformer
positions, no LayerNorm), trained by a small pure-torch forward (several times faster than
HookedTransformer's on CPU) on the data of `train_data.py`, in three stages:

1. 32-token rows of random tokens with repeated spans only. The induction circuit (a previous-token
   head in layer 0, induction heads in layer 1) forms here, after ~1,100-1,400 steps; current- and
   first-token heads appear with it. Text rows in this stage delay it by thousands of steps.
2. 96-token rows, half text and half repeats: the heads sharpen, and hold on text too.
3. 256-token rows (the whole context), so that every position is trained.

Then the heads are relabelled within each layer to where the seed's model has them, the logits are
checked against HookedTransformer's, and the weights, tokenizer, config and a report (training.json)
are written to `--out`. Deterministic given `--seed` (on one machine and torch version).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import random
import time
from pathlib import Path
from types import ModuleType

import torch
import torch.nn.functional as F
from jaxtyping import Float, Int
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
            if patterns is not None:
                scores = q @ k.transpose(-1, -2) / math.sqrt(self.d_head)
                causal = torch.ones(scores.shape[-2:], dtype=torch.bool).tril()
                patterns.append(scores.masked_fill(~causal, -math.inf).softmax(-1))
            z = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # scaled by 1/sqrt(d_head)
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

    @torch.no_grad()
    def permute_heads(self, orders: list[list[int]]) -> None:
        """Relabels heads: new head h of layer l is old head orders[l][h]. The function is unchanged."""
        for layer, order in enumerate(orders):
            for name in HEAD_WEIGHTS:
                weight = getattr(self, name)
                weight[layer] = weight[layer][order].clone()


def lm_loss(model: AttnOnly, tokens: Int[Tensor, "batch pos"]) -> Tensor:
    """Mean next-token cross-entropy."""
    logits = model(tokens)
    return F.cross_entropy(logits[:, :-1].flatten(0, 1), tokens[:, 1:].flatten())


def train(
    model: AttnOnly,
    docs: list[list[int]],
    stages: list[tuple[int, int, int, float]],
    rng: random.Random,
    lr: float,
    sample: Int[Tensor, "1 pos"],
) -> None:
    """AdamW through the stages, each (steps, row length, batch, fraction of text rows).

    Logs the loss and each detector's best head score (on `sample` and on repeated tokens).
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
                loss = lm_loss(model, train_data.make_batch(rng, docs, d_vocab, length, batch, text_frac))
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                step += 1
                if step % 200 == 0 or step == total:
                    scores = head_scores(model, sample, range(2))
                    best = ", ".join(f"{kind} {score.max():.2f}" for kind, score in scores.items())
                    print(
                        f"step {step}/{total} ({length}-token rows, {time.time() - t0:.0f}s): "
                        f"loss {loss.item():.3f}; best head scores: {best}",
                        flush=True,
                    )


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


def seed_layout(scores: dict[str, Float[Tensor, "layer head"]]) -> list[list[int]]:
    """Head orders putting the strongest heads where the seed's model has them.

    Layer 0: previous-token head at 7, current-token at 9, first-token at 3; layer 1: the two
    strongest induction heads at 4 and 10. Each place takes the best remaining head for its score;
    the other heads keep their order in the places left.
    """
    wanted = [[(7, "previous"), (9, "current"), (3, "first")], [(4, "induction"), (10, "induction")]]
    orders = []
    for layer, places in enumerate(wanted):
        order: dict[int, int] = {}
        for place, kind in places:
            ranked = scores[kind][layer].argsort(descending=True).tolist()
            order[place] = next(h for h in ranked if h not in order.values())
        rest = iter(h for h in range(N_HEADS) if h not in order.values())
        orders.append([order[p] if p in order else next(rest) for p in range(N_HEADS)])
    return orders


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
    parser.add_argument("--repeat-steps", type=int, default=1600, help="stage 1 steps (32-token repeat rows)")
    parser.add_argument("--mixed-steps", type=int, default=2000, help="stage 2 steps (96-token rows)")
    parser.add_argument("--full-steps", type=int, default=400, help="stage 3 steps (256-token rows)")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--d-model", type=int, default=64)
    parser.add_argument("--d-head", type=int, default=16)
    parser.add_argument("--vocab", type=int, default=1024, help="tokenizer vocabulary size")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (the shipped model: 2)")
    args = parser.parse_args()

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
        (args.mixed_steps, 96, 16, 0.5),
        (args.full_steps, N_CTX, 16, 0.5),
    ]
    train(model, docs, stages, rng, args.lr, sample)
    train_seconds = time.time() - t0

    probe = rep_tokens(d_vocab, 0)
    with torch.no_grad():
        before = model(probe)
        model.permute_heads(seed_layout(head_scores(model, sample)))
        assert torch.allclose(model(probe), before, atol=1e-5), "relabelling the heads changed the logits"
        # On 32 fresh 256-token rows of each kind.
        final_loss = {}
        for kind, text_frac in (("text", 1.0), ("repeats", 0.0)):
            rows = train_data.make_batch(random.Random(-1), docs, d_vocab, N_CTX, 32, text_frac)
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
