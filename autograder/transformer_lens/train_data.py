"""The default model's training data, which the project makes itself, and its tokenizer.

Two kinds of training rows, both starting with BOS (`make_batch` mixes them):
- repeats: random token ids in which spans recur, copied from random earlier places. Only
  induction (find the earlier copy of the current token, predict the token after it) predicts the
  copies, as in the exercise's repeated-tokens sequences.
- text: documents from a small probabilistic grammar of English-like sentences whose vocabulary
  includes every word of the exercise's sample text, so the model is trained on text like the text
  the exercise runs it on. Each document keeps coming back to a few topic words.

The tokenizer is a byte-level BPE trained on the grammar's text: the sample text's words are
single tokens. Everything is drawn from a `random.Random(seed)`: the data is a function of the seed.
"""

from __future__ import annotations

import random

import torch
from jaxtyping import Bool, Int
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from torch import Tensor

BOS = "<|endoftext|>"  # as in the seed's GPT-NeoX tokenizer, and with the same id
BOS_ID = 0

# The exercise's sample text (`text` in solutions/induction_heads.py).
SAMPLE_TEXT = (
    "We think that powerful, significantly superhuman machine intelligence is more likely than not "
    "to be created this century. If current machine learning techniques were scaled up to this "
    "level, we think they would by default produce systems that are deceptive or manipulative, and "
    "that no solid plans are known for how to avoid this."
)

# Word lists as text, split below: "a/b" pairs are (singular, plural) or verb forms; "_" joins a
# two-word mass noun.

NOUNS = [
    tuple(pair.split("/"))
    for pair in """
    machine/machines system/systems technique/techniques plan/plans model/models method/methods
    level/levels century/centuries goal/goals problem/problems question/questions idea/ideas
    result/results researcher/researchers agent/agents program/programs computer/computers
    network/networks algorithm/algorithms risk/risks team/teams lab/labs paper/papers
    theory/theories approach/approaches design/designs decision/decisions answer/answers task/tasks
    tool/tools company/companies government/governments user/users person/people mind/minds
    process/processes experiment/experiments feature/features circuit/circuits head/heads
    layer/layers token/tokens pattern/patterns benchmark/benchmarks student/students
    scientist/scientists engineer/engineers world/worlds future/futures argument/arguments
    failure/failures test/tests
""".split()
]

MASS_NOUNS = [
    noun.replace("_", " ")
    for noun in """
    intelligence machine_learning machine_intelligence learning progress research safety alignment
    training data evidence knowledge work power compute interpretability deception oversight
    uncertainty capability understanding
""".split()
]

ADJECTIVES = """
    powerful superhuman deceptive manipulative solid current large small new old safe dangerous
    useful simple complex general careful clear good bad strong weak honest important difficult
    possible human future intelligent reliable robust modern early capable transparent narrow
""".split()

ADVERBS = """
    significantly probably clearly quickly slowly rarely often already still really also never
    always carefully certainly surely much
""".split()

# (base, third person singular, past participle) of transitive verbs.
VERBS = [
    tuple(forms.split("/"))
    for forms in """
    produce/produces/produced create/creates/created avoid/avoids/avoided build/builds/built
    train/trains/trained study/studies/studied scale/scales/scaled use/uses/used test/tests/tested
    find/finds/found design/designs/designed improve/improves/improved
    understand/understands/understood control/controls/controlled deploy/deploys/deployed
    learn/learns/learned make/makes/made solve/solves/solved predict/predicts/predicted
    explain/explains/explained measure/measures/measured change/changes/changed know/knows/known
    see/sees/seen need/needs/needed prevent/prevents/prevented reduce/reduces/reduced
    increase/increases/increased copy/copies/copied
""".split()
]

THINK_VERBS = [
    tuple(forms.split("/"))
    for forms in """
    think/thinks believe/believes expect/expects suspect/suspects argue/argues know/knows
    hope/hopes fear/fears say/says claim/claims
""".split()
]

MODALS = "would could might will should can may must".split()

PRONOUNS_PLURAL = ["we", "they", "you", "people", "researchers", "most people", "many experts"]

PREPOSITIONS = "by for with in on from about of at into over without".split()


