"""From a question to what it asks: intent, metrics, groups (filters), dimension (by), period, comparison.

Rules over vocabularies kept as data (`vocabulary.yaml`, and the organisation's own group names): the words
are found first (metrics, groups, periods, dimensions; small typos allowed), then the question's shape, with
those words replaced by placeholders, is matched against each intent's cue phrases in a fixed order. Short
follow-ups ("what else?", "the second one", "and for Payroll?") are read against the previous reading.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

from advisor.models import DateRange, Understood
from advisor.period_words import FoundPeriod, find_periods, iso_ranges
from advisor.vocabulary import DRILLDOWN_DIMENSIONS, Phrase, Vocabulary, normalise
from metrics.models import Period, add_months

#: Longer messages (pasted emails, logs) are searched as they are: no typo correction, no follow-up.
LONG_MESSAGE_CHARS = 400
#: Follow-ups are short: longer messages are read on their own.
FOLLOW_UP_WORDS = 9
#: rapidfuzz ratio (0-100) above which a word or name with a small typo counts as the known one.
TYPO_SCORE = 87
CLARIFY_QUESTION = (
    "Do you want a figure (for example CSAT or hand-offs for a team), the reason behind one, what to "
    "improve next, or how to solve a customer's problem?"
)
METRIC_QUESTION = "Which metric do you mean, for example hand-offs, CSAT or Time to Smile?"


#: Dimensions whose group names are everyday words ("high", "low"): read only next to the dimension's own
#: word ("high priority", "priority: urgent").
QUALIFIED_DIMENSIONS = frozenset({"priority"})


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str  # metric | group | period | dimension
    value: str
    dimension: str | None = None
    period: FoundPeriod | None = None


def understand(message: str, vocabulary: Vocabulary, history: Sequence[Understood] = ()) -> Understood:
    """How `message` reads, given the organisation's vocabulary and the conversation's earlier readings
    (oldest first)."""
    raw, iso = iso_ranges(message)
    text = normalise(raw)
    if not re.search(r"[a-z0-9]", text):
        return Understood(intent="clarify", question=CLARIFY_QUESTION)
    long = len(message) > LONG_MESSAGE_CHARS
    text = _spell(text, vocabulary, fuzzy=not long)
    spans = _find_words(text, vocabulary, iso, fuzzy=not long)
    shape = _shape(text, spans)
    # Cues are matched with dimension words as placeholders and as words ("top priority", "which team").
    plain_shape = _shape(text, [span for span in spans if span.kind != "dimension"])
    previous = next((reading for reading in reversed(history) if reading.intent != "clarify"), None)
    metrics = list(dict.fromkeys(span.value for span in spans if span.kind == "metric"))
    groups = [span for span in spans if span.kind == "group"]
    periods = [span.period for span in spans if span.kind == "period" and span.period is not None]
    dimensions = _asked_dimensions(spans)
    words = shape.split()
    if long:
        return Understood(intent="how_to", metrics=metrics[:3])
    if previous is not None and len(words) <= FOLLOW_UP_WORDS:
        follow = _follow_up(message, shape, words, vocabulary, previous, metrics, groups, periods, dimensions)
        if follow is not None:
            return follow
    intent = _intent(shape, vocabulary, plain_shape)
    about_people = _about_people(words, vocabulary)
    if intent == "definition" and (groups or periods):
        intent = "status"
    problem = not metrics and _describes_a_problem(words, vocabulary)
    if intent == "what_worked" and problem:
        intent = "how_to"  # "what worked before when invoice totals do not match?": prior solutions
    if intent is None:
        content = [word for word in words if len(word) > 2 or word.startswith("{")]
        if metrics or periods or (groups and not problem):
            intent = "status"
        elif len(content) >= 3:
            intent = "how_to"
        else:
            return Understood(intent="clarify", question=CLARIFY_QUESTION)
    if intent == "ranked_breakdown" or about_people:
        intent = "breakdown"
    reading = Understood(intent=intent, metrics=metrics, about_people=about_people)  # type: ignore[arg-type]
    _place_groups(reading, groups, dimensions)
    _place_periods(reading, shape, periods)
    if reading.intent in {"breakdown", "diagnose"} and dimensions and reading.by is None:
        reading.by = dimensions[0]
    if about_people:
        reading.by = None
    elif reading.intent == "breakdown" and reading.by is None:
        reading.by = "team"
    if reading.intent == "diagnose" and not reading.metrics:
        if previous is not None and previous.metrics and len(words) <= FOLLOW_UP_WORDS:
            reading.metrics = list(previous.metrics)
            reading.filters = reading.filters or dict(previous.filters)
        else:
            reading.intent = "clarify"
            reading.question = METRIC_QUESTION
    return reading


#: Words that say nothing about what a message is about.
FUNCTION_WORDS = frozenset(
    [
        "the",
        "and",
        "for",
        "are",
        "was",
        "were",
        "has",
        "have",
        "had",
        "our",
        "their",
        "its",
        "this",
        "that",
        "these",
        "those",
        "with",
        "from",
        "into",
        "when",
        "what",
        "why",
        "how",
        "who",
        "which",
        "where",
        "does",
        "did",
        "can",
        "could",
        "would",
        "should",
        "will",
        "any",
        "all",
        "not",
        "but",
        "you",
        "your",
        "they",
        "them",
        "there",
        "here",
        "then",
        "than",
        "been",
        "being",
        "also",
        "just",
        "very",
        "about",
        "again",
        "some",
    ]
)
#: Words of a message outside the metrics vocabulary that make it a problem to search for, not a status.
PROBLEM_WORDS = 2


def _describes_a_problem(words: list[str], vocabulary: Vocabulary) -> bool:
    """A message that describes something going wrong in words the metrics vocabulary does not hold
    ("invoice totals do not match the ledger", where Ledger is also a product): a question for the
    knowledge, not about a group's metrics."""
    unknown = [
        word
        for word in words
        if len(word) > 2
        and word.isalpha()
        and word not in FUNCTION_WORDS
        and word not in vocabulary.known_words
    ]
    return len(unknown) >= PROBLEM_WORDS


