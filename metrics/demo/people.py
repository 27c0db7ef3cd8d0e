"""Support staff of the demo: employees, competency sign-offs and the monthly employee pulses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from metrics.demo.catalog import ROLES, TEAM_SHARES, TEAM_SKILLS, TEAMS
from metrics.demo.output import build_table, id_column, labels, refs, times
from metrics.demo.sampling import (
    DAY,
    HOUR,
    Bools,
    Floats,
    Ints,
    Scenario,
    allocate,
    balanced_uniform,
    choose,
    epoch_seconds,
    loglogistic,
)
from metrics.schema import SURVEY_KINDS

#: Share of each team hired during the window (and the three months before it).
HIRED_SHARE = 0.8
#: New hires shadow colleagues for two weeks before they take tickets.
SHADOWING = 14 * DAY
#: Days from start to exam (uniform) and median days from exam to peer-trust sign-off.
EXAM_DAYS = (25.0, 31.0)
SIGN_OFF_DAYS = 35.0
SIGN_OFF_SHAPE = 12.0
#: Planted: how much longer the wait is at the end (2.0: three times as long).
SIGN_OFF_SLOWDOWN = 2.0
#: Pulse kinds with their mean score (0-100) and response rate.
PULSES: tuple[tuple[str, float, float], ...] = (
    ("engagement", 72.0, 0.75),
    ("esat", 70.0, 0.75),
    ("collaboration", 68.0, 0.60),
)


@dataclass(frozen=True)
class Staff:
    """Employees ordered by start (E001 has served longest)."""

    team: Ints
    role: Ints
    started: Ints

    @property
    def count(self) -> int:
        return len(self.team)

    def pick(self, rng: np.random.Generator, team: Ints, at: Ints, avoid: Ints | None = None) -> Ints:
        """An agent of `team` who takes tickets at `at` for each row; not `avoid` where given."""
        agent = np.empty(len(team), dtype=np.int64)
        for code in range(len(TEAMS)):
            rows = np.flatnonzero(team == code)
            members = np.flatnonzero(self.team == code)
            available = np.searchsorted(self.started[members] + SHADOWING, at[rows], side="right")
            available = np.maximum(available, 1)
            if avoid is None:
                choice = (rng.random(len(rows)) * available).astype(np.int64)
            else:
                # members are in start order, so an employee's rank in the team is their position there
                avoid_rank = np.searchsorted(members, avoid[rows])
                choice = (rng.random(len(rows)) * (available - 1)).astype(np.int64)
                choice += choice >= avoid_rank
            agent[rows] = members[np.minimum(choice, available - 1)]
        return agent


def _evenly(rng: np.random.Generator, n: int, first: int, last: int) -> Ints:
    """`n` start days spread evenly (one per slot, jittered) over [first, last), at 08:00 UTC."""
    slots = (np.arange(n) + rng.random(n)) / max(n, 1)
    return (first + (slots * (last - first)).astype(np.int64)) // DAY * DAY + 8 * HOUR


def build_staff(rng: np.random.Generator, scenario: Scenario) -> Staff:
    """Every team has at least 8 people: a few veterans, the others hired evenly over the window."""
    sizes = allocate(scenario.scale.employees, TEAM_SHARES, minimum=8)
    hires = [min(int(size * HIRED_SHARE), size - 4) for size in sizes]
    team_codes = np.arange(len(TEAMS), dtype=np.int64)
    veteran_team = np.repeat(team_codes, [size - hired for size, hired in zip(sizes, hires, strict=True)])
    veteran_started = _evenly(
        rng, len(veteran_team), scenario.start - 6 * 365 * DAY, scenario.start - 120 * DAY
    )
    hire_team = rng.permutation(np.repeat(team_codes, hires))
    first_hire, last_hire = scenario.start - 90 * DAY, scenario.end - 20 * DAY
    hire_started = _evenly(rng, len(hire_team), first_hire, last_hire)
    # Planted: a hiring wave doubles the intake, more than the seniors who vouch for new hires can handle.
    wave_start = scenario.ramp_start - 60 * DAY
    wave_size = round(len(hire_team) * (last_hire - wave_start) / (last_hire - first_hire))
    wave_team = choose(rng, TEAM_SHARES, wave_size if "competency" in scenario.weaknesses else 0)
    wave_started = _evenly(rng, len(wave_team), wave_start, last_hire)
    team = np.concatenate([veteran_team, hire_team, wave_team])
    started = np.concatenate([veteran_started, hire_started, wave_started])
    order = np.lexsort((team, started))
    team, started = team[order], started[order]
    role = np.zeros(len(team), dtype=np.int64)
    is_veteran = started < first_hire
    role[is_veteran & (rng.random(len(team)) < 0.35)] = ROLES.index("senior agent")
    for code in range(len(TEAMS)):
        role[np.flatnonzero(team == code)[0]] = ROLES.index("team lead")
    return Staff(team=team, role=role, started=started)


def employees_table(scenario: Scenario, staff: Staff) -> pa.Table:
    return build_table(
        "employees",
        {
            "id": id_column("E", staff.count, 3),
            "team": labels(TEAMS, staff.team),
            "role": labels(ROLES, staff.role),
            "started_at": times(staff.started),
        },
    )


def competency_table(rng: np.random.Generator, scenario: Scenario, staff: Staff) -> pa.Table:
    """One sign-off per employee in their team's core skill; the exam comes first, peer trust later.

    Only sign-offs in the window (or still pending) are recorded, so the data's activity starts with it.
    """
    low, high = EXAM_DAYS
    exam_days = low + (high - low) * balanced_uniform(rng, staff.started, block=4)
    exam = staff.started + (exam_days * DAY).astype(np.int64)
    wait = loglogistic(
        balanced_uniform(rng, staff.started, block=4), SIGN_OFF_DAYS * DAY, shape=SIGN_OFF_SHAPE
    )
    due = exam + wait.astype(np.int64)
    # Planted: sign-offs due in the last months wait longer and longer (up to three times as long).
    wait = wait * (1.0 + SIGN_OFF_SLOWDOWN * scenario.severity("competency", due))
    trusted = exam + wait.astype(np.int64)
    # Tracking started with the data window: sign-offs from before it were never recorded.
    kept = np.flatnonzero(trusted >= scenario.start)
    exam, trusted = exam[kept], trusted[kept]
    return build_table(
        "competency",
        {
            "employee_id": refs(id_column("E", staff.count, 3), kept),
            "skill": labels(TEAM_SKILLS, staff.team[kept]),
            "exam_passed_at": times(exam, exam < scenario.end),
            "peer_trust_at": times(trusted, trusted < scenario.end),
        },
    )


@dataclass(frozen=True)
class PulseAnswers:
    """Survey answers by employees; `kind` indexes `SURVEY_KINDS`."""

    kind: Ints
    respondent: Ints
    at: Ints
    score: Ints


def employee_pulses(rng: np.random.Generator, scenario: Scenario, staff: Staff) -> PulseAnswers:
    """Monthly engagement, satisfaction and collaboration pulses (0-100) of everyone already employed."""
    sent = np.array(
        [epoch_seconds(month) + 9 * DAY for month in scenario.month_starts()[:-1]], dtype=np.int64
    )
    person = rng.normal(0.0, 7.0, staff.count)
    parts: list[tuple[Ints, Ints, Ints, Ints]] = []
    for kind, mean, response_rate in PULSES:
        employee, month = np.nonzero(
            (staff.started[:, None] < sent[None, :]) & (rng.random((staff.count, len(sent))) < response_rate)
        )
        at = sent[month] + (rng.random(len(month)) * 5 * DAY).astype(np.int64)
        score: Floats = mean + person[employee] + rng.normal(0.0, 9.0, len(month))
        if kind == "engagement":
            score = score - 24.0 * scenario.severity("engagement", at)
        keep: Bools = at < scenario.end
        rounded = np.clip(np.round(score), 0, 100).astype(np.int64)
        code = np.full(int(keep.sum()), SURVEY_KINDS.index(kind), dtype=np.int64)
        parts.append((code, employee[keep].astype(np.int64), at[keep], rounded[keep]))
    return PulseAnswers(
        kind=np.concatenate([part[0] for part in parts]),
        respondent=np.concatenate([part[1] for part in parts]),
        at=np.concatenate([part[2] for part in parts]),
        score=np.concatenate([part[3] for part in parts]),
    )
