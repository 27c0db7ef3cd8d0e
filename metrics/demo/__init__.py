"""A seeded demo organisation: two years of support data with weaknesses planted on purpose.

The company
-----------
*Tidewater Software* sells four products (Payroll, the biggest with 40% of tickets, Ledger, Insights and
Mobile) to enterprise, mid-market and small (smb) accounts; some accounts sign during the window, a few
churn. Support has five teams, each with at least eight people: Billing Desk (the busiest, 30% of
tickets), Platform Support, Onboarding, Technical L2 (which gets its tickets by escalation) and Customer
Success. A few veterans started years ago; most staff were hired evenly over the window, so new hires reach
their peer-trust sign-off every month. Customers write by email, chat, phone, web form and the community
forum. Volume grows about 25% a year, is higher on weekdays, in January and September, and low over
Christmas; the data covers the `months` full months before `end` (competency records start with it too).

About 15% of interruptions need 2-3 tickets in different teams, sharing an `interruption_id`; other tickets
are their own interruption and mostly carry no id. There is no `interruptions.csv`: Time to Smile comes from
tickets grouped by interruption. Every ticket has a subject (a typical problem of its product), and agents
wrote resolution notes on 10% of resolved tickets, from a few templates per problem (prior solutions for the
knowledge index). Without a planted weakness the organisation is healthy and every rate, median and score
is stable (only volumes grow): CSAT 88%, NPS about +27, 88% of tickets follow a self-service session and
86% of sessions help (85/85), 92% of customer articles are published the moment they are known (90/0),
agents link existing articles five times as often as they create new ones. Rates and shares are drawn
evenly in time (shuffled in blocks) so even the small demo has no accidental trends.

Planted weaknesses
------------------
Each worsens linearly from the first day of the fourth month before `end` (for `end` 2026-03-01: from
2025-11-01) until the end, and is stable before, so both a target and a baseline comparison flag it:

- ``handoffs`` (C6, customer): Billing Desk bounces its tickets to other teams and back, up to about three
  extra hand-offs per ticket at the end (so even the median of all tickets rises from 0 to 1); every
  hand-off adds queue time, so those tickets also take longer to resolve (B2 of Billing Desk).
- ``csat`` (C1b, customer): the share of 4-5 CSAT scores for Payroll tickets falls from 88% to 24%.
- ``competency`` (E4, employee): a hiring wave doubles the intake from six months before the end; exams
  stay on time, but sign-offs due in the last four months wait up to three times as long for peer trust,
  and some new hires are still waiting at the end.
- ``knowledge_reuse`` (K3, knowledge): tickets linking an existing article fall from 30% to 3% while those
  creating a new one rise from 6% to 14%, both within two months of the ramp's start: link rate and reuse
  ratio fall, the ratio below the 1:1 KCS floor over the last three months.
- ``time_to_smile`` (B2, business): interruptions that need several departments rise from 15% to 35%, and
  their follow-up tickets are picked up and solved up to three times more slowly.
- ``publishing`` (K2, knowledge): customer articles published the moment they are known fall from 92% to
  25%; the others wait up to four times longer.
- ``engagement`` (E1, employee): engagement pulse scores (0-100) fall by up to 24 points.
- ``self_service`` (C4, customer): sessions on their own fall by up to 40% and help less often (95% to
  55%), and customers who open a ticket tried up to 1.6 more failed sessions first.

Planted in one group
--------------------
``plant_in`` moves a weakness from its default place into one group, so a diagnosis can be checked to find it
there: ``{"handoffs": ("team", "Platform Support")}`` (the bounces happen only on that team's tickets),
``{"csat": ("channel", "chat")}`` or ``{"knowledge_reuse": ("product", "Ledger")}``, by team, product,
channel, priority or segment. ``{"volume": ("team", "Technical L2")}`` plants no weakness: up to half of the
tickets move into that group over the same ramp, so it grows while nothing about it gets worse (a pure mix
change; Technical L2, where every ticket is escalated, then raises the hand-offs per ticket by mix alone).
Without ``plant_in`` the output is byte-identical to before (it draws no extra random numbers).

A planted step
--------------
``intervention=Intervention("team", "Platform Support", start, effect=-0.3, drift=0.4)`` plants a step with a
known effect, to check how outcomes are measured (``metrics.demo.intervention``): from ``start`` that group
has 0.3 fewer hand-offs per ticket, while every group drifts with the seasons by up to 0.4 hand-offs per
ticket. Without it the output is unchanged.

Shapes of real exports
----------------------
``shape`` cuts the organisation the way real exports come (``metrics.demo.shapes``): ``full`` (the default,
unchanged), ``tickets_events`` (only tickets and ticket_events, like a help-desk audit log), ``no_surveys``
(every table but surveys) and ``ten_weeks`` (only the last 70 days of history; the weaknesses then worsen over
the last six weeks instead of four months, so the first weeks are the healthy reference).
"""

from metrics.demo.catalog import DEFAULT_WEAKNESSES, PLANTED_WEAKNESSES, SIZES, PlantedWeakness
from metrics.demo.generator import DemoManifest, generate_demo
from metrics.demo.intervention import Intervention

__all__ = [
    "DEFAULT_WEAKNESSES",
    "PLANTED_WEAKNESSES",
    "SIZES",
    "DemoManifest",
    "Intervention",
    "PlantedWeakness",
    "generate_demo",
]
