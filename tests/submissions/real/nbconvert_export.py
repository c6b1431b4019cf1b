#!/usr/bin/env python
# coding: utf-8

# # Induction heads
# 
# Exported from my notebook with `jupyter nbconvert --to script`.

# In[1]:


get_ipython().run_line_magic('pip', 'install transformer_lens einops jaxtyping')
get_ipython().system('nvidia-smi')


# In[2]:


import torch as t
from torch import Tensor
from jaxtyping import Float, Int
from transformer_lens import HookedTransformer, HookedTransformerConfig, ActivationCache

t.set_grad_enabled(False)
device = t.device("cuda" if t.cuda.is_available() else "cpu")


# In[3]:


model = HookedTransformer.from_pretrained("attn-only-2l", device=device)


# ## Detectors

# In[4]:


def current_attn_detector(cache: ActivationCache) -> list[str]:
    n_layers, n_heads = cache.model.cfg.n_layers, cache.model.cfg.n_heads
    scores = t.stack([cache["pattern", l].diagonal(dim1=-2, dim2=-1).mean(-1) for l in range(n_layers)])
    return [f"{l}.{h}" for l in range(n_layers) for h in range(n_heads) if scores[l, h] > 0.4]


def prev_attn_detector(cache: ActivationCache) -> list[str]:
    n_layers, n_heads = cache.model.cfg.n_layers, cache.model.cfg.n_heads
    scores = t.stack([cache["pattern", l].diagonal(-1, dim1=-2, dim2=-1).mean(-1) for l in range(n_layers)])
    return [f"{l}.{h}" for l in range(n_layers) for h in range(n_heads) if scores[l, h] > 0.4]


def first_attn_detector(cache: ActivationCache) -> list[str]:
    n_layers, n_heads = cache.model.cfg.n_layers, cache.model.cfg.n_heads
    scores = t.stack([cache["pattern", l][:, :, 0].mean(-1) for l in range(n_layers)])
    return [f"{l}.{h}" for l in range(n_layers) for h in range(n_heads) if scores[l, h] > 0.4]


# In[5]:


get_ipython().run_line_magic('timeit', 'current_attn_detector(cache)')


# ## Induction

# In[6]:


def generate_repeated_tokens(model: HookedTransformer, seq_len: int, batch: int = 1) -> Int[Tensor, "batch full_seq_len"]:
    bos = t.full((batch, 1), model.tokenizer.bos_token_id, dtype=t.int64)
    half = t.randint(0, model.cfg.d_vocab, (batch, seq_len), dtype=t.int64)
    return t.cat([bos, half, half], dim=-1).to(model.cfg.device)


def run_and_cache_model_repeated_tokens(model: HookedTransformer, seq_len: int, batch: int = 1):
    tokens = generate_repeated_tokens(model, seq_len, batch)
    logits, cache = model.run_with_cache(tokens)
    return tokens, logits, cache


def induction_attn_detector(cache: ActivationCache) -> list[str]:
    n_layers, n_heads = cache.model.cfg.n_layers, cache.model.cfg.n_heads
    n = cache["pattern", 0].shape[-1]
    offset = -((n - 1) // 2 - 1)
    scores = t.stack([cache["pattern", l].diagonal(offset, dim1=-2, dim2=-1).mean(-1) for l in range(n_layers)])
    return [f"{l}.{h}" for l in range(n_layers) for h in range(n_heads) if scores[l, h] > 0.2]


# In[7]:


rep_tokens, rep_logits, rep_cache = run_and_cache_model_repeated_tokens(model, 50)
rep_cache.remove_batch_dim()
print(induction_attn_detector(rep_cache))

