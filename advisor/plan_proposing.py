"""Choosing which next steps to propose, and where each starts: the whole organisation, or a team, product,
channel or segment that the diagnosis of its weak metric found holding part of the change."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from advisor.errors import UnknownPractice
from advisor.models import ChosenStep, ProposeOption, Recommendation, ScopeChoice
from advisor.plan_rules import scope_key
from advisor.scoping import change_word, first_weak_target, scope_sentence, segment_name, share_text
from metrics.diagnosis import OTHER
from metrics.models import Diagnosis, Segment
from metrics.records import DIMENSIONS

#: Groups offered per step beside the whole organisation, and the share of the change each must hold (and
#: more than its share of the work, see `scope_choices`).
MAX_GROUPS = 4
MIN_GROUP_SHARE = 0.1

DiagnoseMany = Callable[[Sequence[str]], Mapping[str, Diagnosis]]


def step_diagnoses(
    steps: Sequence[Recommendation], statuses: Mapping[str, str], diagnose: DiagnoseMany
) -> dict[str, Diagnosis]:
    """Each step's diagnosis (of its first weak or watched target), by practice id."""
    targets = {step.practice_id: first_weak_target(step, statuses) for step in steps}
    found = diagnose(sorted({target for target in targets.values() if target}))
    return {practice: found[target] for practice, target in targets.items() if target and target in found}


def scope_choices(step: Recommendation, diagnosis: Diagnosis | None) -> list[ScopeChoice]:
    """Where `step` can start: everyone, then the groups holding the most of its metric's change."""
    choices = [ScopeChoice(key="", label="the whole organisation")]
    segments = [
        segment
        for segment in (diagnosis.segments if diagnosis else [])
        if segment.value != OTHER
        and segment.by in DIMENSIONS
        and (segment.share_of_change or 0.0) >= MIN_GROUP_SHARE
        # more of the change than of the work: a group that only mirrors the whole is no place to start
        and (segment.share_of_change or 0.0) > max(segment.share_now, segment.share_before)
    ][:MAX_GROUPS]
    for segment in segments:
        words = (
            f"{segment_name(segment)} ({share_text(segment)} of the {change_word(diagnosis)})"
            if diagnosis
            else ""
        )
        choices.append(
            ScopeChoice(
                key=scope_key({segment.by: segment.value}),
                label=words,
                scope={segment.by: segment.value},
                share=round(min(segment.share_of_change or 0.0, 1.0), 4),
            )
        )
    if step.scope and scope_key(step.scope) not in {choice.key for choice in choices}:
        (dimension, group), *_ = step.scope.items()
        choices.append(
            ScopeChoice(key=scope_key(step.scope), label=f"the {group} {dimension}", scope=step.scope)
        )
    return choices


def propose_options(
    steps: Sequence[Recommendation], diagnoses: Mapping[str, Diagnosis]
) -> list[ProposeOption]:
    """The current next steps, each with the places it could start and the one suggested."""
    return [
        ProposeOption(
            step=step,
            scopes=scope_choices(step, diagnoses.get(step.practice_id)),
            suggested=scope_key(step.scope),
        )
        for step in steps
    ]


def choose_steps(
    steps: Sequence[Recommendation], chosen: Sequence[ChosenStep], diagnoses: Mapping[str, Diagnosis]
) -> list[Recommendation]:
    """The chosen steps, each scoped as chosen (its "why" then names that group and its share of the
    change). A practice may be chosen twice, for two groups."""
    by_practice = {step.practice_id: step for step in steps}
    picked = []
    for choice in chosen:
        step = by_practice.get(choice.practice_id)
        if step is None:
            raise UnknownPractice(f"{choice.practice_id!r} is not among the current next steps")
        picked.append(rescope(step, choice.scope, diagnoses.get(step.practice_id)))
    return picked


def rescope(
    step: Recommendation, scope: dict[str, str] | None, diagnosis: Diagnosis | None
) -> Recommendation:
    """`step` for `scope` (None: the whole organisation) instead of the scope the ranking suggested."""
    scope = scope or None
    if scope_key(scope) == scope_key(step.scope):
        return step
    unknown = set(scope or {}) - set(DIMENSIONS)
    if unknown:
        raise ValueError(f"a step can be scoped by {', '.join(DIMENSIONS)}, not {', '.join(sorted(unknown))}")
    why = step.why
    old = _segment(diagnosis, step.scope)
    if diagnosis is not None and old is not None:
        why = why.removeprefix(f"{scope_sentence(diagnosis, old)} ")
    new = _segment(diagnosis, scope)
    share: float | None = None
    if scope is None:
        pass
    elif diagnosis is not None and new is not None:
        why = f"{scope_sentence(diagnosis, new)} {why}"
        share = round(min(new.share_of_change or 0.0, 1.0), 4)
    else:
        (dimension, group), *_ = scope.items()
        why = f"Start with the {group} {dimension}. {why}"
    sources = list(step.sources)
    if diagnosis is not None and scope and f"diagnosis:{diagnosis.metric}" not in sources:
        sources.append(f"diagnosis:{diagnosis.metric}")
    return step.model_copy(update={"scope": scope, "scope_share": share, "why": why, "sources": sources})


def _segment(diagnosis: Diagnosis | None, scope: dict[str, str] | None) -> Segment | None:
    if diagnosis is None or not scope:
        return None
    return next((s for s in diagnosis.segments if scope.get(s.by) == s.value), None)