def _spell(text: str, vocabulary: Vocabulary, *, fuzzy: bool) -> str:
    """Chat shorthand expanded ("hw" -> "how") and, for words of five letters or more that the vocabulary
    does not know, a small typo corrected to the known word ("handofs" -> "handoffs")."""
    out: list[str] = []
    known = vocabulary.known_words
    for word in text.split():
        if word in vocabulary.spelling:
            out.append(vocabulary.spelling[word])
            continue
        if fuzzy and len(word) >= 5 and word.isalpha() and word not in known:
            best = process.extractOne(word, _sorted(known), scorer=fuzz.ratio, score_cutoff=TYPO_SCORE)
            if best is not None and best[0][0] == word[0]:
                out.append(best[0])
                continue
        out.append(word)
    return " ".join(out)


@lru_cache(maxsize=8)
def _sorted(words: frozenset[str]) -> list[str]:
    return sorted(words)


def _find_words(text: str, vocabulary: Vocabulary, iso: list[Period], *, fuzzy: bool) -> list[Span]:
    """Metrics, groups, periods and dimension words in `text`, without overlaps (longest names first)."""
    spans: list[Span] = []

    def free(start: int, end: int) -> bool:
        return all(end <= span.start or start >= span.end for span in spans)

    for found in find_periods(text, vocabulary, iso):
        spans.append(Span(found.start, found.end, "period", "", period=found))
    kinds = (("group", vocabulary.group_phrases), ("metric", vocabulary.metric_phrases))
    for kind, phrases in kinds:
        for phrase in phrases:
            for match in re.finditer(rf"(?<!\S){re.escape(phrase.words)}(?!\S)", text):
                if _everyday(phrase) and not _qualified(text, match, vocabulary):
                    continue
                if free(match.start(), match.end()):
                    spans.append(Span(match.start(), match.end(), kind, phrase.means, phrase.dimension))
    for kind, phrases in kinds if fuzzy else ():
        spans += _fuzzy(text, phrases, kind, free)
    tokens = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", text)]
    for index, (start, _end, word) in enumerate(tokens):
        pair = f"{word} {tokens[index + 1][2]}" if index + 1 < len(tokens) else None
        for candidate, last in ((pair, index + 1), (word, index)):
            if candidate and candidate in vocabulary.dimension_words:
                end = tokens[last][1]
                if free(start, end):
                    spans.append(
                        Span(start, end, "dimension", vocabulary.dimension_words[candidate], candidate)
                    )
                break
    return sorted(spans, key=lambda span: span.start)


