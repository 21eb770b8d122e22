"""State changes of an application: create, save sections, submit, withdraw.

Each function checks the permission and the deadline, changes state in one transaction and
writes the audit event. Evidence files are in ``evidence.py``.
"""

import hashlib
import json
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from clusterdesk.audit.domain import record
from clusterdesk.core.errors import Conflict, DomainError, NotAllowed
from clusterdesk.core.workflow import require
from clusterdesk.orgs.models import KIND_LEVEL, OrgLevel
from clusterdesk.rounds.domain import check_open, format_deadline
from clusterdesk.rounds.models import ChecklistItem, Round, RoundStatus, StageCode

from . import rules
from .models import FIELD_SECTION, SECTION_FIELDS, Application, ApplicationVersion, EvidenceFile, NumberCounter, Section, SectionKey, Status
from .validation import Context, FieldError, clean_fields, missing_for_submission

STAGE = StageCode.COUNTY_SUBMISSION
MAX_CHANGE_NOTE = 2000


# Stages a city acts in. After a return by the city the county answers before its county
# deadline (set by its city, or an extension), because the city keeps reviewing, returning and
# recommending until its formal deadline: the name list is only a list.
CITY_STAGES = {StageCode.COUNTY_SUBMISSION, StageCode.NAME_LIST, StageCode.FORMAL_SUBMISSION}


def editing_stage(application: Application) -> str:
    """Whose deadline governs editing and submitting: the county's (also after a return by the
    city), or after a return by the province the province's stage (so a late return can still
    be answered)."""
    if application.status == Status.RETURNED and application.resubmit_stage not in ("", *CITY_STAGES):
        return application.resubmit_stage
    return STAGE


_require = require  # the one ``core.workflow.require``: the verdict's kind chooses 403 or 409


def _highest_sequence(year: int, org) -> int:
    """The highest ``nn`` among the unit's existing ``<year>-<code>-<nn>`` numbers (those made
    before the counter existed)."""
    prefix = f"{year}-{org.code}-"
    numbers = Application.objects.filter(number__startswith=prefix).values_list("number", flat=True)
    return max((int(n[len(prefix):]) for n in numbers if n[len(prefix):].isdigit()), default=0)


@transaction.atomic
def allocate_number(year: int, org) -> str:
    """The next application number of ``org`` in ``year`` (``2025-222403-03``), unique across the
    year's rounds. The counter row is locked until the caller's transaction ends, so a
    simultaneous creation waits and takes the next number."""
    NumberCounter.objects.get_or_create(year=year, org=org, defaults={"last": _highest_sequence(year, org)})
    counter = NumberCounter.objects.select_for_update().get(year=year, org=org)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{year}-{org.code}-{counter.last:02d}"


@transaction.atomic
def create_application(*, actor, round_: Round, org=None, request=None) -> Application:
    """A new empty application of the actor's unit (or a zone under it) in an open round.

    Side effects: ``application.created`` audit event.
    """
    _require(rules.can_create(actor))
    org = org or actor.org
    from clusterdesk.orgs.models import Org

    if not Org.objects.visible_to(actor).filter(pk=org.pk).exists():
        raise NotAllowed(f"单位“{org.name}”不在您的权限范围内，只能为本单位申报", field="org_code")
    if KIND_LEVEL[org.kind] != OrgLevel.COUNTY:
        raise DomainError(f"“{org.name}”不是县级单位，不能作为申报主体", field="org_code")
    if round_.status != RoundStatus.OPEN or not Round.objects.visible_to(actor).filter(pk=round_.pk).exists():
        raise Conflict("该申报批次未开放申报", field="round")
    check_open(round_, STAGE, org)
    application = Application.objects.create(
        round=round_, org=org, number=allocate_number(round_.year, org), created_by=actor
    )
    Section.objects.bulk_create([Section(application=application, key=key) for key in SectionKey.values])
    record(action="application.created", actor=actor, obj=application, after={"number": application.number, "org": org.code}, request=request)
    return application


def load_data(application: Application, sections=None) -> dict:
    """The application's data as one dict keyed by the API field names (one query)."""
    sections = sections if sections is not None else application.sections.all()
    data = {f: None for fields in SECTION_FIELDS.values() for f in fields}
    for section in sections:
        data.update({k: v for k, v in section.data.items() if k in SECTION_FIELDS[section.key]})
    return data


def section_versions(application: Application, sections=None) -> dict[str, int]:
    sections = sections if sections is not None else application.sections.all()
    return {s.key: s.version for s in sections}


class ValidationFailed(DomainError):
    def __init__(self, errors: list[FieldError]):
        detail = "；".join(e.message for e in errors[:5]) + ("……" if len(errors) > 5 else "")
        super().__init__(f"有 {len(errors)} 处需要修正：{detail}", field=errors[0].field, errors=[e.as_dict() for e in errors])


