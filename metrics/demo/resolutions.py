"""Subjects of the demo's tickets and the resolution notes agents wrote on some resolved ones.

Each product has a handful of typical problems (the subject) and, per problem, a few ways agents
wrote up the fix. Notes come from these templates, so tickets share texts: the knowledge index embeds each
distinct text once, and the medium demo's first index build stays short.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from metrics.demo.catalog import PRODUCTS
from metrics.demo.sampling import Ints, Scenario, balanced_uniform
from metrics.demo.tickets import TicketSet

#: Share of resolved tickets whose agent wrote resolution notes.
NOTES_SHARE = 0.10

#: Per product (in PRODUCTS order): (subject, [notes, ...]) for its typical problems.
PROBLEMS: tuple[tuple[tuple[str, tuple[str, ...]], ...], ...] = (
    (  # Ledger
        (
            "Bank feed stopped importing transactions",
            (
                "The bank had renewed its consent screen. Reconnected the feed under Settings > Bank "
                "accounts and re-ran the import for the missing days; balances match again.",
                "Feed token expired after 90 days. Customer re-authorised the bank connection; the backlog "
                "imported within ten minutes.",
            ),
        ),
        (
            "Invoice totals do not match the ledger",
            (
                "Two invoices were posted in a closed period. Reopened the period, moved them to the right "
                "month and closed it again; the totals agree.",
                "Rounding was set per line instead of per invoice. Switched rounding to per invoice under "
                "Settings > Tax; totals match the ledger.",
            ),
        ),
        (
            "VAT return shows the wrong period",
            (
                "The VAT period started on the wrong month after the fiscal year change. Corrected the "
                "start month in the tax settings and regenerated the return.",
            ),
        ),
        (
            "Cannot close the month",
            (
                "An unreconciled bank line blocked the close. Reconciled it against the supplier payment, "
                "then the month closed normally.",
                "A draft journal from an import was still open. Posted it after checking with the "
                "customer's accountant; month closed.",
            ),
        ),
    ),
    (  # Payroll
        (
            "Payslips show the wrong tax code",
            (
                "The tax office notice had not been applied before the pay run. Updated the employee's "
                "tax code, recalculated the draft pay run and reissued the payslip.",
                "Starter declaration was missing, so the emergency code applied. Entered the declaration "
                "and corrected the code for the next run; explained the refund to the customer.",
            ),
        ),
        (
            "Overtime not included in the pay run",
            (
                "Overtime hours were approved after the cut-off. Added them as a one-off payment in the "
                "open run; advised the customer to move the approval deadline.",
                "The overtime pay element was not linked to the pay group. Linked it under Pay elements and "
                "recalculated; the hours appear on the payslip.",
            ),
        ),
        (
            "Cannot import employees from CSV",
            (
                "The file used semicolons and a date format the template does not accept. Shared the "
                "current template; the import passed with the corrected file.",
                "Import failed on duplicate employee numbers. Removed the duplicates and re-ran the import "
                "with update mode on.",
            ),
        ),
        (
            "Pay run stuck in approval",
            (
                "The only approver had left the company. An administrator assigned a new approver and the "
                "run was approved the same day.",
                "Approval e-mails went to spam. Approved from the Approvals page and asked IT to allow our "
                "sender address.",
            ),
        ),
        (
            "Pension contribution missing from payslip",
            (
                "The employee's enrolment date was in the future. Corrected the date and back-dated the "
                "contribution in the next pay run.",
            ),
        ),
    ),
    (  # Insights
        (
            "Scheduled report did not arrive",
            (
                "The schedule belonged to a deactivated user. Moved it to the team owner; the report was "
                "sent on the next run.",
                "The attachment grew over the e-mail size limit. Switched the schedule to send a link "
                "instead of the file.",
            ),
        ),
        (
            "Dashboard numbers differ from the export",
            (
                "The dashboard uses the account's time zone, the export UTC. Set the export to the account "
                "time zone; both now show the same totals.",
                "A saved filter excluded archived records on the dashboard only. Removed the filter; the "
                "numbers match.",
            ),
        ),
        (
            "Report times out",
            (
                "The report covered five years without a date filter. Added a default range of twelve "
                "months; it loads in seconds.",
            ),
        ),
    ),
    (  # Mobile
        (
            "App keeps logging me out",
            (
                "Battery saver cleared the app's session. Excluded the app from battery optimisation; the "
                "user stays signed in.",
                "The device clock was wrong, so tokens looked expired. Set the clock to automatic; sign-in "
                "holds again.",
            ),
        ),
        (
            "Push notifications stopped",
            (
                "Notifications were turned off for the app after an OS update. Re-enabled them in the phone "
                "settings and sent a test notification.",
                "The device was registered twice. Removed the old device under Profile > Devices; "
                "notifications arrive again.",
            ),
        ),
        (
            "Expense photo upload fails",
            (
                "Photos above 10 MB were refused. Turned on 'reduce photo size' in the app settings; uploads "
                "work.",
            ),
        ),
    ),
)


@dataclass(frozen=True)
class TicketTexts:
    """Each ticket's subject, and its resolution notes (None where the agent wrote none)."""

    subject: pa.Array
    resolution: pa.Array


def ticket_texts(rng: np.random.Generator, scenario: Scenario, tickets: TicketSet) -> TicketTexts:
    """A subject for every ticket (a typical problem of its product) and notes on a share of resolved ones."""
    n = tickets.count
    subjects: list[str] = []
    offsets: list[int] = []
    note_texts: list[str] = []
    first_note: list[int] = []
    note_count: list[int] = []
    for problems in PROBLEMS:
        offsets.append(len(subjects))
        for subject, notes in problems:
            subjects.append(subject)
            first_note.append(len(note_texts))
            note_count.append(len(notes))
            note_texts.extend(notes)
    per_product = np.asarray([len(problems) for problems in PROBLEMS])
    if len(per_product) != len(PRODUCTS):
        raise ValueError("PROBLEMS needs one list of problems per product")
    problem: Ints = np.asarray(offsets)[tickets.product] + (
        rng.random(n) * per_product[tickets.product]
    ).astype(np.int64)
    variant = (rng.random(n) * np.asarray(note_count)[problem]).astype(np.int64)
    resolved = tickets.resolved_by(scenario.end) >= 0
    written = resolved & (balanced_uniform(rng, tickets.created) < NOTES_SHARE)
    note = np.where(written, np.asarray(first_note)[problem] + variant, -1)
    return TicketTexts(
        subject=pa.array(subjects).take(pa.array(problem)),
        resolution=pa.array(note_texts).take(pa.array(note, mask=note < 0)),
    )