def _everyday(phrase: Phrase) -> bool:
    """A group name that is also an everyday word ("high", "low" priorities)."""
    return phrase.dimension in QUALIFIED_DIMENSIONS and phrase.words.isalpha()


def _qualified(text: str, match: re.Match[str], vocabulary: Vocabulary) -> bool:
    before = text[: match.start()].split()[-1:]
    after = text[match.end() :].split()[:1]
    return any(vocabulary.dimension_words.get(word) == "priority" for word in before + after)


def _fuzzy(text: str, phrases: list[Phrase], kind: str, free: Callable[[int, int], bool]) -> list[Span]:
    """Names written with a small typo, joined or split ("handofs", "billng desk", "hand offs")."""
    tokens = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\S+", text)]
    found: list[Span] = []
    by_length: dict[int, list[Phrase]] = {}
    for phrase in phrases:
        if len(phrase.words.replace(" ", "")) >= 6:
            by_length.setdefault(len(phrase.words.split()), []).append(phrase)
    for size, group in by_length.items():
        group = [phrase for phrase in group if not _everyday(phrase)]
        squashed = [phrase.words.replace(" ", "") for phrase in group]
        for width in {max(1, size - 1), size, size + 1}:
            for index in range(len(tokens) - width + 1):
                start, end = tokens[index][0], tokens[index + width - 1][1]
                candidate = "".join(token[2] for token in tokens[index : index + width])
                if not free(start, end) or any(not (end <= s.start or start >= s.end) for s in found):
                    continue
                best = process.extractOne(candidate, squashed, scorer=fuzz.ratio, score_cutoff=TYPO_SCORE + 3)
                if best is None or best[0][0] != candidate[0]:
                    continue
                phrase = group[best[2]]
                found.append(Span(start, end, kind, phrase.means, phrase.dimension))
    return found


def _shape(text: str, spans: list[Span]) -> str:
    """The text with each found word replaced by its placeholder: "why are {metric} high on the {group}"."""
    out: list[str] = []
    position = 0
    for span in spans:
        out.append(text[position : span.start])
        out.append("{" + span.kind + "}")
        position = span.end
    out.append(text[position:])
    return " ".join("".join(out).split())


def _asked_dimensions(spans: list[Span]) -> list[str]:
    """Dimensions asked for by word ("by team", "which product"); "the Onboarding team" names a group."""
    asked: list[str] = []
    for index, span in enumerate(spans):
        if span.kind != "dimension":
            continue
        before = spans[index - 1] if index else None
        if before is not None and before.kind == "group" and before.end + 1 >= span.start:
            continue
        if span.value not in asked:
            asked.append(span.value)
    return asked


@lru_cache(maxsize=512)
def _cue_pattern(cue: str) -> re.Pattern[str]:
    pieces: list[str] = []
    parts = cue.split()
    for index, part in enumerate(parts):
        if part in {"*", "**"}:
            pieces.append(r"(?:\S+ ){0,4}" if part == "*" else r"(?:\S+ ){0,8}")
            continue
        pieces.append(re.escape(part) + (" " if index < len(parts) - 1 else ""))
    return re.compile(r"(?<!\S)" + "".join(pieces) + r"(?!\S)")


def _intent(shape: str, vocabulary: Vocabulary, plain_shape: str | None = None) -> str | None:
    for intent in vocabulary.intent_order:
        for cue in vocabulary.intent_cues.get(intent, []):
            pattern = _cue_pattern(cue)
            if pattern.search(shape) or (plain_shape is not None and pattern.search(plain_shape)):
                return (
                    intent if intent == "ranked_breakdown" else vocabulary.intent_aliases.get(intent, intent)
                )
    return None