@transaction.atomic
def save_fields(*, actor, application: Application, data: dict, expected_versions: dict | None = None,
                request=None, action: str = "application.section_saved") -> dict[str, int]:
    """Save some fields of a draft. Fields are grouped by section; each touched section is
    saved only if its version is still ``expected_versions[key]`` (when given).

    Anything invalid refuses the whole save (nothing changes) with every error listed.
    Returns the new section versions. Side effects: one audit event with the changed fields.
    """
    application = Application.objects.select_for_update().select_related("round", "org").get(pk=application.pk)
    _require(rules.can_edit(actor, application))
    check_open(application.round, editing_stage(application), application.org)
    unknown = [k for k in data if k not in FIELD_SECTION]
    from .form_extra import EXTRA_FIELDS, clean_extra

    extra, extra_errors = clean_extra({k: v for k, v in data.items() if k in EXTRA_FIELDS})
    cleaned, errors = clean_fields({k: v for k, v in data.items() if k not in EXTRA_FIELDS},
                                   Context(round=application.round, org=application.org))
    cleaned.update(extra)
    errors = extra_errors + errors
    if errors:
        raise ValidationFailed(errors)
    if unknown:
        raise DomainError(f"未知字段：{'、'.join(unknown)}", field=unknown[0])

    touched: dict[str, dict] = {}
    for key, value in cleaned.items():
        touched.setdefault(FIELD_SECTION[key], {})[key] = value
    sections = {s.key: s for s in Section.objects.select_for_update().filter(application=application, key__in=touched)}
    now = timezone.now()
    before, after = {}, {}
    for key, values in touched.items():
        section = sections[key]
        expected = (expected_versions or {}).get(key)
        if expected is not None and int(expected) != section.version:
            if all(section.data.get(k) == v for k, v in values.items()):
                # The same save again (the page retries after a lost answer): what it asks is
                # already there and nothing anyone saved is overwritten, so it is a success.
                continue
            who = section.updated_by.display_name or section.updated_by.username if section.updated_by_id else "他人"
            when = timezone.localtime(section.updated_at).strftime("%H:%M:%S") if section.updated_at else ""
            raise Conflict(
                f"“{SectionKey(key).label}”已于 {when} 由 {who} 在其他窗口保存，您这次的修改没有保存，以免覆盖对方的内容。"
                "请复制您的修改，刷新页面后再填写。",
                field=key,
            )
        changed = {k: v for k, v in values.items() if section.data.get(k) != v}
        if not changed:
            continue
        before.update({k: section.data.get(k) for k in changed})
        after.update(changed)
        Section.objects.filter(pk=section.pk).update(
            data={**section.data, **values}, version=F("version") + 1, updated_at=now, updated_by=actor
        )
        section.version += 1
    if "name" in after:
        Application.objects.filter(pk=application.pk).update(name=after["name"], updated_at=now)
    elif after:
        Application.objects.filter(pk=application.pk).update(updated_at=now)
    if after:
        record(action=action, actor=actor, obj=application, before=before, after=after, request=request)
    return {key: section.version for key, section in sections.items()}


@dataclass
class Readiness:
    """What stands between a draft and submission."""

    missing: list[FieldError] = field(default_factory=list)
    evidence_missing: list[ChecklistItem] = field(default_factory=list)
    complete_sections: dict[str, bool] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return not self.missing and not self.evidence_missing

    def messages(self) -> list[str]:
        return [m.message for m in self.missing] + [f"佐证材料：请上传“{i.title}”" for i in self.evidence_missing]


def readiness(application: Application, data: dict | None = None) -> Readiness:
    data = data if data is not None else load_data(application)
    missing = missing_for_submission(data, application.round)
    items = list(application.round.checklist.all())
    present = set(EvidenceFile.objects.filter(application=application, removed_at__isnull=True).values_list("item_code", flat=True))
    evidence_missing = [i for i in items if i.required and i.code not in present]
    complete = {key: True for key in SectionKey.values}
    for m in missing:
        complete[FIELD_SECTION.get(m.field.split(".")[0], SectionKey.BASIC)] = False
    complete["evidence"] = not evidence_missing
    return Readiness(missing, evidence_missing, complete)


def registry_notice(application: Application, data: dict | None = None) -> str:
    """A warning, not a refusal: the registry already holds this cluster (same county-level unit,
    same leading industry or niche), so recognising this application updates that entry. ""
    when there is none."""
    from clusterdesk.registry.service import later_round_notice

    data = data if data is not None else load_data(application)
    return later_round_notice(application, data.get("leading_industry_code") or "", data.get("niche") or "")


