"""Writes the ServiceNow incident event-log fixtures: the same incidents as two export variants.

`incident_event_log.csv` has the shape of a real incident audit export (incident_state, sys_updated_at,
day/month/year times, `?` for missing); `incident_audit_iso.csv` the other common one (state, sys_updated_on,
ISO times, empty or NULL for missing). reassignment_count counts changes of assignment group and
reopen_count moves from Resolved back to Active, as ServiceNow does. Run: python make_event_log.py
"""

import csv
from datetime import datetime
from pathlib import Path

COLUMNS = [
    "number",
    "incident_state",
    "active",
    "reassignment_count",
    "reopen_count",
    "sys_mod_count",
    "made_sla",
    "caller_id",
    "opened_by",
    "opened_at",
    "sys_created_by",
    "sys_created_at",
    "sys_updated_by",
    "sys_updated_at",
    "contact_type",
    "location",
    "category",
    "subcategory",
    "u_symptom",
    "cmdb_ci",
    "impact",
    "urgency",
    "priority",
    "assignment_group",
    "assigned_to",
    "knowledge",
    "u_priority_confirmation",
    "notify",
    "problem_id",
    "rfc",
    "vendor",
    "caused_by",
    "closed_code",
    "resolved_by",
    "resolved_at",
    "closed_at",
]

# number, caller, opened_by, contact, location, category, subcategory, symptom, impact/urgency/priority,
# closed code, resolved_by, resolved_at known on rows?, steps: (state, group, agent, knowledge, updated, updater)
INCIDENTS = [
    (
        "INC0000045",
        "Caller 2403",
        "Opened by  8",
        "Phone",
        "Location 143",
        "Category 55",
        "Subcategory 170",
        "Symptom 72",
        ("2 - Medium", "2 - Medium", "3 - Moderate"),
        "code 5",
        "Resolved by 149",
        True,
        [
            ("New", "Group 56", None, False, "2016-02-29 01:16", "Updated by 21"),
            ("Active", "Group 56", "Resolver 89", False, "2016-02-29 01:23", "Updated by 642"),
            ("Active", "Group 70", "Resolver 31", True, "2016-02-29 08:53", "Updated by 804"),
            ("Resolved", "Group 70", "Resolver 31", True, "2016-02-29 11:29", "Updated by 804"),
            ("Closed", "Group 70", "Resolver 31", True, "2016-03-05 12:00", "Updated by 908"),
        ],
    ),
    (
        "INC0000047",
        "Caller 2403",
        "Opened by  397",
        "Phone",
        "Location 165",
        "Category 40",
        "Subcategory 215",
        "Symptom 471",
        ("2 - Medium", "2 - Medium", "3 - Moderate"),
        "code 5",
        "Resolved by 81",
        False,
        [
            ("New", "Group 24", None, False, "2016-02-29 04:40", "Updated by 746"),
            ("Active", "Group 24", "Resolver 46", False, "2016-02-29 06:10", "Updated by 746"),
            ("Active", "Group 24", "Resolver 97", False, "2016-03-01 09:52", "Updated by 117"),
            ("Resolved", "Group 24", "Resolver 97", False, "2016-03-01 10:30", "Updated by 117"),
            ("Closed", "Group 24", "Resolver 97", False, "2016-03-06 10:00", "Updated by 908"),
        ],
    ),
    (
        "INC0000057",
        "Caller 4416",
        "Opened by  8",
        "Email",
        "Location 204",
        "Category 20",
        "Subcategory 125",
        "Symptom 232",
        ("1 - High", "2 - Medium", "2 - High"),
        "code 7",
        "Resolved by 62",
        True,
        [
            ("New", "Group 70", None, False, "2016-02-29 06:10", "Updated by 21"),
            ("Active", "Group 70", "Resolver 89", False, "2016-02-29 06:30", "Updated by 642"),
            ("Active", "Group 23", None, False, "2016-02-29 10:00", "Updated by 642"),
            ("Active", "Group 23", "Resolver 12", False, "2016-02-29 10:05", "Updated by 332"),
            ("Resolved", "Group 23", "Resolver 12", False, "2016-02-29 14:00", "Updated by 332"),
            ("Active", "Group 23", "Resolver 12", False, "2016-03-01 09:00", "Updated by 332"),
            ("Active", "Group 56", "Resolver 5", True, "2016-03-01 11:00", "Updated by 804"),
            ("Resolved", "Group 56", "Resolver 5", True, "2016-03-02 09:00", "Updated by 804"),
            ("Closed", "Group 56", "Resolver 5", True, "2016-03-07 10:00", "Updated by 908"),
        ],
    ),
    (
        "INC0000062",
        "Caller 290",
        "Opened by  131",
        "Phone",
        "Location 93",
        "Category 9",
        "Subcategory 97",
        "Symptom 11",
        ("3 - Low", "3 - Low", "4 - Low"),
        None,
        None,
        False,
        [
            ("New", "Group 9", None, False, "2016-03-01 08:00", "Updated by 21"),
            ("Awaiting User Info", "Group 9", None, False, "2016-03-01 08:45", "Updated by 21"),
            ("Awaiting User Info", "Group 9", "Resolver 140", False, "2016-03-02 09:15", "Updated by 332"),
        ],
    ),
]