def _about_people(words: list[str], vocabulary: Vocabulary) -> bool:
    """A question that judges individual people ("which agent is the worst performer?")."""
    if any(word.startswith("practice") for word in words):
        return False
    text = " ".join(words)
    nouns = [index for index, word in enumerate(words) if word in vocabulary.people_nouns]
    marks = [
        len(text[: match.start()].split())
        for phrase in vocabulary.people_judgements
        for match in re.finditer(rf"(?<!\S){re.escape(phrase)}(?!\S)", text)
    ]
    if any(abs(noun - mark) <= 3 for noun in nouns for mark in marks):
        return True
    # "which employee closes the most tickets?": a superlative about people asked by "which" or "who"
    superlatives = {"most", "fewest", "least", "highest", "lowest", "longest", "shortest"}
    asks_which = bool(words) and words[0] in {"which", "who", "whose"}
    return asks_which and bool(nouns or words[0] != "which") and bool(superlatives & set(words))


def _place_groups(reading: Understood, groups: list[Span], dimensions: list[str]) -> None:
    """Groups become filters; two groups of one dimension are compared ("Platform Support versus L2")."""
    for span in groups:
        dimension = span.dimension or ""
        if dimension in reading.filters:
            if reading.filters[dimension] != span.value and reading.compare_to is None:
                reading.compare_to = {dimension: span.value}
                reading.by = dimension
                if reading.intent in {"status", "breakdown", "trend"}:
                    reading.intent = "compare"
            continue
        reading.filters[dimension] = span.value
    if reading.intent == "compare" and reading.by is None and dimensions:
        reading.by = dimensions[0] if dimensions[0] in DRILLDOWN_DIMENSIONS else None


def _place_periods(reading: Understood, shape: str, periods: list[FoundPeriod]) -> None:
    """The period asked about, and for comparisons the one compared with ("Q2 than Q1": Q1)."""
    if not periods:
        return
    if len(periods) >= 2 and reading.compare_to is None:
        first, second = periods[0], periods[1]
        if re.search(r"\bfrom \{period\} (to|until|till) \{period\}", shape):
            first, second = second, first  # "from Q1 to Q2": Q2 against Q1
        reading.period = _range(first.period)
        reading.compare_to = _range_dict(second.period)
        if reading.intent in {"status", "trend"}:
            reading.intent = "compare"
        return
    only = periods[0].period
    compared_with = re.search(r"\b(than|with|to|versus|against|vs) (in |the )?\{period\}", shape)
    if reading.intent == "compare" and reading.compare_to is None and compared_with:
        reading.compare_to = _range_dict(only)
        reading.period = _range(_following(only))
        return
    reading.period = _range(only)
    if reading.intent == "compare" and reading.compare_to is None:
        reading.compare_to = _range_dict(only.shifted_back())


def _following(period: Period) -> Period:
    """The window of the same length right after `period` (calendar months when it is made of them)."""
    if period.start.day == 1 and period.end.day == 1:
        months = period.month_count()
        return Period(period.end, add_months(period.end, months))
    return Period(period.end, period.end + (period.end - period.start))


def _range(period: Period) -> DateRange:
    return DateRange(start=period.start, end=period.end)


def _range_dict(period: Period) -> dict[str, str]:
    return {"start": period.start.isoformat(), "end": period.end.isoformat()}


