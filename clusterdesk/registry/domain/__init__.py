"""The registry's state changes (集群名录): entries, cultivation pools, annual reports, change
filings, expiry. Keyword-only functions that check the permission, change state in one
transaction, keep the entry's history (``ClusterEvent``) and write the audit event.

One module per concern; this package re-exports every public name, so
``from clusterdesk.registry.domain import X`` and ``domain.X`` work as before:

- ``common``: constants, permissions, the entry's facts (``state``), history (``_event``), notices;
- ``recognition``: ``register_from_application``, ``on_recognized``, ``on_national_recognized``,
  ``existing_entry`` (the one entry of a cluster);
- ``imports``: the CSV/XLSX import of earlier clusters;
- ``pool``: the cities' cultivation pools;
- ``expiry``: ``expire_due``, ``extend_validity``, ``revoke``, ``EXPIRY_HOLDS``, dashboard reads;
- ``reports``: annual reports, overdue lists, reminders;
- ``changes``: change filings.

State changes of entries, reports and filings are steps of the machines declared in
``registry/workflow.py`` (``CLUSTER``, ``REPORT``, ``CHANGE``) on the one engine.

Other apps import from ``registry.service``, not from here.

Decisions recorded here:

- Validity: a cluster of batch year *Y* is valid from 1 January *Y+1* to 31 December *Y+3*
  (the 2022 national batch: 2023–2025). ``extend_validity`` adds whole years to the end.
- A provincial cluster later recognised as national keeps one entry: the level is raised to
  national (the history keeps the provincial state). A recognition never lowers the level.
  A cultivation-pool entry (same unit, same name) is promoted when its application is recognised.
- Annual reports: a recognised cluster reports each year *Y* of its validity after *Y* has ended,
  due on ``ANNUAL_REPORT_DUE`` (default 03-31) of *Y+1*, 23:59:59 Beijing time. A report is
  *owed* (reminded, and overdue when missing) only when its due date is on or after the day the
  entry was registered: earlier reports were made on paper before the system. A report
  submitted after the due date is **accepted and flagged late** (shown on the province's
  dashboard and the entry), because the notice asks for the report, not for a refusal.
- Target progress: completion rate = (achieved − baseline) ÷ (target − baseline) when the plan
  gives a baseline different from the target, otherwise achieved ÷ target; not computed when the
  divisor is 0 or a value is missing.
- Reminders for a report go 30 days before the due date (first run in days 8–30), 7 days before
  (days 1–7) and on the day, once each (``notifications.ReminderLog``), to the county accounts of
  the cluster's unit, while the report is not submitted.
- Change filings: only the county applicant of the cluster's unit files, with at least one
  evidence file (content-checked: PDF, JPG, PNG, DOCX, XLSX, OFD); one pending filing per kind.
  The province administrator approves (the change is applied, the history keeps both states) or
  refuses with a note (the entry stays as it was, the filing keeps what was asked for).
- Expiry: ``expire_due`` moves recognised entries past ``valid_until`` to expired, except those a
  registered hold keeps (``EXPIRY_HOLDS``: the re-review registers "a re-review is pending").
"""

from clusterdesk.core.errors import Conflict, DomainError, NotAllowed

from .changes import (
    CHANGE_KINDS, CHANGE_KINDS_TEXT, MAX_CHANGE_FILES, change_evidence_response, decide_change, file_change,
)
from .common import (
    CHANGE_FIELDS, CHANGE_LABELS, MAX_TEXT, NOT_FOUND, VALIDITY_YEARS, is_late,
    is_province_admin, is_province_staff, province_of, state, today_local, validity, visible,
)
from .imports import (
    IMPORT_COLUMNS, LEVEL_WORDS, MAX_IMPORT_BYTES, REQUIRED_IMPORT, STATUS_WORDS, ImportResult, import_clusters,
)
from .pool import add_to_pool
from .recognition import (
    LEVEL_RANK, entry_summary, existing_entry, later_round_notice, on_national_recognized, on_recognized,
    register_from_application,
)
from .reports import (
    OverdueReport, clean_report, completion_rate, due_month_day, late_reports, overdue_reports,
    owed_years, report_due_on, report_missing, reportable_years, report_version, save_report, send_report_reminders,
    start_report, submit_report, which_report_reminder,
)
from .expiry import (
    EXPIRY_HOLDS, add_months, ending_soon, expire_due, extend_validity, held_ids, past_validity, revoke,
)

__all__ = [
    "CHANGE_FIELDS", "CHANGE_KINDS", "CHANGE_KINDS_TEXT", "CHANGE_LABELS", "EXPIRY_HOLDS", "IMPORT_COLUMNS",
    "LEVEL_RANK", "LEVEL_WORDS", "MAX_CHANGE_FILES", "MAX_IMPORT_BYTES", "MAX_TEXT", "NOT_FOUND",
    "REQUIRED_IMPORT", "STATUS_WORDS", "VALIDITY_YEARS", "Conflict", "DomainError",
    "ImportResult", "NotAllowed", "OverdueReport", "add_months", "add_to_pool", "change_evidence_response",
    "clean_report", "completion_rate", "decide_change", "due_month_day", "ending_soon", "entry_summary", "existing_entry", "expire_due",
    "extend_validity", "file_change", "held_ids", "import_clusters", "is_late", "is_province_admin",
    "is_province_staff", "late_reports", "later_round_notice", "on_national_recognized", "on_recognized", "overdue_reports",
    "owed_years", "past_validity", "province_of", "register_from_application", "report_due_on", "report_missing",
    "reportable_years", "report_version", "revoke", "save_report", "send_report_reminders", "start_report", "state",
    "submit_report", "today_local", "validity", "visible", "which_report_reminder",
]
