"""The diagnosis report: why a metric is weak (where, since when), what this organisation tried before, and the
practices that fit, scoped to the segment that drives it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from urllib.parse import quote, urlencode

from advisor.models import (
    DiagnosisReport,
    PracticeOption,
    PriorSolution,
    Recommendation,
    TrackedRecommendation,
)
from advisor.outcomes import describe_outcome
from advisor.scoping import change_word, driving_segment, segment_name, share_text
from knowledge.models import Hit, Practice, SearchFilters
from metrics.definitions import METRICS_BY_ID
from metrics.diagnosis import Request as DiagnosisRequest
from metrics.diagnosis import diagnose_many
from metrics.models import Diagnosis, Period, Scorecard
from metrics.store import OrganisationStore
from prompts import format_number

#: Statuses of the organisation's own recommendations that count as "tried".
TRIED_STATUSES = frozenset({"in_progress", "done"})
#: Cases and articles shown at most.
MAX_KNOWLEDGE = 3
EFFORT_ORDER = {"S": 0, "M": 1, "L": 2}

Search = Callable[[str, SearchFilters | None], list[Hit]]


def build_report(
    diagnosis: Diagnosis,
    *,
    recommendations: Sequence[TrackedRecommendation],
    practices: Sequence[Practice],
    search: Search | None = None,
) -> DiagnosisReport:
    """The diagnosis with the organisation's own earlier steps for the metric (and their measured effect),
    the cases and articles that speak to the driving segment and the problem, and the library's practices."""
    segment = driving_segment(diagnosis)
    scope = {segment.by: segment.value} if segment else None
    own = [
        recommendation
        for recommendation in recommendations
        if diagnosis.metric in recommendation.targets and recommendation.status in TRIED_STATUSES
    ]
    prior = [_own_solution(recommendation, diagnosis.metric) for recommendation in own]
    if search is not None and diagnosis.value is not None:
        seen = {f"solution:{recommendation.id}" for recommendation in own}
        prior += _knowledge(diagnosis, scope, search, seen)
    done_practices = {recommendation.practice_id for recommendation in own}
    options = [
        PracticeOption(
            id=practice.id,
            title=practice.title,
            url=f"/practices/{quote(practice.id, safe='')}",
            effort=practice.effort,
            time_to_impact=practice.time_to_impact,
            level=practice.level,
            metrics=list(practice.metrics),
            tried=practice.id in done_practices,
            scope=scope,
        )
        for practice in practices
        if diagnosis.metric in practice.metrics
    ]
    # Untried first; then the practices aimed first at this metric (it leads their list), quick ones first.
    options.sort(
        key=lambda option: (
            option.tried,
            option.metrics.index(diagnosis.metric),
            EFFORT_ORDER.get(option.effort, 3),
            option.id,
        )
    )
    return DiagnosisReport(
        **diagnosis.model_dump(),
        prior_solutions=prior,
        practices=options,
        tried_note=_tried_note(diagnosis, own),
        summary=summary(diagnosis),
    )


def _own_solution(recommendation: TrackedRecommendation, metric_id: str) -> PriorSolution:
    outcomes = [outcome for outcome in recommendation.outcomes if outcome.metric_id == metric_id]
    return PriorSolution(
        kind="recommendation",
        id=recommendation.id,
        title=recommendation.title,
        url="/recommendations",
        status=recommendation.status,
        outcome="; ".join(describe_outcome(outcome) for outcome in outcomes) or None,
        improved=outcomes[0].improved if outcomes else None,
    )


def _knowledge(
    diagnosis: Diagnosis, scope: dict[str, str] | None, search: Search, seen: set[str]
) -> list[PriorSolution]:
    """Resolved cases, articles and others' solutions about the problem, in the driving segment first."""
    where = " ".join(scope.values()) if scope else ""
    query = f"{diagnosis.name} {where}".strip()
    filters = SearchFilters(products=[scope["product"]]) if scope and "product" in scope else None
    hits = search(query, filters)
    if scope and "team" in scope:
        # Cases carry their team: prefer the driving team's, then the rest.
        hits.sort(key=lambda hit: hit.metadata.get("team") != scope["team"])
    found = []
    titles = set()
    for hit in hits:
        # Templated closures share a title: one of each is enough.
        if hit.id in seen or hit.title in titles or hit.kind not in ("case", "article", "solution"):
            continue
        seen.add(hit.id)
        titles.add(hit.title)
        found.append(
            PriorSolution(
                kind=hit.kind,  # type: ignore[arg-type]
                id=hit.id,
                title=hit.title,
                url=_document_url(hit),
                snippet=hit.snippet[:300],
            )
        )
        if len(found) == MAX_KNOWLEDGE:
            break
    return found


