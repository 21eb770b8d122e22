"""Re-review (复核) of recognised clusters at the end of their three years.

- ``steps``: every state change (open, fill, submit, return, forward, decide, report to MIIT,
  MIIT's outcome, revocation, the deadline) — the path and the decisions are in its docstring;
  the state machine itself is ``rereview.workflow``.
- ``form``: the 复核申报表 (附件3) as data: cleaning, what is missing, computed completion.
- ``checks``: the criteria set that applies and the province's per-criterion findings.

Everything is re-exported here: callers write ``from clusterdesk.rereview import domain``.
"""

from ..workflow import is_city_of, is_county_of, is_province_of, level_of  # noqa: F401
from .checks import criteria_set_for, engine_data, evaluate_task, resolve_checks  # noqa: F401
from .form import (  # noqa: F401
    CHANGE_KINDS,
    COMPLETION_FORMULA,
    DATA_FIELDS,
    MAX_TARGETS,
    TargetRow,
    _recognized_targets,
    batch_label,
    checklist,
    clean_data,
    evidence_missing,
    level_label,
    live_evidence,
    location_label,
    missing_for_submission,
    readiness_messages,
    target_rows,
    task_aspects,
)
from .steps import (  # noqa: F401
    DUE_STATUSES,
    EDITABLE,
    EXTENSION_YEARS,
    OBJECT_TYPES,
    PENDING,
    STAGE,
    can_edit,
    can_open,
    closes_at,
    clusters_due,
    confirm_revocation,
    deadline_text,
    decide,
    decision_action,
    due_clusters,
    events_of,
    format_deadline,
    lateness,
    mark_missed,
    ministry_reason,
    not_due_reason,
    open_rereview,
    pending_cluster_ids,
    record_ministry_outcome,
    register_expiry_hold,
    remove_evidence,
    report_to_ministry,
    return_task,
    revocation_reason,
    rereview_round_name,
    save_task,
    start_round,
    submit_task,
    upload_evidence,
)
from .steps import forward  # noqa: F401
