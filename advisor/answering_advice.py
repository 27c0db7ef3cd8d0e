"""Answers that advise: next steps, why a metric moved (the diagnosis), how to do something (knowledge
search and the practices for a metric), what worked before (recorded outcomes, initiatives, prior
solutions), and where tracked recommendations stand."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from rapidfuzz import fuzz

from advisor import chat
from advisor.answering import (
    DRILLDOWN,
    Answerer,
    Draft,
    change_words,
    find_group,
    period_label,
    to_period,
)
from advisor.llm import Evidence
from advisor.models import Citation, Understood
from advisor.outcomes import describe_outcome
from metrics.definitions import METRICS_BY_ID
from metrics.errors import MetricsError
from metrics.models import MetricValue, Period, add_months
from prompts import format_number, format_value, render

#: Search results shown per answer (more with "what else?").
PAGE = 4


class AdviceAnswerer(Answerer):
    """The advising intents, on top of the figures of `Answerer`."""

    def next_steps(self, understood: Understood, shown: Sequence[str] = ()) -> Draft:
        period = to_period(understood.period)
        # a group in the question ("Where should the Billing Desk focus next?") ranks that group's own figures
        focus = next(
            ((dimension, value) for dimension, value in understood.filters.items() if dimension in DRILLDOWN),
            None,
        )
        recommendations = self.advisor.next_steps(period, limit=8, focus=focus)  # type: ignore[arg-type]
        label = period_label(self.card(period).period)
        if understood.item is not None:
            # "the second one" counts in the list the last answer showed, when it showed steps
            listed = [rec for practice in shown for rec in recommendations if rec.practice_id == practice]
            pool = listed or recommendations
            index = understood.item - 1 if understood.item > 0 else len(pool) - 1
            chosen = pool[index : index + 1] if 0 <= index < len(pool) else []
            first = bool(chosen) and chosen[0].rank == 1
            text = render("chat_why.md", recommendations=chosen, first=first)
            citations = [chat.practice_citation(rec) for rec in chosen]
            evidence = [Evidence(c.id, c.title, text) for c in citations]
            return Draft("next_steps", text or "There is no such step in the list.", citations, evidence)
        if understood.more:
            recommendations = [rec for rec in recommendations if rec.practice_id not in shown]
        else:
            recommendations = recommendations[:3]
        recommendations = recommendations[:3]
        text = render(
            "chat_next_steps.md",
            recommendations=recommendations,
            period=label,
            more=understood.more,
            group=f"{focus[1]} {focus[0]}" if focus else None,
        )
        citations = [chat.practice_citation(rec) for rec in recommendations]
        metric_ids = dict.fromkeys(target for rec in recommendations for target in rec.targets)
        citations += [self.metric_citation(m) for m in metric_ids if m in METRICS_BY_ID]
        evidence = [
            Evidence(rec.practice_id, rec.title, f"{rec.why}\nSteps:\n{rec.steps}\nMeasure:\n{rec.measure}")
            for rec in recommendations
        ]
        return Draft("next_steps", text, citations, evidence)

    def diagnose(self, understood: Understood) -> Draft:
        metric_id = understood.metrics[0]
        period = to_period(understood.period)
        try:
            report = self.advisor.diagnose(metric_id, period=period)
        except (KeyError, MetricsError) as error:
            return Draft("diagnose", f"I could not diagnose {metric_id}: {error}.", [])
        citation = self.metric_citation(metric_id)
        diagnosis_citation = Citation(
            id=f"diagnosis:{metric_id}",
            title=f"Diagnosis of {report.name}",
            kind="metric",
            url=chat.diagnosis_url(metric_id),
        )
        lead = f"{report.summary.removeprefix(metric_id + ' ')} [{diagnosis_citation.id}]"
        parts = [lead]
        wanted = {value.lower() for value in understood.filters.values()}
        segments = [s for s in report.segments if s.value != "other"]
        if understood.by is not None and any(s.by == understood.by for s in segments):
            # "which team drives it?" is answered with teams
            segments = [s for s in segments if s.by == understood.by]
        focus = [s for s in segments if s.value.lower() in wanted]
        rows = (focus + [s for s in segments if s not in focus])[:4]
        if rows:
            lines = []
            for segment in rows:
                share = (
                    f", {format_number(100 * segment.share_of_change, 0)}% of the change"
                    if segment.share_of_change is not None
                    else ""
                )
                lines.append(
                    f"- {segment.value} ({segment.by}): {format_value(segment.value_before, report.unit)} → "
                    f"{format_value(segment.value_now, report.unit)} (n = {format_number(segment.n)}){share}"
                )
            parts.append("Where the change lives:\n\n" + "\n".join(lines))
        if understood.filters and not focus:
            names = ", ".join(understood.filters.values())
            parts.append(f"{names} is not among the groups that hold the change.")
        if report.tried_note:
            parts.append(report.tried_note)
        citations = [diagnosis_citation, citation]
        options = report.practices[:3]
        if options:
            for option in options:
                citations.append(Citation(id=option.id, title=option.title, kind="practice", url=option.url))
            parts.append(
                "Practices that target it: "
                + "; ".join(f"**{option.title}** [{option.id}]" for option in options)
                + "."
            )
        text = "\n\n".join(parts)
        evidence = [Evidence(diagnosis_citation.id, diagnosis_citation.title, text)]
        evidence += [Evidence(option.id, option.title, option.title) for option in options]
        return Draft("diagnose", text, citations, evidence)

    def how_to(self, understood: Understood, message: str, shown: Sequence[str] = ()) -> Draft:
        practices = [
            practice
            for practice in self.advisor.practices.values()
            if understood.metrics and set(practice.metrics) & set(understood.metrics)
        ]
        practices = [p for p in practices if p.id not in shown]
        query = key_sentences(message)
        hits = self.advisor.search(query, k=12 + len(shown))
        hits = [hit for hit in hits if hit.id not in shown and hit.id not in {p.id for p in practices}]
        if understood.item is not None and shown:
            return self._one_item(understood.item, shown)
        parts: list[str] = []
        citations: list[Citation] = []
        evidence: list[Evidence] = []
        if practices:
            names = ", ".join(METRICS_BY_ID[m].name for m in understood.metrics if m in METRICS_BY_ID)
            chosen = sorted(practices, key=lambda p: ({"S": 0, "M": 1, "L": 2}.get(p.effort, 3), p.id))[:PAGE]
            lines = []
            for practice in chosen:
                summary = _first_sentence(practice.section("Why it works") or practice.body)
                lines.append(f"- **{practice.title}** [{practice.id}] (effort {practice.effort}): {summary}")
                citations.append(
                    Citation(
                        id=practice.id, title=practice.title, kind="practice", url=f"/practices/{practice.id}"
                    )
                )
                evidence.append(Evidence(practice.id, practice.title, practice.body[:1500]))
            lead = (
                "Other practices"
                if understood.more
                else f"{len(chosen)} practices move {names}; the quickest"
            )
            lead += f" to start is **{chosen[0].title}**." if not understood.more else f" that move {names}:"
            parts.append(lead + "\n\n" + "\n".join(lines))
            hits = [hit for hit in hits if hit.kind != "practice"][:2]
        text, found = chat.compose_search(
            hits, limit=PAGE if not practices else 2, query="" if practices else query
        )
        if found:
            parts.append(text if not practices else "From shared knowledge: " + text[0].lower() + text[1:])
            citations += found
            relevant = {c.id for c in found}
            evidence += [Evidence(hit.id, hit.title, hit.snippet) for hit in hits if hit.id in relevant]
        if not parts:
            parts.append(text)
        return Draft("how_to", "\n\n".join(parts), citations, evidence)

    def _one_item(self, item: int, shown: Sequence[str]) -> Draft:
        index = item - 1 if item > 0 else len(shown) - 1
        if not 0 <= index < len(shown):
            return Draft(
                "how_to", f"The last answer listed {len(shown)} sources; there is no number {item}.", []
            )
        document_id = shown[index]
        practice = self.advisor.practices.get(document_id)
        if practice is not None:
            citation = Citation(
                id=practice.id, title=practice.title, kind="practice", url=f"/practices/{practice.id}"
            )
            steps = practice.section("Steps") or _plain(practice.body)[:800]
            text = f"**{practice.title}** [{practice.id}] (effort {practice.effort}, {practice.time_to_impact}):\n\n{steps}"
            return Draft(
                "how_to", text, [citation], [Evidence(practice.id, practice.title, practice.body[:2000])]
            )
        hits = [hit for hit in self.advisor.search(document_id, k=5) if hit.id == document_id]
        if not hits:
            return Draft("how_to", "I cannot find that source again.", [])
        hit = hits[0]
        citation = chat.hit_citation(hit)
        text = f"**{hit.title}** [{hit.id}]: {_plain(hit.snippet)}"
        return Draft("how_to", text, [citation], [Evidence(hit.id, hit.title, hit.snippet)])

    def what_worked(self, understood: Understood, message: str) -> Draft:
        lines, citations = self.tracked_outcomes(understood.metrics)
        parts: list[str] = []
        evidence: list[Evidence] = []
        metric_ids = understood.metrics or []
        initiative = self._initiative(message)
        if initiative is not None:
            started = initiative["started_at"]
            day = started.date() if isinstance(started, datetime) else started
            named = self.advisor.understand(str(initiative["name"])).filters
            group = next(((d, v) for d, v in named.items() if d in DRILLDOWN), None)
            checks = []
            for metric_id in metric_ids[:2] or ["C6", "C1b"]:
                measured = self.before_after(metric_id, day, group)
                if measured is None:
                    continue
                was, now, before, after = measured
                words = change_words(now.value, was.value, now.unit, now.direction) or "not comparable"
                citation = self.metric_citation(metric_id)
                citations.append(citation)
                checks.append(
                    f"- {now.name}{' in ' + group[1] if group else ''}: {format_value(was.value, now.unit)} in {period_label(before)} (n = "
                    f"{format_number(was.n)}) → {format_value(now.value, now.unit)} in {period_label(after)} "
                    f"(n = {format_number(now.n)}): {words} [{citation.id}]"
                )
            if checks:
                parts.append(
                    f"Around **{initiative['name']}** (started {day:%d %b %Y}), before against after:\n\n"
                    + "\n".join(checks)
                    + "\n\nA before/after change is a clue, not proof: other things changed too."
                )
        if lines:
            parts.append(
                "Measured outcomes of finished recommendations (each step against the groups it did not "
                "touch, or against its own history when it covered everyone; 95% intervals):\n\n"
                + "\n".join(lines)
            )
        solutions = [
            hit
            for hit in self.advisor.search(key_sentences(message), k=6, kinds=["solution"])
            if hit.id not in {c.id for c in citations}
        ][:3]
        if solutions:
            text, found = chat.compose_search(solutions, limit=3)
            parts.append("From prior solutions: " + text[0].lower() + text[1:])
            citations += found
            evidence += [Evidence(hit.id, hit.title, hit.snippet) for hit in solutions]
        if not parts:
            names = ", ".join(METRICS_BY_ID[m].name for m in metric_ids if m in METRICS_BY_ID) or "any metric"
            parts.append(
                f"Nothing is recorded yet on what moved {names}: no finished recommendation has a measured "
                "outcome. Mark a recommendation done and the advisor measures it before and after."
            )
        lead = parts[0]
        text = "\n\n".join([lead, *parts[1:]])
        evidence += [Evidence(c.id, c.title, text) for c in citations]
        return Draft("what_worked", text, citations, evidence)

    def _initiative(self, message: str) -> dict[str, Any] | None:
        """The initiative the question names ("the swarming pilot"), when the organisation records them."""
        best, score = None, 0.0
        lowered = message.lower()
        for initiative in self.initiatives():
            name = str(initiative["name"]).lower()
            words = [
                w for w in re.findall(r"[a-z]{4,}", name) if w not in {"with", "pilot", "review", "team"}
            ]
            hits = sum(1 for word in words if word in lowered)
            similarity = fuzz.partial_ratio(name, lowered) / 100 + hits
            if hits and similarity > score:
                best, score = initiative, similarity
        return best

    def initiatives(self) -> list[dict[str, Any]]:
        """The organisation's initiatives (name, start), when it records them."""
        store = self.advisor.store()
        if "initiatives" not in store.tables:
            return []
        result = store.cursor().execute("SELECT id, name, started_at FROM initiatives ORDER BY started_at")
        return [{"id": row[0], "name": str(row[1]), "started_at": row[2]} for row in result.fetchall()]

    def before_after(
        self, metric_id: str, started: date, group: tuple[str, str] | None = None, months: int = 3
    ) -> tuple[MetricValue, MetricValue, Period, Period] | None:
        """The metric over equal windows before and after `started` (whole months, up to the data's end),
        for one (dimension, group) when given: its figures replace the organisation's."""
        first = date(started.year, started.month, 1)
        end = min(add_months(first, months + 1), self._data_end())
        after = Period(add_months(first, 1), end) if add_months(first, 1) < end else None
        if after is None:
            return None
        before = Period(add_months(first, -after.month_count() or -months), first)
        by = group[0] if group and group[0] in DRILLDOWN else None
        try:
            was, now = self.card(before, by).metric(metric_id), self.card(after, by).metric(metric_id)
        except (KeyError, MetricsError):
            return None
        if by and group:
            then_group, now_group = find_group(was, group[1]), find_group(now, group[1])
            if then_group is None or now_group is None:
                return None
            was = was.model_copy(update={"value": then_group.value, "n": then_group.n or 0})
            now = now.model_copy(update={"value": now_group.value, "n": now_group.n or 0})
        return was, now, before, after

    def tracked_outcomes(self, metric_ids: list[str]) -> tuple[list[str], list[Citation]]:
        """Done recommendations' measured outcomes for the metrics (all metrics when none named)."""
        advisor = self.advisor
        tracked = advisor.recommendations.list(organisation=advisor.organisation())
        lines, citations = [], []
        for rec in tracked:
            outcomes = [o for o in rec.outcomes if not metric_ids or o.metric_id in metric_ids]
            if rec.status != "done" or not outcomes:
                continue
            citation = chat.practice_citation(rec)
            citations.append(citation)
            lines.append(
                f"- **{rec.title}** [{citation.id}]: "
                + "; ".join(describe_outcome(o) for o in outcomes)
                + "."
            )
        return lines, citations

    def recommendations(self, understood: Understood, message: str) -> Draft:
        advisor = self.advisor
        tracked = advisor.recommendations.list(organisation=advisor.organisation())
        status = next(
            (
                s
                for s in ("in_progress", "accepted", "proposed", "done", "dismissed")
                if s.replace("_", " ") in message.lower()
            ),
            None,
        )
        if status is not None:
            tracked = [rec for rec in tracked if rec.status == status]
        text, citations = chat.compose_tracked(tracked)
        if status is not None and not tracked:
            text = f"No recommendation is {status.replace('_', ' ')} right now."
        evidence = [
            Evidence(
                rec.practice_id, rec.title, "; ".join(describe_outcome(o) for o in rec.outcomes) or rec.status
            )
            for rec in tracked
        ]
        return Draft("recommendations", text, citations, evidence)


def key_sentences(message: str) -> str:
    """What to search for: the message itself; the knowledge index searches a long pasted text by its most
    informative sentences (knowledge.key_sentences, weighted against its own vocabulary)."""
    return message


def _first_sentence(text: str) -> str:
    plain = _plain(text)
    match = re.match(r"(.{20,240}?[.!?])(\s|$)", plain)
    return match.group(1) if match else plain[:240]


def _plain(text: str) -> str:
    """Markdown as one line of plain text: no headings, list marks, emphasis or link syntax."""
    text = re.sub(r"^#+\s*.*$", "", text, flags=re.M)
    text = re.sub(r"^\s*(?:[-*+]|\d+\.)\s+", "", text, flags=re.M)
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    text = re.sub(r"[*_`]{1,3}", "", text)
    return " ".join(text.split())
