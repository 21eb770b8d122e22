"""审核参考: what reviewers need beside 附件1 and what the official form must not carry.

The criteria self-check (the system's computed results against each criteria set the round
names, with the placeholder notice when a set's thresholds are not confirmed) and the evidence
digests (SHA-256 of each file and of the submitted snapshot). One PDF, for a submitted version
or (None) the current draft, laid out with WeasyPrint (``documents/reference.html``).

Who may read it (``can_read``): city reviewers, the province admin and the leader, each within
their scope. The county does not get it: the self-check it needs is on its form page, and the
document is the reviewers' working paper, not part of the application.
"""

from django.utils import timezone

from clusterdesk.applications.models import Application, ApplicationVersion
from clusterdesk.orgs.models import Role

from .attachment1 import cn_date, evidence_files, evidence_table, qr_payload, qr_png

TITLE = "审核参考"
SUBTITLE = "（供市州、省厅审核人员参考，不属于申报表内容；系统计算结果以审核意见为准）"
READERS = (Role.CITY_REVIEWER, Role.PROVINCE_ADMIN, Role.LEADER)
PLACEHOLDER_NOTE = "该标准的数值阈值为占位值，尚待省厅管理员确认，系统结果仅供参考。"


def can_read(user) -> tuple[bool, str]:
    if getattr(user, "role", None) not in READERS:
        return False, "审核参考仅供市州审核人员、省厅管理员和领导查看"
    return True, ""


def _criteria(application: Application, version: ApplicationVersion | None, data: dict) -> list[dict]:
    """One block per criteria set: the reports stored with a version, or a fresh check of a draft."""
    from clusterdesk.criteria.engine import STATUS_LABELS

    if version is not None:
        reports = version.report or {}
    else:
        from clusterdesk.criteria.domain import snapshot_reports

        reports = snapshot_reports(application, data)
    out = []
    for report in reports.values():
        cset = report.get("criteria_set") or {}
        counts: dict[str, int] = {}
        rows = []
        for r in report.get("results") or []:
            counts[r.get("status")] = counts.get(r.get("status"), 0) + 1
            rows.append({
                "aspect": r.get("aspect") or "",
                "title": r.get("aspect_title") or "",
                "wording": r.get("wording") or "",
                "actual": r.get("actual") or "",
                "threshold": r.get("threshold") or "",
                "status": STATUS_LABELS.get(r.get("status"), r.get("status") or ""),
                "status_code": r.get("status") or "",
                "message": r.get("message") or "",
                "formula": r.get("formula") or "",
                "judgement": r.get("judgement") or None,
            })
        out.append({
            "name": cset.get("name") or cset.get("code", ""),
            "version": cset.get("version"),
            "placeholder": bool(cset.get("placeholder")),
            "verdict": report.get("verdict_label") or report.get("verdict", ""),
            "counts": "，".join(f"{STATUS_LABELS.get(s, s)} {n} 项" for s, n in counts.items()),
            "rows": rows,
        })
    return out


def _evidence(application: Application, version: ApplicationVersion | None) -> dict:
    checklist = {c.code: c for c in application.round.checklist.all()}
    return evidence_table(evidence_files(application, version), checklist, digests=True)


def content(application: Application, version: ApplicationVersion | None) -> dict:
    from clusterdesk.applications.domain import load_data

    application = Application.objects.select_related("round", "org", "org__recommender").get(pk=application.pk)
    data = dict(version.data) if version is not None else load_data(application)
    org = application.org
    info = None
    if version is not None:
        by = version.submitted_by
        info = {
            "label": f"第{version.number}版",
            "submitted_at": timezone.localtime(version.submitted_at).strftime("%Y-%m-%d %H:%M:%S"),
            "date": cn_date(version.submitted_at),
            "submitted_by": (by.display_name or by.username) if by else "",
            "withdrawn_at": timezone.localtime(version.withdrawn_at).strftime("%Y-%m-%d %H:%M:%S") if version.withdrawn_at else "",
            "digest": version.digest,
            "qr_payload": qr_payload(application, version),
        }
    return {
        "title": TITLE,
        "subtitle": SUBTITLE,
        "number": application.number,
        "round_name": application.round.name,
        "cluster_name": data.get("name") or application.name or "（未命名）",
        "org_name": org.name,
        "city_name": org.recommender.name if org.recommender else "",
        "draft": version is None,
        "draft_mark": "草稿（未提交）",
        "printed_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "version": info,
        "placeholder_note": PLACEHOLDER_NOTE,
        "criteria": _criteria(application, version, data),
        "evidence": _evidence(application, version),
    }


def render_pdf(application: Application, version: ApplicationVersion | None = None) -> bytes:
    from .pdf import render_pdf as html_pdf

    return html_pdf("documents/reference.html", content(application, version))


__all__ = ["can_read", "content", "render_pdf", "qr_png"]
