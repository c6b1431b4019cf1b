# base: stubs
# max_score: 0
# Return values that run code when unpickled: a judge that unpickles them creates the marker file.
import os
import pickle


class Payload:
    def __reduce__(self):
        return (os.system, ("touch {{MARKER}}/unpickled",))


def current_attn_detector(cache):
    return pickle.dumps(Payload())


def prev_attn_detector(cache):
    return Payload()


def first_attn_detector(cache):
    return [Payload(), pickle.dumps(Payload())]


induction_attn_detector = first_attn_detector


def generate_repeated_tokens(model, seq_len, batch=1):
    return Payload()


def run_and_cache_model_repeated_tokens(model, seq_len, batch=1):
    return (Payload(), pickle.dumps(Payload()), Payload())
