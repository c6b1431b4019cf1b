# correct: decompose_q and decompose_k take the notebook's model as a default (`model=model`), bound when the cell ran; the grader runs the file with `if MAIN:` off, so the model was never loaded then


def decompose_q(decomposed_qk_input, ind_head_index, model=model):
    W_Q = model.W_Q[1, ind_head_index]
    return einops.einsum(decomposed_qk_input, W_Q, "n seq d_model, d_model d_head -> n seq d_head")


def decompose_k(decomposed_qk_input, ind_head_index, model: HookedTransformer = model):
    return decomposed_qk_input @ model.W_K[1, ind_head_index]