class Grammar:
    """Draws English-like sentences. Each document has a few topic words it reuses."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.topic_nouns = NOUNS
        self.topic_mass = MASS_NOUNS

    def new_document(self) -> None:
        """Picks the next document's topic words: documents keep coming back to a few words."""
        self.topic_nouns = self.rng.sample(NOUNS, 4)
        self.topic_mass = self.rng.sample(MASS_NOUNS, 2)

    def pick(self, items: list, p_topic: float, topic: list):
        """A topic item with probability `p_topic`, else any item."""
        if self.rng.random() < p_topic:
            return self.rng.choice(topic)
        return self.rng.choice(items)

    def adjectives(self) -> list[str]:
        """None (most often), or an adjective, maybe after an adverb or another adjective."""
        r = self.rng.random()
        if r < 0.55:
            return []
        words = [self.rng.choice(ADJECTIVES)]
        if r < 0.7:
            words.insert(0, self.rng.choice(ADVERBS))  # "significantly superhuman"
        elif r < 0.8:
            words.insert(0, self.rng.choice(ADJECTIVES))
        return words

    def noun_phrase(self) -> tuple[list[str], bool]:
        """Returns (words, plural)."""
        r = self.rng.random()
        if r < 0.35:
            _, plural = self.pick(NOUNS, 0.6, self.topic_nouns)
            det = self.rng.choice(["the", "these", "those", "some", "many", "most", "no", "our", "their", ""])
            return ([det] if det else []) + self.adjectives() + [plural], True
        if r < 0.65:
            singular, _ = self.pick(NOUNS, 0.6, self.topic_nouns)
            det = self.rng.choice(["the", "a", "this", "that", "every", "one", "each", "our", "their", "any"])
            words = [det, *self.adjectives(), singular]
            if words[0] == "a" and words[1][0] in "aeiou":
                words[0] = "an"
            return words, False
        if r < 0.85:
            mass = self.pick(MASS_NOUNS, 0.6, self.topic_mass)
            return self.adjectives() + mass.split(), False
        if r < 0.93:
            return self.rng.choice(PRONOUNS_PLURAL).split(), True
        return [self.rng.choice(["this", "it"])], False

    def object_phrase(self) -> list[str]:
        """A noun phrase in object form ("us", not "we")."""
        words, _ = self.noun_phrase()
        if words in (["we"], ["they"]):
            return ["us"] if words == ["we"] else ["them"]
        return words

    def adjective_phrase(self) -> list[str]:
        """What follows "is": "deceptive or manipulative", "more likely than not to be created"..."""
        r = self.rng.random()
        if r < 0.3:
            return [self.rng.choice(ADJECTIVES)]
        if r < 0.5:
            return [self.rng.choice(ADVERBS), self.rng.choice(ADJECTIVES)]
        if r < 0.7:
            return [self.rng.choice(ADJECTIVES), "or", self.rng.choice(ADJECTIVES)]
        if r < 0.85:
            return ["more", self.rng.choice(ADJECTIVES), "than", *self.object_phrase()]
        verb = self.rng.choice(VERBS)
        return ["more", "likely", "than", "not", "to", "be", verb[2], *self.adjunct()]

    def adjunct(self) -> list[str]:
        """Nothing, or a phrase that ends a clause: "this century", "by default", "for how to"..."""
        r = self.rng.random()
        if r < 0.35:
            return []
        if r < 0.45:
            return ["this", "century"]
        if r < 0.55:
            return ["by", "default"]
        if r < 0.65:
            return ["for", "how", "to", self.rng.choice(VERBS)[0], *self.object_phrase()]
        if r < 0.75:
            return ["up", "to", "this", "level"]
        return [self.rng.choice(PREPOSITIONS), *self.object_phrase()]

    def clause(self) -> list[str]:
        """Subject and predicate, in number agreement."""
        subject, plural = self.noun_phrase()
        r = self.rng.random()
        if r < 0.3:
            verb = ("are" if plural else "is") if self.rng.random() < 0.8 else ("were" if plural else "was")
            return subject + [verb] + self.adjective_phrase()
        if r < 0.5:
            modal = [self.rng.choice(MODALS)] + (["by", "default"] if self.rng.random() < 0.15 else [])
            if self.rng.random() < 0.2:
                modal.append("not")
            return subject + modal + [self.rng.choice(VERBS)[0]] + self.object_phrase() + self.adjunct()
        if r < 0.7:
            base, third, _ = self.rng.choice(VERBS)
            return subject + [base if plural else third] + self.object_phrase() + self.adjunct()
        verb = ("are" if plural else "is") if self.rng.random() < 0.5 else ("were" if plural else "was")
        return subject + [verb, self.rng.choice(VERBS)[2]] + self.adjunct()

    def sentence(self) -> str:
        """A clause, two joined clauses, "If ..., ..." or "We think that ...", capitalised."""
        r = self.rng.random()
        if r < 0.25:
            subject = self.rng.choice(PRONOUNS_PLURAL + ["she", "he"])
            base, third = self.rng.choice(THINK_VERBS)
            words = subject.split() + [third if subject in ("she", "he") else base, "that", *self.clause()]
            if self.rng.random() < 0.3:
                words += [",", "and", "that", *self.clause()]
        elif r < 0.45:
            words = ["if", *self.clause(), ",", *self.clause()]
        elif r < 0.6:
            words = [*self.clause(), ",", self.rng.choice(["and", "but", "so", "or"]), *self.clause()]
        else:
            words = self.clause()
        text = " ".join(words).replace(" ,", ",") + "."
        return text[0].upper() + text[1:]

    def document(self, n_sentences: int) -> str:
        """`n_sentences` sentences on new topic words."""
        self.new_document()
        return " ".join(self.sentence() for _ in range(n_sentences))