def uci_time(text):
    moment = datetime.strptime(text, "%Y-%m-%d %H:%M")
    return f"{moment.day}/{moment.month}/{moment.year} {moment:%H:%M}"


def iso_time(text):
    return text + ":00"


def rows(fmt, missing):
    out = []
    for number, caller, opener, contact, location, category, sub, symptom, (
        impact,
        urgency,
        priority,
    ), code, resolver, resolved_known, steps in INCIDENTS:
        opened = steps[0][4]
        closed = steps[-1][4] if steps[-1][0] == "Closed" else None
        resolved = [step[4] for step in steps if step[0] == "Resolved"]
        reassignments = reopens = 0
        previous_group = previous_state = None
        for index, (state, group, agent, knowledge, updated, updater) in enumerate(steps):
            if previous_group is not None and group != previous_group:
                reassignments += 1
            if previous_state == "Resolved" and state == "Active":
                reopens += 1
            previous_group, previous_state = group, state
            out.append(
                {
                    "number": number,
                    "incident_state": state,
                    "active": str(state != "Closed").lower(),
                    "reassignment_count": reassignments,
                    "reopen_count": reopens,
                    "sys_mod_count": index,
                    "made_sla": "true",
                    "caller_id": caller,
                    "opened_by": opener,
                    "opened_at": fmt(opened),
                    "sys_created_by": missing if index == 0 else "Created by 6",
                    "sys_created_at": missing if index == 0 else fmt(opened),
                    "sys_updated_by": updater,
                    "sys_updated_at": fmt(updated),
                    "contact_type": contact,
                    "location": location,
                    "category": category,
                    "subcategory": sub,
                    "u_symptom": symptom,
                    "cmdb_ci": missing,
                    "impact": impact,
                    "urgency": urgency,
                    "priority": priority,
                    "assignment_group": group or missing,
                    "assigned_to": agent
                    or (("NULL" if missing == "" else missing) if number == "INC0000062" else missing),
                    "knowledge": str(knowledge).lower(),
                    "u_priority_confirmation": "false",
                    "notify": "Do Not Notify",
                    "problem_id": missing,
                    "rfc": missing,
                    "vendor": missing,
                    "caused_by": missing,
                    "closed_code": code or missing,
                    "resolved_by": resolver or missing,
                    "resolved_at": fmt(resolved[-1]) if resolved and resolved_known else missing,
                    "closed_at": fmt(closed) if closed else missing,
                }
            )
    return out


def write(path, fmt, missing, rename):
    records = rows(fmt, missing)
    header = [rename.get(column, column) for column in COLUMNS]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for record in records:
            writer.writerow([record[column] for column in COLUMNS])


folder = Path(__file__).resolve().parent
write(folder / "incident_event_log.csv", uci_time, "?", {})
write(
    folder / "incident_audit_iso.csv",
    iso_time,
    "",
    {"incident_state": "state", "sys_updated_at": "sys_updated_on"},
)
