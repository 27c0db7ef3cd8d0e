"""Answers without an LLM: each reading of a question goes to the engine that knows (the scorecard, its
drill-down, the monthly series, the diagnosis, knowledge search, recorded outcomes, tracked
recommendations), and the figures come back as a short lead sentence, then the evidence.

Drafts cite their sources as `[id]` marks (what the LLM path checks against); `chat.linkify` turns them into
links before anyone reads them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from advisor import chat
from advisor.llm import Evidence
from advisor.models import Citation, Understood
from advisor.reading import period_text
from advisor.vocabulary import DRILLDOWN_DIMENSIONS
from metrics.definitions import METRICS_BY_ID
from metrics.models import GroupValue, MetricValue, Period, Scorecard, TrendPoint, add_months
from metrics.scoring import baseline_tolerance
from prompts import format_difference, format_number, format_value

if TYPE_CHECKING:
    from advisor.service import Advisor

#: Metrics shown at most in one answer about several.
MAX_METRICS = 4
#: Months of a group's own trend (each month is one drill-down).
GROUP_TREND_MONTHS = 6
DRILLDOWN = DRILLDOWN_DIMENSIONS


@dataclass
class Draft:
    """The composed answer (with `[id]` marks) and the evidence behind it."""

    intent: str
    text: str
    citations: list[Citation]
    evidence: list[Evidence] = field(default_factory=list)
    follow_ups: list[str] = field(default_factory=list)


def period_label(period: Period | Any) -> str:
    """ "Aug 2026", "Jul–Sep 2026", "2026", "Nov 2025–Jan 2026", or the dates for other ranges."""
    return period_text(period.start, period.end)


def to_period(value: Any) -> Period | None:
    """A Period from an Understood period (DateRange) or compare_to dict, or None."""
    if value is None:
        return None
    if isinstance(value, dict):
        if not {"start", "end"} <= set(value):
            return None
        return Period(date.fromisoformat(value["start"]), date.fromisoformat(value["end"]))
    return Period(value.start, value.end)


def metric_line(metric: MetricValue) -> str:
    """ "0.97 hand-offs per ticket (n = 1,203), weak against the target of 0.5"."""
    if metric.value is None:
        return f"no value ({metric.note or 'no records in the period'})"
    judged = _judged(metric.status, metric.compared_with, metric.target, metric.baseline, metric.unit, "its")
    return f"{format_value(metric.value, metric.unit)} (n = {format_number(metric.n)}){judged}"


def group_line(metric: MetricValue, group: GroupValue) -> str:
    if group.suppressed or group.value is None or group.n is None:
        return f"not shown ({group.note or 'too few records to show without identifying people'})"
    judged = _judged(group.status, group.compared_with, metric.target, group.baseline, metric.unit, "its own")
    return f"{format_value(group.value, metric.unit)} (n = {format_number(group.n)}){judged}"


def _judged(
    status: str, compared_with: str, target: float | None, baseline: float | None, unit: str, whose: str
) -> str:
    """ ", weak against the target of 80%" or ", watch against its baseline of 0.6 hand-offs per ticket"."""
    if compared_with == "target" and target is not None:
        return f", {status} against the target of {format_value(target, unit)}"
    if compared_with == "baseline" and baseline is not None:
        return f", {status} against {whose} baseline of {format_value(baseline, unit)}"
    return ""


def change_words(
    now: float | None, before: float | None, unit: str, direction: str, *, band: float | None = None
) -> str:
    """ "0.3 hand-offs per ticket higher (worse)"; "about the same" when the change is inside `band` (the
    metric's watch band: no clear change); "" when either side is missing."""
    if now is None or before is None:
        return ""
    change = round(now - before, 4)
    if change == 0:
        return "unchanged"
    size = format_difference(change, unit)
    if band is not None and abs(change) < band:
        return f"about the same ({size} {'higher' if change > 0 else 'lower'}, inside its usual band)"
    better = (change < 0) if direction == "lower" else (change > 0)
    return f"{size} {'higher' if change > 0 else 'lower'} ({'better' if better else 'worse'})"


def watch_band(metric_id: str, reference: float | None) -> float | None:
    """The band around `reference` inside which the scorecard calls a metric neither better nor worse."""
    definition = METRICS_BY_ID.get(metric_id)
    if definition is None or reference is None:
        return None
    if definition.baseline_band is not None:
        return definition.baseline_band
    return baseline_tolerance(reference, definition.baseline_tolerance)


class Answerer:
    """Drafts an answer for one reading of a question, from the advisor's engines."""

    def __init__(self, advisor: Advisor) -> None:
        self.advisor = advisor

    # -- helpers -------------------------------------------------------------------------------------------
    def card(self, period: Period | None = None, by: str | None = None) -> Scorecard:
        return self.advisor.scorecard(period, by=by)  # type: ignore[arg-type]

    def metric_citation(self, metric_id: str) -> Citation:
        return chat.metric_citation(METRICS_BY_ID[metric_id])

    def wanted_metrics(self, understood: Understood, card: Scorecard) -> list[MetricValue]:
        """The metrics asked about, else the weak ones (worst first), else those watched."""
        if understood.metrics:
            return [card.metric(m) for m in understood.metrics[:MAX_METRICS] if m in METRICS_BY_ID]
        judged = [m for m in card.all_metrics() if m.status in {"weak", "watch"} and m.value is not None]
        judged.sort(key=lambda m: (m.status != "weak", m.score if m.score is not None else 100))
        return judged[:3]

    # -- intents -------------------------------------------------------------------------------------------
    def status(self, understood: Understood) -> Draft:
        period = to_period(understood.period)
        dimension, group = self._filter(understood)
        card = self.card(period, dimension)
        label = period_label(card.period)
        metrics = self.wanted_metrics(understood, card)
        note = self._unsupported_filters(understood)
        if not metrics:
            return self._overview(card, label, note)
        lines, citations, evidence = [], [], []
        for metric in metrics:
            citation = self.metric_citation(metric.id)
            citations.append(citation)
            if dimension and group:
                found = find_group(metric, group)
                if found is None:
                    lines.append(
                        f"**{metric.name}** for {group}: no figure "
                        f"({metric.groups_note or 'no records for this group in the period'}) [{citation.id}]."
                    )
                    continue
                lines.append(
                    f"**{metric.name}** for {found.group} ({dimension}) in {label}: {group_line(metric, found)}; "
                    f"the whole organisation: {format_value(metric.value, metric.unit)} [{citation.id}]."
                )
            else:
                lines.append(f"**{metric.name}** in {label}: {metric_line(metric)} [{citation.id}].")
                if metric.n == 0 and metric.value is None:
                    lines[-1] += f" {self._coverage()}"
                change = change_words(metric.value, metric.previous, metric.unit, metric.direction)
                if change and change != "unchanged":
                    lines.append(f"That is {change} than the period before.")
            evidence.append(Evidence(citation.id, metric.name, lines[-1]))
        text = "\n\n".join([*lines, *([note] if note else [])])
        return Draft("status", text, citations, evidence)

    def _overview(self, card: Scorecard, label: str, note: str) -> Draft:
        weak = [m for m in card.all_metrics() if m.status == "weak"]
        scored = [c for c in card.categories if c.score is not None]
        lead = f"The scorecard for {label}: {len(weak)} metric{'s' if len(weak) != 1 else ''} weak"
        lead += (
            " (" + ", ".join(f"{m.name} [{self.metric_citation(m.id).id}]" for m in weak[:5]) + ")."
            if weak
            else "."
        )
        categories = [f"- {c.name}: {format_number(c.score, 0)} / 100, {c.status}" for c in scored]
        text = "\n\n".join(part for part in [lead, "\n".join(categories), note] if part)
        citations = [self.metric_citation(m.id) for m in weak[:5]]
        return Draft("status", text, citations, [Evidence(c.id, c.title, text) for c in citations])

    def breakdown(self, understood: Understood) -> Draft:
        period = to_period(understood.period)
        by = understood.by if understood.by in DRILLDOWN else "team"
        card = self.card(period, by)
        cannot = (
            f"The drill-down splits by team, product, channel or segment, not by {understood.by}; here it is by team."
            if understood.by and understood.by not in DRILLDOWN
            else ""
        )
        label = period_label(card.period)
        metrics = self.wanted_metrics(understood, card)[:2]
        parts, citations, evidence = [], [], []
        for metric in metrics:
            citation = self.metric_citation(metric.id)
            citations.append(citation)
            shown = [g for g in metric.groups if not g.suppressed and g.value is not None]
            if not shown:
                parts.append(
                    f"**{metric.name}** cannot be broken down by {by}: "
                    f"{metric.groups_note or 'no group is large enough to show'} [{citation.id}]."
                )
                continue
            worst = max(shown, key=lambda g: (g.value or 0) * (1 if metric.direction == "lower" else -1))
            best = min(shown, key=lambda g: (g.value or 0) * (1 if metric.direction == "lower" else -1))
            high = "highest" if metric.direction == "lower" else "lowest"
            lead = (
                f"**{worst.group}** has the {high} {metric.name} by {by} in {label}: "
                f"{format_value(worst.value, metric.unit)} (n = {format_number(worst.n)}), against "
                f"{format_value(metric.value, metric.unit)} for the whole organisation; {best.group} does best "
                f"with {format_value(best.value, metric.unit)} [{citation.id}]."
            )
            rows = [f"- {g.group}: {group_line(metric, g)}" for g in metric.groups]
            parts.append(lead + "\n\n" + "\n".join(rows))
            evidence.append(Evidence(citation.id, metric.name, parts[-1]))
        if understood.filters:
            parts.append(
                f"The drill-down splits the whole organisation by {by}; it cannot also keep only "
                + ", ".join(f"{v} ({k})" for k, v in understood.filters.items())
                + "."
            )
        if cannot:
            parts.insert(0, cannot)
        parts.append("Groups are teams, products, channels or segments, never people.")
        return Draft("breakdown", "\n\n".join(parts), citations, evidence)

    def trend(self, understood: Understood) -> Draft:
        period = to_period(understood.period)
        card = self.card(period if period and period.end <= self._data_end() else None)
        metrics = self.wanted_metrics(understood, card)[:2]
        dimension, group_name = self._filter(understood)
        parts, citations, evidence = [], [], []
        for metric in metrics:
            citation = self.metric_citation(metric.id)
            citations.append(citation)
            points = [p for p in metric.trend if p.value is not None]
            if group_name and dimension:
                points = self._group_months(metric.id, points, dimension, group_name)
            if period is not None:
                points = [
                    p for p in points if period.start.isoformat()[:7] <= p.month < period.end.isoformat()[:7]
                ]
            else:
                points = points[-6:]
            if len(points) < 2:
                parts.append(
                    f"**{metric.name}** has fewer than two months with a value to show a trend [{citation.id}]."
                )
                continue
            first, last = points[0], points[-1]
            change = change_words(last.value, first.value, metric.unit, metric.direction)
            where = f" for {group_name} ({dimension})" if group_name and dimension else ""
            lead = (
                f"**{metric.name}**{where} went from {format_value(first.value, metric.unit)} in {_month(first.month)} to "
                f"{format_value(last.value, metric.unit)} in {_month(last.month)}: {change} [{citation.id}]."
            )
            rows = [
                f"- {_month(p.month)}: {format_value(p.value, metric.unit)} (n = {format_number(p.n)})"
                for p in points
            ]
            parts.append(lead + "\n\n" + "\n".join(rows))
            evidence.append(Evidence(citation.id, metric.name, parts[-1]))
        note = self._unsupported_filters(understood)
        if note:
            parts.append(note)
        return Draft("trend", "\n\n".join(parts) or "No metric to show a trend for.", citations, evidence)

    def _group_months(
        self, metric_id: str, points: list[TrendPoint], dimension: str, group: str
    ) -> list[TrendPoint]:
        """The group's own value in each of the last `GROUP_TREND_MONTHS` months (from their drill-downs);
        months where the group is too small to show are left out."""
        found = []
        for point in points[-GROUP_TREND_MONTHS:]:
            start = date.fromisoformat(point.month[:7] + "-01")
            month = Period(start, add_months(start, 1))
            row = find_group(self.card(month, dimension).metric(metric_id), group)
            if row is not None and row.value is not None and not row.suppressed:
                found.append(TrendPoint(month=point.month, value=row.value, n=row.n or 0))
        return found

    def compare(self, understood: Understood) -> Draft:
        other = understood.compare_to or {}
        if other and not {"start", "end"} <= set(other):
            return self._compare_groups(understood)
        period = to_period(understood.period)
        before = to_period(other) if other else None
        now_card = self.card(period)
        if before is None:
            before = Period(now_card.period.start, now_card.period.end).shifted_back()
        then_card = self.card(before)
        now_label, then_label = period_label(now_card.period), period_label(before)
        if understood.metrics:
            metrics = [now_card.metric(m) for m in understood.metrics[:MAX_METRICS] if m in METRICS_BY_ID]
        else:
            metrics = [m for m in now_card.all_metrics() if m.value is not None and m.kind == "outcome"]
        rows: list[tuple[MetricValue, MetricValue, str]] = []
        for metric in metrics:
            was = then_card.metric(metric.id)
            band = watch_band(metric.id, was.value)
            words = change_words(metric.value, was.value, metric.unit, metric.direction, band=band)
            rows.append((metric, was, words))
        better = sum(1 for *_, words in rows if "(better)" in words)
        worse = sum(1 for *_, words in rows if "(worse)" in words)
        moved = sorted(rows, key=lambda row: "(worse)" not in row[2])[:8]
        citations = [self.metric_citation(m.id) for m, _, _ in moved]
        if len(rows) == 1:
            metric, was, words = rows[0]
            lead = (
                f"**{metric.name}** was {format_value(metric.value, metric.unit)} in {now_label} against "
                f"{format_value(was.value, metric.unit)} in {then_label}: {words or 'not comparable'} "
                f"(n = {format_number(metric.n)} and {format_number(was.n)}) [{citations[0].id}]."
            )
            text = lead
        else:
            same = len(rows) - better - worse
            lead = (
                f"{now_label} against {then_label}: {better} metrics got better, {worse} got worse and {same} "
                "stayed about the same or cannot be compared."
            )
            lines = [
                f"- {m.name}: {format_value(m.value, m.unit)} against {format_value(w.value, w.unit)}, "
                f"{words or 'not comparable'} (n = {format_number(m.n)} and {format_number(w.n)}) "
                f"[{self.metric_citation(m.id).id}]"
                for m, w, words in moved
            ]
            text = lead + "\n\n" + "\n".join(lines)
        evidence = [Evidence(c.id, c.title, text) for c in citations]
        return Draft("compare", text, citations, evidence)

    def _compare_groups(self, understood: Understood) -> Draft:
        other = understood.compare_to or {}
        dimension = next(iter(other))
        card = self.card(to_period(understood.period), dimension if dimension in DRILLDOWN else None)
        first = understood.filters.get(dimension)
        second = other[dimension]
        label = period_label(card.period)
        lines, citations = [], []
        for metric in self.wanted_metrics(understood, card)[:3]:
            citation = self.metric_citation(metric.id)
            citations.append(citation)
            a, b = find_group(metric, first or ""), find_group(metric, second)
            if a is None or b is None or a.value is None or b.value is None:
                lines.append(f"- **{metric.name}**: no figure for both groups in {label} [{citation.id}]")
                continue
            better = a if (a.value < b.value) == (metric.direction == "lower") else b
            lines.append(
                f"- **{metric.name}**: {a.group} {group_line(metric, a)}; {b.group} {group_line(metric, b)}. "
                f"{better.group} does better [{citation.id}]"
            )
        lead = f"{first} against {second} ({dimension}) in {label}:"
        text = lead + "\n\n" + "\n".join(lines)
        return Draft("compare", text, citations, [Evidence(c.id, c.title, text) for c in citations])

    def definition(self, understood: Understood) -> Draft:
        if not understood.metrics:
            return self.clarify(understood.model_copy(update={"question": "Which metric should I explain?"}))
        parts, citations = [], []
        for metric_id in understood.metrics[:2]:
            definition = METRICS_BY_ID[metric_id]
            citation = self.metric_citation(metric_id)
            citations.append(citation)
            better = "lower" if definition.direction == "lower" else "higher"
            target = (
                f" Target: {format_value(definition.target.value, definition.unit)} ({definition.target.source})."
                if definition.target
                else (
                    " It is an activity measure: a coaching signal, never a target."
                    if definition.kind == "activity"
                    else ""
                )
            )
            text = (
                f"**{definition.name}** ({definition.id}): {definition.formula} It is measured in "
                f"{definition.unit}; {better} is better.{target} [{citation.id}]"
            )
            if definition.choices:
                text += "\n\nChoices made where the framework is silent:\n" + "\n".join(
                    f"- {choice}" for choice in definition.choices
                )
            parts.append(text)
        text = "\n\n".join(parts)
        return Draft("definition", text, citations, [Evidence(c.id, c.title, text) for c in citations])

    def clarify(self, understood: Understood) -> Draft:
        question = understood.question or "What would you like to know?"
        return Draft(
            "clarify",
            question,
            [],
            follow_ups=[
                "What should we improve next?",
                "Which team has the most hand-offs?",
                "How do I reduce hand-offs?",
            ],
        )

    def people(self, understood: Understood) -> Draft:
        text = (
            "I do not rank, compare or score individual people. The framework's metrics guide teams; they never "
            "grade people, because judging individuals by these numbers drives gaming and hides the system "
            "causes (routing, knowledge, tools) that a team can fix.\n\n"
            "I can show the same figures by team, product, channel or segment, with small groups hidden."
        )
        metric = understood.metrics[0] if understood.metrics else "C6"
        name = METRICS_BY_ID[metric].name if metric in METRICS_BY_ID else "hand-offs"
        return Draft(understood.intent, text, [], follow_ups=[f"Which team has the highest {name}?"])

    def _filter(self, understood: Understood) -> tuple[str | None, str | None]:
        for dimension, group in understood.filters.items():
            if dimension in DRILLDOWN:
                return dimension, group
        return None, None

    def _unsupported_filters(self, understood: Understood) -> str:
        """A note on the filters a drill-down cannot apply (priority; a second dimension)."""
        usable = [d for d in understood.filters if d in DRILLDOWN][:1]
        skipped = [f"{v} ({d})" for d, v in understood.filters.items() if d not in usable]
        if not skipped:
            return ""
        return (
            "The scorecard's drill-down splits by one of team, product, channel or segment at a time, so "
            + ", ".join(skipped)
            + " is not applied."
        )

    def _coverage(self) -> str:
        found = self.advisor.store().time_range()
        if not found:
            return "The data holds no activity."
        return (
            f"The data covers {period_label(Period(found[0].date(), found[1].date() + timedelta(days=1)))}."
        )

    def _data_end(self) -> date:
        found = self.advisor.store().time_range()
        return (found[1] + timedelta(days=1)).date() if found else date.today()


def find_group(metric: MetricValue, name: str) -> GroupValue | None:
    wanted = name.lower()
    return next((group for group in metric.groups if group.group.lower() == wanted), None)


def _month(month: str) -> str:
    return date.fromisoformat(month[:7] + "-01").strftime("%b %Y")
