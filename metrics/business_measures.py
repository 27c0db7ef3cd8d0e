"""The Business category (focus 30%): Time to Customer Value (Klever's Law), Time to Smile, net customer
revenue and time to first value."""

from __future__ import annotations

from metrics.definition_types import MetricDefinition, Target
from metrics.records import DIMENSIONS, columns, seconds_between

KLEVERS_LAW = (
    "Klever's Law: a Time to Customer Value of zero or even negative days means you are doing really well: "
    "https://kleverinsight.com/2017/11/06/klevers-law-time-to-customer-value/"
)
#: Whether an account has reached first value after sale by the end of the period.
_REACHED = "(a.first_value_after_sale_at IS NOT NULL AND a.first_value_after_sale_at < c.as_of)"
#: Days from signing to first value after sale, or, while still waiting, to the end of the period.
_FIRST_VALUE = f"CASE WHEN {_REACHED} THEN a.first_value_after_sale_at ELSE c.as_of END"
_AFTER_SALE_DAYS = f"greatest({seconds_between('a.contract_signed_at', _FIRST_VALUE)} / 86400.0, 0)"


def _account_records(tables: frozenset[str], x: str, joins: str = "") -> str:
    return f"""
        SELECT {columns(at="a.contract_signed_at", x=x, flag=f"NOT {_REACHED}", segment="a.segment")}
        FROM accounts a CROSS JOIN scorecard_context c {joins}
        WHERE a.contract_signed_at IS NOT NULL
    """


def time_to_customer_value_records(tables: frozenset[str]) -> str | None:
    """B1: one record per account signed, x = TTV before sale + TTV after sale + its median Time to Smile."""
    if "accounts" not in tables:
        return None
    days = seconds_between("a.contract_signed_at", "a.first_value_before_sale_at")
    before = f"least(coalesce({days} / 86400.0, 0), 0)"
    if {"interruptions", "tickets"} & tables:
        joins = """
            LEFT JOIN (
                SELECT s.account_id, median(s.hours) / 24.0 AS days
                FROM interruption_spans s, scorecard_context c
                WHERE s.ended_at < c.as_of AND s.account_id IS NOT NULL GROUP BY s.account_id
            ) smile ON smile.account_id = a.id
        """
        smile = "coalesce(smile.days, 0)"
    else:
        joins, smile = "", "0"
    return _account_records(tables, f"{before} + {_AFTER_SALE_DAYS} + {smile}", joins)


def first_value_records(tables: frozenset[str]) -> str | None:
    """B5: one record per account signed, x = days from signing to first value after sale (or still waiting)."""
    if "accounts" not in tables:
        return None
    return _account_records(tables, _AFTER_SALE_DAYS)


def time_to_smile_records(tables: frozenset[str]) -> str | None:
    """B2: one record per interruption that ended, x = hours from interruption to back-to-happy."""
    if not {"interruptions", "tickets"} & tables:
        return None
    dims = {name: f"s.{name}" for name in DIMENSIONS}
    return f"SELECT {columns(at='s.ended_at', x='s.hours', **dims)} FROM interruption_spans s"


_SIGNED_AMOUNT = """CASE lower(r.kind) WHEN 'new' THEN abs(r.amount) WHEN 'expansion' THEN abs(r.amount)
                    WHEN 'churn' THEN -abs(r.amount) WHEN 'contraction' THEN -abs(r.amount) END"""


def revenue_records(tables: frozenset[str]) -> str | None:
    """B3: one record per revenue event, x = its amount, negative for churn and contraction."""
    if "revenue_events" not in tables:
        return None
    accounts = "LEFT JOIN accounts a ON a.id = r.account_id" if "accounts" in tables else ""
    segment = "a.segment" if "accounts" in tables else "NULL::VARCHAR"
    return f"SELECT {columns(at='r.at', x=_SIGNED_AMOUNT, segment=segment)} FROM revenue_events r {accounts}"


