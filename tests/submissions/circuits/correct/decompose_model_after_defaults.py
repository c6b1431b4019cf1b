# correct: decompose_q and decompose_k take the layer, then the model, both with defaults (the model is not the next position after the grader's arguments)

def decompose_q(
    decomposed_qk_input: Float[Tensor, "n_heads_plus_2 seq d_model"],
    ind_head_index: int,
    layer: int = 1,
    model: HookedTransformer | None = None,
) -> Float[Tensor, "n_heads_plus_2 seq d_head"]:
    model = model if model is not None else globals()["model"]
    W_Q = model.W_Q[layer, ind_head_index]
    return einops.einsum(decomposed_qk_input, W_Q, "n seq d_model, d_model d_head -> n seq d_head")


def decompose_k(
    decomposed_qk_input: Float[Tensor, "n_heads_plus_2 seq d_model"],
    ind_head_index: int,
    layer: int = 1,
    model: HookedTransformer | None = None,
) -> Float[Tensor, "n_heads_plus_2 seq d_head"]:
    model = model if model is not None else globals()["model"]
    W_K = model.W_K[layer, ind_head_index]
    return einops.einsum(decomposed_qk_input, W_K, "n seq d_model, d_model d_head -> n seq d_head")