def _document_url(hit: Hit) -> str:
    if hit.kind == "article":
        return f"/articles/{quote(hit.id.removeprefix('article:'), safe='')}"
    return f"/knowledge/document?{urlencode({'id': hit.id})}"


def _tried_note(diagnosis: Diagnosis, own: Sequence[TrackedRecommendation]) -> str:
    if not own:
        return (
            f"This organisation has not tried anything for {diagnosis.metric} {diagnosis.name} yet: no "
            "recommendation targeting it was started or done."
        )
    parts = []
    for recommendation in own:
        outcomes = [outcome for outcome in recommendation.outcomes if outcome.metric_id == diagnosis.metric]
        effect = "; ".join(describe_outcome(outcome) for outcome in outcomes) or "no measured effect yet"
        state = "done" if recommendation.status == "done" else "in progress"
        parts.append(f"{recommendation.title} ({state}: {effect})")
    return f"Tried here before for {diagnosis.metric}: " + "; ".join(parts) + "."


def value_text(value: float | None, unit: str) -> str:
    if value is None:
        return "no value"
    return f"{format_number(value)}%" if unit == "%" else f"{format_number(value)} {unit}"


def summary(diagnosis: Diagnosis) -> str:
    """One sentence: what changed against what, where it lives, and since when."""
    name = f"{diagnosis.metric} {diagnosis.name}"
    if not diagnosis.decomposable or diagnosis.change is None or diagnosis.compared_with is None:
        return f"{name}: {diagnosis.note or 'nothing to compare with'}."
    reference = diagnosis.compared_with
    against = {
        "baseline": "the baseline",
        "previous": "the previous period",
        "target": "the target",
    }[reference.kind]
    text = (
        f"{name} is {value_text(diagnosis.value, diagnosis.unit)} against "
        f"{value_text(reference.value, diagnosis.unit)} for {against}"
    )
    segment = driving_segment(diagnosis)
    if segment is not None:
        effect = "its own rate" if segment.effect == "rate" else "a shift of work toward it (mix)"
        text += (
            f"; {segment_name(segment)} holds {share_text(segment)} of the {change_word(diagnosis)}, "
            f"through {effect}"
        )
    elif diagnosis.change:
        text += "; no one group holds most of the change: it is spread across the organisation"
    if diagnosis.since:
        text += f"; it left its usual band in {diagnosis.since}"
    return text + "."


def practice_recommendation(
    practice: Practice, report: DiagnosisReport, scope: dict[str, str] | None
) -> Recommendation:
    """A practice proposed from a diagnosis, scoped to a segment, its "why" citing the diagnosis."""
    segment = next(
        (s for s in report.segments if scope and s.by in scope and s.value == scope[s.by]),
        None,
    )
    why = report.summary
    if segment is not None:
        why = f"Start with {segment_name(segment)}. {why}"
    return Recommendation(
        rank=1,
        title=practice.title,
        practice_id=practice.id,
        targets=[report.metric],
        why=why,
        sources=[
            f"practice:{practice.id}",
            f"metric:{report.metric}",
            f"diagnosis:{report.metric}",
            *practice.sources,
        ],
        level=practice.level,
        effort=practice.effort,
        time_to_impact=practice.time_to_impact,
        steps=practice.section("Steps"),
        measure=practice.section("How success will be measured"),
        scope=scope,
        scope_share=round(min(segment.share_of_change or 0.0, 1.0), 4) if segment else None,
    )


def diagnose_metrics(
    store: OrganisationStore,
    scorecard: Scorecard,
    metric_ids: Sequence[str],
    baseline: Period | None,
    min_group_size: int,
) -> list[Diagnosis]:
    """The diagnoses of `metric_ids` over the scorecard's period, against `baseline` (default: the scorecard's
    own), computed together: one build of the tables their records share."""
    reference = baseline
    if reference is None and scorecard.baseline_period is not None:
        reference = Period(scorecard.baseline_period.start, scorecard.baseline_period.end)
    requests = []
    for metric_id in metric_ids:
        definition = METRICS_BY_ID[metric_id]
        target = definition.target.value if definition.target else None
        requests.append(DiagnosisRequest(definition, target, scorecard.metric(metric_id).trend))
    period = Period(scorecard.period.start, scorecard.period.end)
    return diagnose_many(store, requests, period, baseline=reference, min_group_size=min_group_size)