REVENUE_BREAKDOWN_SQL = """
    SELECT sum(abs(amount)) FILTER (WHERE lower(kind) = 'new') AS new,
           sum(abs(amount)) FILTER (WHERE lower(kind) = 'churn') AS churn,
           sum(abs(amount)) FILTER (WHERE lower(kind) = 'expansion') AS expansion,
           sum(abs(amount)) FILTER (WHERE lower(kind) = 'contraction') AS contraction,
           count(DISTINCT currency) AS currencies
    FROM revenue_events WHERE "at" >= $period_start AND "at" < $period_end
"""
REVENUE_UNIT_SQL = """
    SELECT CASE WHEN count(DISTINCT currency) = 1 THEN any_value(currency)
                WHEN count(DISTINCT currency) > 1 THEN 'mixed currencies' END
    FROM revenue_events WHERE "at" >= $period_start AND "at" < $period_end
"""

ACCOUNT_CHOICES = (
    "An account belongs to the period in which its contract was signed.",
    "An account still waiting for first value after sale counts with the days elapsed up to the end of the "
    "period and is flagged (`waiting_for_first_value`), never dropped.",
)

BUSINESS_METRICS: tuple[MetricDefinition, ...] = (
    MetricDefinition(
        id="B1",
        name="Time to Customer Value",
        category="business",
        level="executive",
        unit="days",
        direction="lower",
        formula=(
            "Klever's Law, per account signed in the period: days(first_value_before_sale_at - "
            "contract_signed_at) (zero or negative; 0 when unknown) + days(first_value_after_sale_at - "
            "contract_signed_at) + the median Time to Smile of that account's interruptions in days (0 when "
            "it had none); median and p80 over accounts."
        ),
        tables=("accounts", "interruptions", "tickets"),
        aggregation="distribution",
        records_sql=time_to_customer_value_records,
        target=Target(0.0, 30.0, KLEVERS_LAW),
        flag_detail="waiting_for_first_value",
        choices=(
            *ACCOUNT_CHOICES,
            "Time to Smile counts the account's interruptions that ended before the end of the period (from "
            "`interruptions`, else from tickets grouped by interruption, as in B2).",
            "A first value before sale that lies after signing counts as 0; a first value after sale before "
            "signing counts as 0 days.",
            "Watch band: 30 days above the target of 0 (the first 30 days after sale are called critical).",
        ),
    ),
    MetricDefinition(
        id="B2",
        name="Time to Smile",
        category="business",
        level="executive",
        unit="hours",
        direction="lower",
        formula=(
            "With an `interruptions` table, back_to_happy_at - interrupted_at; without one, per "
            "interruption_id (a ticket without one is its own interruption) from the earliest created_at "
            "to the latest resolution of its tickets. Hours (and days); median and p80 over interruptions "
            "that ended in the period."
        ),
        tables=("interruptions", "tickets"),
        aggregation="distribution",
        records_sql=time_to_smile_records,
        also_in_days=True,
        choices=(
            "An interruption with any unresolved ticket has not ended and is not counted.",
            "Its team, product and channel are those of its first ticket.",
            "No sourced target exists, so status compares with the baseline.",
        ),
    ),
    MetricDefinition(
        id="B3",
        name="Net customer revenue",
        category="business",
        level="executive",
        unit="revenue",
        direction="higher",
        formula=(
            "New customer revenue - lost customer revenue + expansion revenue over the period: the sum of "
            "`new` and `expansion` amounts minus `churn` and `contraction` amounts."
        ),
        tables=("revenue_events",),
        aggregation="sum",
        records_sql=revenue_records,
        extra_sql=REVENUE_BREAKDOWN_SQL,
        unit_sql=REVENUE_UNIT_SQL,
        choices=(
            "Contraction is lost revenue from existing customers, so it is subtracted like churn.",
            "Amounts are summed as they are; with more than one currency the unit says 'mixed currencies'.",
            "No sourced target exists, so status compares with the baseline of the same length.",
        ),
    ),
    MetricDefinition(
        id="B5",
        name="Time to first value after sale",
        category="business",
        level="manager",
        unit="days",
        direction="lower",
        formula=(
            "Per account signed in the period, days from contract_signed_at to first_value_after_sale_at; "
            "median and p80 (the after-sale part of B1)."
        ),
        tables=("accounts",),
        aggregation="distribution",
        records_sql=first_value_records,
        flag_detail="waiting_for_first_value",
        choices=(
            *ACCOUNT_CHOICES,
            "The first 30 days are called critical only by weak sources, so status compares with the baseline.",
        ),
    ),
)
