"""The course secret: how graded inputs are drawn from it, how strong it must be, and how it is named.

A pack draws its graded inputs from a seed. The seed comes from the secret through scrypt, a key
derivation that is slow and memory-hard on purpose (about half a second and 128 MiB each): whoever
holds a release and a few printed lines of a graded run (a model's seed, say) and tries to guess the
secret must pay that for every guess, and a strong secret (see `weakness`) leaves too many guesses.
The derivation runs once per secret and process (`_key` is cached), never per submission.

A result says which inputs it was graded on: "public", or "secret:" and a short digest of the key.
The digest is derived from the slow key too, so it is no cheaper a check of a guess than the draw.
See docs/secrets.md.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import string

SALT = b"autograder: the graded inputs' draw, v1"
SCRYPT = dict(n=1 << 17, r=8, p=1, maxmem=1 << 28, dklen=32)
MIN_LENGTH = 20
MIN_DISTINCT = 10
PUBLIC = "public"


class WeakSecret(ValueError):
    """The secret is too easy to guess: the message says why and how to make a strong one."""


def weakness(secret: str) -> str | None:
    """Why `secret` is too weak to draw graded inputs from, or None. The rule: at least 20
    characters, at least 10 of them distinct, and not one character class only (digits, say).
    `autograder secret FILE` writes 43 random characters (256 bits)."""
    if len(secret) < MIN_LENGTH:
        return f"it has {len(secret)} characters; give at least {MIN_LENGTH}"
    if len(set(secret)) < MIN_DISTINCT:
        return f"it has {len(set(secret))} distinct characters; give at least {MIN_DISTINCT}"
    if all(c in string.digits for c in secret) or all(c in string.ascii_letters for c in secret):
        return "it is letters only or digits only; mix them (or use `autograder secret FILE`)"
    return None


def check(secret: str, source: str = "the secret") -> str:
    """The secret, stripped, if it is strong enough; WeakSecret (one line, with the fix) if not."""
    secret = secret.strip()
    if not secret:
        raise WeakSecret(f"{source} is empty: write one with `autograder secret FILE`")
    why = weakness(secret)
    if why:
        raise WeakSecret(
            f"{source} is too weak to keep the graded inputs secret: {why}; "
            "write a strong one with `autograder secret FILE`"
        )
    return secret


def new() -> str:
    """A strong secret: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


@functools.lru_cache(maxsize=8)
def _key(secret: str) -> bytes:
    return hashlib.scrypt(secret.encode(), salt=SALT, **SCRYPT)


def draw_seed(secret: str, pack: str) -> int:
    """The seed of `pack`'s draw from `secret` (64 bits): slow once per secret, then instant."""
    return int.from_bytes(hashlib.sha256(_key(secret) + b"\0draw\0" + pack.encode()).digest()[:8], "big")


def label(secret: str | None) -> str:
    """Which inputs a run uses, as results, summaries and logs say it: "public" or "secret:<digest>"."""
    if secret is None:
        return PUBLIC
    return "secret:" + hashlib.sha256(_key(secret) + b"\0label").hexdigest()[:12]
