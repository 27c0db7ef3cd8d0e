"""What to search for in a long message (a pasted customer e-mail): its most informative sentences.

MiniLM reads only its first 256 word pieces and BM25 drowns in greetings and signatures, so a message longer
than `LONG_QUERY_CHARS` is searched by the sentences that carry the most rare-word weight (IDF against the
keyword index's vocabulary, per sentence, normalised by the square root of its length so one long rambling
sentence does not win by size), kept in their original order. No LLM involved.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from knowledge.keyword import tokenize

#: Messages longer than this are searched by their key sentences.
LONG_QUERY_CHARS = 400
#: At most this many sentences, and this many characters, are searched.
KEY_SENTENCES = 3
KEY_CHARS = 400
_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")
#: Lines that say nothing about the problem: greetings, thanks, sign-offs, quoted replies, headers.
_NOISE = re.compile(
    r"^(>|(hi|hello|hey|dear|thanks|thank you|many thanks|regards|best|kind regards|cheers|sent from|from:|"
    r"to:|subject:|date:|cc:|on .* wrote:)\b)",
    re.IGNORECASE,
)


def key_sentences(message: str, weight: Callable[[str], float], *, sentences: int = KEY_SENTENCES) -> str:
    """`message` itself when short; else its `sentences` most informative sentences in their order, at most
    `KEY_CHARS` characters. `weight` gives a token's weight (its IDF); unknown words should weigh most."""
    message = message.strip()
    if len(message) <= LONG_QUERY_CHARS:
        return message
    candidates = [
        " ".join(part.split())
        for part in _SPLIT.split(message)
        if len(part.split()) >= 3 and not _NOISE.match(part.strip())
    ]
    if not candidates:
        return message[:KEY_CHARS]
    scored = []
    for number, sentence in enumerate(candidates):
        tokens = set(tokenize(sentence))
        score = sum(weight(token) for token in tokens) / math.sqrt(max(len(tokens), 1))
        scored.append((score, number))
    chosen = sorted(number for _, number in sorted(scored, key=lambda item: (-item[0], item[1]))[:sentences])
    text = ""
    for number in chosen:
        sentence = candidates[number][:KEY_CHARS]
        if text and len(text) + 1 + len(sentence) > KEY_CHARS:
            break
        text = f"{text} {sentence}".strip()
    return text
