"""The words the chat understands: metric names and synonyms, intent cues and calendar words (from the
packaged `vocabulary.yaml`), and the organisation's own team, product, channel, priority and segment names
(from its data)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from importlib.resources import files
from typing import Any

import yaml

from metrics.definitions import METRICS_BY_ID
from metrics.store import OrganisationStore

#: Dimensions a drill-down can group by (priority is understood but is not one of them).
DRILLDOWN_DIMENSIONS = ("team", "product", "channel", "priority", "segment")


def normalise(text: str) -> str:
    """Lower-case words separated by single spaces: hyphens, apostrophes and punctuation become spaces and
    "n't" becomes " not", so "hand-offs", "Hand offs" and "HAND-OFFS" read alike."""
    text = text.lower().replace("’", "'").replace("can't", "can not").replace("won't", "will not")
    text = re.sub(r"n't\b", " not", text)
    text = re.sub(r"[\W_]+", " ", text)
    return " ".join(text.split())


@dataclass(frozen=True)
class Phrase:
    """Words that name something (a metric id, a group), normalised."""

    words: str
    means: str
    dimension: str | None = None


@dataclass
class Vocabulary:
    """Everything `understand` reads a question with."""

    spelling: dict[str, str]
    metric_phrases: list[Phrase]
    dimension_words: dict[str, str]
    people_nouns: frozenset[str]
    people_judgements: list[str]
    intent_order: list[str]
    intent_cues: dict[str, list[str]]
    #: Cue groups checked at their own place in the order, for the intent they name.
    intent_aliases: dict[str, str]
    more_words: list[str]
    ordinals: dict[str, int]
    openers: list[str]
    quarters: dict[str, int]
    halves: dict[str, int]
    numbers: dict[str, int]
    this_words: list[str]
    last_words: list[str]
    #: The organisation's group names, per dimension (canonical spelling from the data).
    groups: dict[str, list[str]] = field(default_factory=dict)
    group_phrases: list[Phrase] = field(default_factory=list)
    #: The day after the data's latest activity: relative periods ("this quarter") count from here.
    data_end: date | None = None
    #: Every word the vocabulary knows, for correcting small typos in other words.
    known_words: frozenset[str] = frozenset()

    def with_groups(self, groups: dict[str, list[str]], data_end: date | None) -> Vocabulary:
        """A copy that knows the organisation's group names and the end of its data."""
        phrases = [
            Phrase(normalise(name), name, dimension)
            for dimension, names in groups.items()
            for name in names
            if normalise(name)
        ]
        phrases.sort(key=lambda phrase: -len(phrase.words))
        known = set(self.known_words)
        for phrase in phrases:
            known.update(phrase.words.split())
        return Vocabulary(
            **{
                **self.__dict__,
                "groups": groups,
                "group_phrases": phrases,
                "data_end": data_end,
                "known_words": frozenset(known),
            }
        )


@lru_cache(maxsize=1)
def base_vocabulary() -> Vocabulary:
    """The packaged vocabulary, without any organisation's group names."""
    raw: dict[str, Any] = yaml.safe_load(
        files("advisor").joinpath("vocabulary.yaml").read_text(encoding="utf-8")
    )
    metric_phrases = [
        Phrase(normalise(words), metric_id)
        for metric_id, synonyms in raw["metrics"].items()
        for words in [*synonyms, metric_id, METRICS_BY_ID[metric_id].name]
        if metric_id in METRICS_BY_ID and normalise(str(words))
    ]
    metric_phrases.sort(key=lambda phrase: -len(phrase.words))
    dimension_words = {
        normalise(word): dimension for dimension, words in raw["dimensions"].items() for word in words
    }
    follow = raw["follow_ups"]
    periods = raw["periods"]
    cues = {intent: [normalise_cue(cue) for cue in phrases] for intent, phrases in raw["intents"].items()}
    vocabulary = Vocabulary(
        spelling={normalise(key): normalise(str(value)) for key, value in raw["spelling"].items()},
        metric_phrases=metric_phrases,
        dimension_words=dimension_words,
        people_nouns=frozenset(normalise(word) for word in raw["people"]["nouns"]),
        people_judgements=[normalise(word) for word in raw["people"]["judgements"]],
        intent_order=list(raw["intent_order"]),
        intent_cues=cues,
        intent_aliases=dict(raw.get("intent_aliases", {})),
        more_words=[normalise(word) for word in follow["more"]],
        ordinals={normalise(str(key)): int(value) for key, value in follow["ordinals"].items()},
        openers=sorted((normalise(word) for word in follow["openers"]), key=len, reverse=True),
        quarters={normalise(key): int(value) for key, value in periods["quarters"].items()},
        halves={normalise(key): int(value) for key, value in periods["halves"].items()},
        numbers={normalise(str(key)): int(value) for key, value in periods["numbers"].items()},
        this_words=[normalise(word) for word in periods["this"]],
        last_words=[normalise(word) for word in periods["last"]],
    )
    known: set[str] = set()
    for phrase in metric_phrases:
        known.update(phrase.words.split())
    for cue_list in cues.values():
        for cue in cue_list:
            known.update(word for word in cue.split() if word.isalpha())
    known.update(dimension_words)
    known.update(vocabulary.people_nouns)
    for words in vocabulary.people_judgements + vocabulary.more_words:
        known.update(words.split())
    known.update(name.lower() for name in calendar.month_name if name)
    vocabulary.known_words = frozenset(known)
    return vocabulary


def normalise_cue(cue: str) -> str:
    """A cue phrase, normalised except for its `*` and `{placeholder}` marks."""
    return " ".join(
        part if part in {"*", "**"} or re.fullmatch(r"\{\w+\}", part) else normalise(part)
        for part in cue.split()
    )


def group_names(store: OrganisationStore) -> dict[str, list[str]]:
    """The organisation's team, product, channel, priority and segment names, read from its tables."""
    raw: dict[str, Any] = yaml.safe_load(
        files("advisor").joinpath("vocabulary.yaml").read_text(encoding="utf-8")
    )
    found: dict[str, list[str]] = {}
    cursor = store.cursor()
    for dimension, sources in raw["group_columns"].items():
        names: set[str] = set()
        for source in sources:
            table, column = source.split(".")
            if table not in store.tables:
                continue
            columns = {row[0] for row in cursor.execute(f"DESCRIBE {table}").fetchall()}
            if column not in columns:
                continue
            rows = cursor.execute(
                f'SELECT DISTINCT CAST("{column}" AS VARCHAR) FROM {table} WHERE "{column}" IS NOT NULL LIMIT 500'
            ).fetchall()
            names.update(str(row[0]).strip() for row in rows if str(row[0]).strip())
        if names:
            found[dimension] = sorted(names, key=str.lower)
    return found


def organisation_vocabulary(store: OrganisationStore) -> Vocabulary:
    """The packaged vocabulary with the organisation's group names and the end of its data."""
    time_range = store.time_range()
    data_end = (time_range[1] + timedelta(days=1)).date() if time_range else None
    return base_vocabulary().with_groups(group_names(store), data_end)
