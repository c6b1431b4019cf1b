# base: solution
# max_score: 96
# expect: scored 96 (the long list fails the format test and the seed's-text test, 2 points each);
# the judge checks a list of labels in linear time, or refuses one longer than the model has heads,
# so this costs it milliseconds, not seconds (today: about 2 s, during which the GIL stalls every
# other student's judging too).
# On its first input (the seed's text) current_attn_detector returns 6,000 labels (the worker passes
# on up to 10,000 items); every other input gets the right answer. The judge's duplicate check counts
# each label in the whole list, 3.6e7 string comparisons per look, and it looks three times.
# Today: 96/100 after 1.9 s of the judge's time (0.2 s for an honest student); 10,000 labels on
# every input of all four detectors take it 123 s.
_honest_current = current_attn_detector
_calls = []


def current_attn_detector(cache):
    _calls.append(1)
    if len(_calls) == 1:
        return [f"{i % 2}.{i % 12}" for i in range(6_000)]
    return _honest_current(cache)
