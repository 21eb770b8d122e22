"""A refused form keeps its input and says what is wrong beside what caused it.

Pages that re-render on a refusal pass the ``DomainError`` to the template and place it with
the ``error_at`` / ``error_elsewhere`` filters (``core/templatetags/cd.py``) and the
``core/_error_here.html`` include. Forms that post to another view and redirect back (the
review actions on the application page, the Excel import) ``keep`` the refusal and the typed
values in the session; the page ``take``s them once, reopens the form with the values and puts
the error beside the control, and the redirect's anchor (``anchor``) lands on the error.
``js/app.js`` scrolls the first ``[data-error-here]`` into the middle of the view and focuses
the control it names.
"""

from __future__ import annotations

from clusterdesk.core.errors import DomainError

SESSION_KEY = "cd_kept_forms"
MAX_LINES = 20


def keep(request, form: str, exc: DomainError | None = None, *, message: str = "", field: str = "",
         lines: list[str] | tuple = (), values: dict | None = None, placed: bool = True) -> None:
    """Remember the refusal of ``form`` (a key unique in the session) and what was typed, for one
    render. ``placed``: the refusal's field is one of the form's controls (else it goes beside the
    form's button)."""
    if exc is not None:
        message = message or exc.message
        field = field or exc.field or ""
        lines = list(lines) or [e.get("message") or e.get("detail") or "" for e in (exc.errors or [])]
    kept = dict(request.session.get(SESSION_KEY) or {})
    kept[form] = {"message": message, "field": field, "lines": [str(x) for x in lines if x][:MAX_LINES],
                  "more": max(len(lines) - MAX_LINES, 0), "values": values or {},
                  "placed": placed}
    request.session[SESSION_KEY] = kept


def take(request, form: str) -> dict | None:
    """The kept refusal of ``form``, forgotten once read (a reload shows the clean form)."""
    kept = request.session.get(SESSION_KEY)
    if not kept or form not in kept:
        return None
    kept = dict(kept)
    found = kept.pop(form)
    request.session[SESSION_KEY] = kept
    return found


def anchor(eid: str) -> str:
    """The fragment a redirect adds so that the browser lands on the error (``#error-<eid>`` of
    ``core/_error_here.html``)."""
    return f"#error-{eid}"
