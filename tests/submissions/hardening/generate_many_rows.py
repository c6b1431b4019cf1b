# base: solution
# max_score: 80
# expect: scored 80 (generate_repeated_tokens' 20 points lost, with the shape named); the judge's
# checks of a tensor of tokens are vectorised or refuse a shape far from the expected one, so the
# batch takes seconds (today: minutes, one np.unique per row).
# generate_repeated_tokens returns 6,600,000 rows of 3 tokens, [BOS, a, b] with a != b: 19.8M
# elements, just under the worker's 20M cap per tensor. The judge's "are these tokens random?" check
# runs np.unique on every row, three times per input, for each of the six inputs.
# Today: about 7 minutes of the judge's time (2.4 s per look per 660,000 rows; 3 looks, 6 inputs);
# the test stops it at 60 s.
import torch as t


def generate_repeated_tokens(model, seq_len, batch=1):
    rows = t.empty((1_300_000, 3), dtype=t.int64)  # 3.9M elements: within the worker's cap
    rows[:, 0] = model.tokenizer.bos_token_id
    rows[:, 1] = 1
    rows[:, 2] = 2
    return rows