def sample_documents(n_documents: int, seed: int) -> list[str]:
    """Draws `n_documents` documents of 3 to 8 sentences."""
    grammar = Grammar(random.Random(seed))
    return [grammar.document(grammar.rng.randint(3, 8)) for _ in range(n_documents)]


def train_tokenizer(documents: list[str], vocab_size: int) -> Tokenizer:
    """A byte-level BPE tokenizer (GPT-2 style) trained on `documents`, with BOS id 0.

    Byte-level means any text can be tokenized; training on the grammar's text makes its words (and
    so the sample text's) single tokens. The post-processor prepends BOS, as `model.to_tokens` wants.
    """
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[BOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(documents, trainer=trainer)
    assert tokenizer.token_to_id(BOS) == BOS_ID  # the first special token gets id 0
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{BOS} $A", special_tokens=[(BOS, BOS_ID)]
    )
    return tokenizer


def repeat_row(rng: random.Random, length: int, d_vocab: int, max_segment: int) -> list[int]:
    """BOS, then random tokens in which spans copied from random earlier places recur.

    The copies' sources are random, so no rule based on position (such as "the second half repeats
    the first") predicts them: matching tokens, i.e. induction, is what does.
    """
    row = [BOS_ID] + [rng.randrange(d_vocab) for _ in range(rng.randint(3, max_segment))]
    while len(row) < length:
        if rng.random() < 0.5:
            row += [rng.randrange(d_vocab) for _ in range(rng.randint(1, max_segment))]
        else:
            start = rng.randrange(1, len(row) - 2)
            row += row[start : start + rng.randint(3, max_segment)]
    return row[:length]


def text_row(rng: random.Random, docs: list[list[int]], length: int) -> list[int]:
    """BOS, then consecutive documents (token ids without BOS) from a random one on."""
    row, i = [BOS_ID], rng.randrange(len(docs))
    while len(row) < length:
        row += docs[i % len(docs)]
        i += 1
    return row[:length]


def make_batch(
    rng: random.Random, docs: list[list[int]], d_vocab: int, length: int, batch: int, text_frac: float
) -> tuple[Int[Tensor, "batch pos"], Bool[Tensor, " batch"]]:
    """`batch` rows of `length` tokens, each a text row with probability `text_frac`, else a repeats
    row; and which rows are text."""
    # Short spans in short rows: more copies per row, and induction forms sooner.
    max_segment = 8 if length <= 32 else min(length // 2, 100)
    is_text = [rng.random() < text_frac for _ in range(batch)]
    rows = [
        text_row(rng, docs, length) if text else repeat_row(rng, length, d_vocab, max_segment)
        for text in is_text
    ]
    return torch.tensor(rows), torch.tensor(is_text)