def _digest(data: dict, evidence: list[dict]) -> str:
    canonical = json.dumps({"data": data, "evidence": evidence}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def evidence_manifest(application: Application) -> list[dict]:
    order = {c.code: i for i, c in enumerate(application.round.checklist.all())}
    files = EvidenceFile.objects.filter(application=application, removed_at__isnull=True)
    return [
        {"id": f.pk, "item": f.item_code, "name": f.original_name, "kind": f.kind, "size": f.size, "sha256": f.sha256}
        for f in sorted(files, key=lambda f: (order.get(f.item_code, 999), f.uploaded_at, f.pk))
    ]


@transaction.atomic
def submit(*, actor, application: Application, request=None, change_note: str = "") -> ApplicationVersion:
    """Submit to the city: an immutable snapshot (data, evidence hashes, the criteria reports
    against the set versions the round names), and the draft becomes read-only.

    Submitting an already submitted application returns its version (a double click is
    harmless). Refused with the list of what is missing, or after the deadline.
    ``change_note`` (修改说明): what a resubmission changed, stored with the version and as the
    step's comment (the timeline shows it); ignored on a first submission.
    Side effects: ``application.submitted`` audit event.
    """
    change_note = (change_note or "").strip() if isinstance(change_note, str) else ""
    if len(change_note) > MAX_CHANGE_NOTE:
        raise DomainError(f"修改说明不能超过 {MAX_CHANGE_NOTE} 字，请精简", field="change_note")
    application = Application.objects.select_for_update().select_related("round", "org").get(pk=application.pk)
    if not application.editable and application.current_version and rules.is_applicant_of(actor, application):
        return application.versions.get(number=application.current_version)  # a double click: harmless
    _require(rules.can_submit(actor, application))
    check_open(application.round, editing_stage(application), application.org)
    data = load_data(application)
    ready = readiness(application, data)
    if not ready.ready:
        errors = [m.as_dict() for m in ready.missing] + [
            {"field": f"evidence.{i.code}", "message": f"佐证材料：请上传“{i.title}”"} for i in ready.evidence_missing
        ]
        raise DomainError(f"还不能提交，缺少 {len(errors)} 项内容：" + "；".join(e["message"] for e in errors[:5])
                          + ("……" if len(errors) > 5 else ""), errors=errors)
    evidence = evidence_manifest(application)
    now = timezone.now()
    change_note = change_note if application.current_version else ""  # nothing to explain on a first submission
    from clusterdesk.criteria.domain import snapshot_reports

    version = ApplicationVersion.objects.create(
        application=application, number=application.current_version + 1, submitted_at=now, submitted_by=actor,
        data=data, evidence=evidence, digest=_digest(data, evidence), report=snapshot_reports(application, data),
        change_note=change_note,
    )
    # A return by the province goes back to the province; any other submission to the city.
    from clusterdesk.reviews.service import PROVINCIAL  # the provincial track's table

    action = "resubmit_to_province" if application.resubmit_stage == StageCode.NATIONAL_RECOMMENDATION else "submit"
    application.current_version, application.submitted_at = version.number, now
    application.save(update_fields=["current_version", "submitted_at"])
    told = f"{application.org.name}提交了申报（第 {version.number} 版），请审核。"
    PROVINCIAL.move(actor=actor, obj=application, action=action, request=request, now=now, check=False,
                    inputs={"comment": change_note}, extra={"version": version.number, "digest": version.digest},
                    message=told + (f"修改说明：{change_note}" if change_note else ""))
    return version


@transaction.atomic
def withdraw(*, actor, application: Application, request=None) -> Application:
    """Take a submission back before the city acts; it becomes an editable draft again.

    Refused after the deadline (the county could not submit again). The withdrawn version
    stays readable. Side effects: ``application.withdrawn`` audit event.
    """
    application = Application.objects.select_for_update().select_related("round", "org").get(pk=application.pk)
    _require(rules.can_withdraw(actor, application))
    check_open(application.round, STAGE, application.org, late="撤回后将无法再次提交，因此不能撤回；如需修改请联系市州")
    version = application.versions.get(number=application.current_version)
    version.withdrawn_at = timezone.now()
    version.save(update_fields=["withdrawn_at"])
    from clusterdesk.reviews.service import PROVINCIAL

    return PROVINCIAL.move(actor=actor, obj=application, action="withdraw", request=request, check=False,
                           extra={"version": version.number},
                           message=f"{application.org.name}撤回了已提交的申报（第 {version.number} 版）。")


def deadline_text(application: Application) -> str:
    from clusterdesk.rounds.domain import closes_at

    moment = closes_at(application.round, editing_stage(application), application.org)
    return format_deadline(moment) if moment else "未设置"