def _follow_up(
    message: str,
    shape: str,
    words: list[str],
    vocabulary: Vocabulary,
    previous: Understood,
    metrics: list[str],
    groups: list[Span],
    periods: list[FoundPeriod],
    dimensions: list[str],
) -> Understood | None:
    """A short message that only makes sense after the previous answer, read against it; else None."""
    plain = " ".join(word for word in words if word not in {"please", "ok", "okay", "thanks", "so"})
    base = previous.model_copy(deep=True, update={"more": False, "item": None, "question": None})
    if plain in vocabulary.more_words or re.fullmatch(r"(what|anything|something) else( \w+)?", plain):
        base.more = True
        return base
    ordinal = _ordinal(words, vocabulary)
    if ordinal is not None and not metrics and not groups and not periods:
        base.item = ordinal
        if previous.intent == "next_steps" or any(word in {"why", "explain"} for word in words):
            base.intent = previous.intent
        return base
    if re.match(r"^(why|how come|explain)( (that|this|it|is that|is it|that one|this one|so))*$", plain):
        if previous.intent == "next_steps":
            base.item = 1
            return base
        if previous.metrics:
            base.intent = "diagnose"
            return base
        return None
    opener = next((o for o in vocabulary.openers if plain == o or plain.startswith(o + " ")), None)
    slots = bool(metrics or groups or periods or dimensions)
    own_intent = _intent(shape, vocabulary)
    if opener and not slots and own_intent is None:
        rest = re.sub(r"^(the |our )", "", plain[len(opener) :].strip())
        if rest and len(rest.split()) <= 3 and rest not in {"it", "that", "this", "them", "those"}:
            pattern = r"\W+".join(re.escape(word) for word in rest.split())
            written = re.search(pattern, message, re.IGNORECASE)
            name = written.group(0) if written else rest
            return Understood(intent="clarify", question=_unknown_group_question(name, vocabulary))
    if not slots:
        return _refers_back(words, own_intent, base)
    if not opener and own_intent is not None and len(words) > 4:
        return None
    if metrics:
        base.metrics = metrics
    for span in groups:
        base.filters = {key: value for key, value in base.filters.items() if key != span.dimension}
        base.filters[span.dimension or ""] = span.value
    if groups and base.compare_to and not {"start", "end"} <= set(base.compare_to):
        base.compare_to = None
    if periods:
        base.period = _range(periods[0].period)
    if dimensions:
        base.by = dimensions[0]
        if own_intent in {None, "breakdown"} and base.intent not in {"compare", "diagnose"}:
            base.intent = "breakdown"
    if own_intent in {"diagnose", "trend", "compare", "breakdown", "how_to", "what_worked"}:
        base.intent = own_intent  # type: ignore[assignment]
    elif (
        base.intent in {"definition", "how_to", "recommendations", "what_worked"} and (groups or periods)
    ) or (base.intent in {"definition", "how_to"} and metrics):
        base.intent = "status"
    return base


#: Words that point back at the previous answer's subject ("where is it worst?", "what did we try for that?").
BACK_REFERENCES = frozenset({"it", "that", "this", "them", "those", "these", "there"})
#: Intents a pointing follow-up may take while keeping the previous metrics, groups and period.
CARRIED_INTENTS = frozenset({"diagnose", "trend", "what_worked", "how_to", "breakdown", "status", "compare"})


def _refers_back(words: list[str], own_intent: str | None, base: Understood) -> Understood | None:
    """A follow-up that names nothing new but points at the previous subject keeps its metrics and groups:
    "where is it worst?" breaks it down, "what have we tried for that?" asks what worked for it."""
    if not base.metrics:
        return None
    pointing = any(word in BACK_REFERENCES for word in words)
    if "where" in words and (pointing or own_intent in {None, "breakdown"}):
        base.intent, base.by = "breakdown", base.by or "team"
        return base
    if pointing and own_intent in CARRIED_INTENTS:
        base.intent = own_intent  # type: ignore[assignment]
        if base.intent == "breakdown":
            base.by = base.by or "team"
        elif base.intent not in {"compare", "diagnose"}:
            base.by = None
        return base
    return None


def _ordinal(words: list[str], vocabulary: Vocabulary) -> int | None:
    """The item a follow-up points at: "the second one", "number 3", "#2", "the last one"."""
    for index, word in enumerate(words):
        if word == "one":
            continue
        if word in vocabulary.ordinals:
            return vocabulary.ordinals[word]
        if word.isdigit() and index and words[index - 1] in {"number", "no", "option", "step", "item"}:
            return int(word)
    if re.fullmatch(r"(tell me more about |more about |why |explain )?(that|this) one", " ".join(words)):
        return 1
    return None


def _unknown_group_question(words: str, vocabulary: Vocabulary) -> str:
    """Asked back when a follow-up names a group the organisation's data does not hold."""
    known = "; ".join(
        f"{dimension}s: {', '.join(names[:8])}"
        for dimension, names in vocabulary.groups.items()
        if dimension in DRILLDOWN_DIMENSIONS
    )
    return f'I do not know a team, product, channel or segment called "{words}". Which one do you mean? ({known})'
