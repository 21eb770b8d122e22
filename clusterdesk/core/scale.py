"""A realistic data set at scale for benchmarks (``manage.py seed_scale``).

Every county-level unit of the loaded org tree gets applications across several rounds, in every
status of both tracks, with all seven sections filled, a submitted version for everything past
the draft, evidence records (one small PDF file each on disk), audit events, and registry entries
(with annual reports) for the recognised ones. Rows go in with ``bulk_create``.

It refuses a database that holds real data: any application that neither this seeder nor
``load_demo`` made. Seeded rows are recognisable: application numbers start with ``SCALE-``,
their accounts' usernames with ``scale_``, their rounds' names end with ``（规模测试）``.
"""

import hashlib
import itertools
import json
import uuid
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from clusterdesk.core.errors import DomainError

NUMBER_PREFIX = "SCALE-"
ROUND_SUFFIX = "（规模测试）"
USER_PREFIX = "scale_"
DEMO_ROUND_SUFFIX = "（演示）"
ROUND_SIZE = 2000  # applications per round, as in the measurement (10 rounds × 2,000)
BATCH = 1000

# A tiny but valid PDF: evidence files are real files, sniffed as PDF.
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


@dataclass
class Seeded:
    rounds: int
    applications: int
    versions: int
    evidence: int
    audit_events: int
    clusters: int
    reports: int


def real_applications():
    """Applications neither seed_scale nor load_demo made: their presence means real data."""
    from clusterdesk.applications.models import Application

    return Application.objects.exclude(number__startswith=NUMBER_PREFIX).exclude(
        round__name__endswith=DEMO_ROUND_SUFFIX)


def refuse_real_data() -> None:
    count = real_applications().count()
    if count:
        raise DomainError(
            f"数据库中已有 {count} 份真实申报（不是 seed_scale 或 load_demo 生成的），seed_scale 只能在测试库上运行，"
            f"请换用空库（DATABASE_URL 或 CLUSTERDESK_VAR_DIR 指向新的位置）。"
            f" / The database holds {count} real application(s) (not made by seed_scale or load_demo); "
            f"seed_scale runs only on a scratch database: point DATABASE_URL or CLUSTERDESK_VAR_DIR elsewhere.")


def _sections(i: int, name: str, code: str, years: list[int]) -> dict[str, dict]:
    base = 20 + (i % 50)
    return {
        "basic": {"name": name, "covered_org_codes": [], "leading_industry_code": code, "niche": f"细分领域{i % 97}",
                  "area_km2": str(30 + i % 70), "operating_body": f"{name}运营管理中心", "coordination_note": ""},
        "contacts": {"contacts": [{"name": "张工", "title": "科长", "phone": "0431-88880000", "email": "a@example.cn"}]},
        "indicators": {"sme_count": 60 + i % 40, "indicators": [
            {"year": y, "total_output": f"{base + k * 3}.0", "sme_output": f"{base * 0.7 + k * 2:.1f}",
             "leading_output": f"{base * 0.8 + k * 2:.1f}", "enterprise_count": 80 + k * 5, "sme_rd_spending": "1.2"}
            for k, y in enumerate(years)]},
        "enterprises": {"quality_enterprises": [
            {"name": f"吉林示范企业{i}-{k}有限公司", "uscc": "", "qualification": q, "year": years[-1]}
            for k, q in enumerate(("little_giant", "specialized", "innovative"))]},
        "aspects": {"core_competitiveness": "集群主导产业为县域支柱产业。" * 8, "sme_cultivation": "梯度培育成效显著。" * 8,
                    "aspects": {str(n): f"第{n}方面的情况说明。" * 10 for n in range(3, 9)}},
        "declaration": {"negative_list_clear": True},
        "plan": {"plan_targets": [{"name": "集群产值", "unit": "亿元", "baseline": str(base), "target": str(base + 15),
                                   "year": years[-1] + 3}]},
    }


def _status_cycle():
    """Every status of both tracks, weighted roughly like a real year (most stop early)."""
    from clusterdesk.applications.models import NationalStatus as N
    from clusterdesk.applications.models import Status as S

    plan = [  # 100 a cycle: 6 % recognised (provincial or national), as in a selective year
        (S.DRAFT, N.NONE, 24), (S.SUBMITTED, N.NONE, 20), (S.RETURNED, N.NONE, 6), (S.CITY_REJECTED, N.NONE, 10),
        (S.RECOMMENDED, N.NONE, 6), (S.FORMAL, N.NONE, 6), (S.INITIAL_PASSED, N.CANDIDATE, 4),
        (S.INITIAL_FAILED, N.NONE, 8), (S.PUBLICITY, N.SELECTED, 4), (S.RECOGNIZED, N.NONE, 3),
        (S.RECOGNIZED, N.SENT, 1), (S.RECOGNIZED, N.RECOGNIZED, 1), (S.RECOGNIZED, N.NOT_RECOGNIZED, 1),
        (S.NOT_RECOGNIZED, N.NONE, 6),
    ]
    # Interleaved (one of each in turn while its weight lasts), so a small seed already has every status.
    slots = [[(s, n)] * weight for s, n, weight in plan]
    order = [slot[k] for k in range(max(len(x) for x in slots)) for slot in slots if k < len(slot)]
    return itertools.cycle(order)


def _round(admin, year: int, open_: bool):
    from clusterdesk.rounds.domain import create_round
    from clusterdesk.rounds.models import Round

    name = f"{year}年度中小企业特色产业集群申报推荐{ROUND_SUFFIX}"
    found = Round.objects.filter(name=name).first()
    if found is not None:
        return found
    start = date(year, 3, 1)
    return create_round(
        actor=admin, name=name, year=year, status="open" if open_ else "closed", city_quota=3,
        criteria_sets=[{"code": "national-2022", "version": 2}, {"code": "jilin-provincial-2024", "version": 2}],
        deadlines={"county_submission": start + timedelta(days=60), "name_list": start + timedelta(days=75),
                   "formal_submission": start + timedelta(days=105), "national_recommendation": start + timedelta(days=150)},
        contact_office="省工信厅中小企业处", contact_name="规模测试", contact_phone="0431-00000000",
    )


def seed(*, applications: int, audit_per_application: int, under=None, media_root=None, out=None) -> Seeded:
    """Make ``applications`` more seeded applications (on top of any seeded before), spread over
    every county-level unit (only those under the unit ``under``, if given)."""
    from django.conf import settings

    from clusterdesk.applications.models import (
        Application, ApplicationVersion, EvidenceFile, NationalStatus, Section, Status,
    )
    from clusterdesk.audit import chain as audit_chain
    from clusterdesk.audit.models import AuditEvent
    from clusterdesk.catalog.domain import load_industries
    from clusterdesk.criteria.domain import load_shipped
    from clusterdesk.orgs.models import KIND_LEVEL, Org, OrgKind, OrgLevel, Role, User
    from clusterdesk.registry.models import AnnualReport, Cluster, ClusterStatus, Level

    refuse_real_data()
    counties = list(Org.objects.filter(kind__in=[k for k, lv in KIND_LEVEL.items() if lv == OrgLevel.COUNTY])
                    .exclude(recommender=None).order_by("path"))
    if under is not None:
        counties = [o for o in counties if o.path.startswith(under.path)]
    province = Org.objects.filter(kind=OrgKind.PROVINCE).first()
    if not counties or province is None:
        raise DomainError("请先导入单位树：manage.py load_orgs data/jilin-divisions.csv / load the org tree first")
    say = out or (lambda _msg: None)
    load_industries(str(settings.BASE_DIR / "data" / "gbt4754-2017-divisions.csv"))
    load_shipped()

    password = make_password("Scale@2025")
    admin, _ = User.objects.get_or_create(username=f"{USER_PREFIX}admin", defaults={
        "org": province, "role": Role.PROVINCE_ADMIN, "password": password, "display_name": "规模测试省厅"})
    existing = set(User.objects.filter(username__startswith=USER_PREFIX).values_list("username", flat=True))
    User.objects.bulk_create([
        User(username=f"{USER_PREFIX}{o.code}", org=o, role=Role.COUNTY_APPLICANT, password=password,
             display_name=f"{o.name}（规模测试）") for o in counties if f"{USER_PREFIX}{o.code}" not in existing])
    applicants = {u.org_id: u for u in User.objects.filter(username__startswith=USER_PREFIX, role=Role.COUNTY_APPLICANT)}

    n_rounds = max(3, min(10, -(-applications // ROUND_SIZE)))
    this_year = timezone.localdate().year
    rounds = [_round(admin, this_year - n_rounds + 1 + k, open_=(k == n_rounds - 1)) for k in range(n_rounds)]
    say(f"rounds: {len(rounds)}")
    industries = ["C13", "C14", "C17", "C18", "C26", "C27", "C30", "C33", "C34", "C35", "C36", "C38", "C39"]
    offset = Application.objects.filter(number__startswith=NUMBER_PREFIX).count()
    statuses = _status_cycle()
    now = timezone.now()
    from clusterdesk.core.files import local_root, private_storage

    media = media_root if media_root is not None else local_root()  # None: an object store
    counts = Seeded(len(rounds), 0, 0, 0, 0, 0, 0)

    for start in range(0, applications, BATCH):
        size = min(BATCH, applications - start)
        with transaction.atomic():
            apps, plans = [], []
            for j in range(size):
                i = offset + start + j
                round_ = rounds[i % len(rounds)]
                org = counties[i % len(counties)]
                status, national = next(statuses)
                name = f"{org.name}{industries[i % len(industries)]}产业集群{i}"
                apps.append(Application(
                    round=round_, org=org, number=f"{NUMBER_PREFIX}{round_.year}-{i:07d}", name=name, status=status,
                    national_status=national, national_flag=national != NationalStatus.NONE,
                    current_version=0 if status == Status.DRAFT else 1, created_by=applicants[org.pk],
                    submitted_at=None if status == Status.DRAFT else now - timedelta(days=i % 300),
                    state_version=0 if status == Status.DRAFT else 2,
                    round_year=round_.year, org_path=org.path))  # bulk_create skips save(): the list order's copies
                plans.append((i, name, industries[i % len(industries)], round_))
            Application.objects.bulk_create(apps, batch_size=BATCH)
            if not all(a.pk for a in apps):  # backends without RETURNING ids (none we use): fetch them
                by_number = dict(Application.objects.filter(number__in=[a.number for a in apps]).values_list("number", "pk"))
                for a in apps:
                    a.pk = by_number[a.number]
            sections, versions, evidence, events, clusters = [], [], [], [], []
            for app, (i, name, code, round_) in zip(apps, plans):
                years = list(round_.window_years)
                data = _sections(i, name, code, years)
                for key, section in data.items():
                    sections.append(Section(application=app, key=key, data=section, version=1, updated_at=now,
                                            updated_by=app.created_by))
                relative = f"evidence/scale/{uuid.uuid4().hex}.pdf"
                body = PDF + f"% {app.number}\n".encode()
                if media is not None:
                    path = Path(media) / relative
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(body)
                else:
                    private_storage().save(relative, ContentFile(body))
                sha = hashlib.sha256(body).hexdigest()
                evidence.append(EvidenceFile(application=app, item_code="license", original_name=f"{name}-佐证.pdf",
                                             stored_name=relative, kind="pdf", size=len(body), sha256=sha,
                                             crc32=zlib.crc32(body), uploaded_by=app.created_by))
                if app.status != Status.DRAFT:
                    flat = {k: v for section in data.values() for k, v in section.items()}
                    snapshot = {"data": flat, "evidence": [{"item_code": "license", "sha256": sha}]}
                    versions.append(ApplicationVersion(
                        application=app, number=1, submitted_at=app.submitted_at, submitted_by=app.created_by,
                        data=flat, evidence=snapshot["evidence"], report=None,
                        digest=hashlib.sha256(json.dumps(snapshot, sort_keys=True, ensure_ascii=False).encode()).hexdigest()))
                actions = ["application.created"] + ["application.section_saved"] * max(0, audit_per_application - 2)
                if audit_per_application >= 2:
                    actions.append("application.submitted" if app.status != Status.DRAFT else "application.section_saved")
                for action in actions[:audit_per_application]:
                    events.append(AuditEvent(
                        actor=app.created_by, actor_username=app.created_by.username, org_code=app.org.code,
                        org_name=app.org.name, action=action, object_type="applications.application",
                        object_id=str(app.pk), object_repr=f"{app.number} {name}"[:255], comment="规模测试数据"))
                if app.status == Status.RECOGNIZED:
                    national_ok = app.national_status == NationalStatus.RECOGNIZED
                    clusters.append(Cluster(
                        name=name, org=app.org, level=Level.NATIONAL if national_ok else Level.PROVINCIAL,
                        batch_year=round_.year, valid_from=date(round_.year, 12, 1),
                        valid_until=date(round_.year + 3, 11, 30),
                        status=ClusterStatus.RECOGNIZED if round_.year + 3 >= this_year else ClusterStatus.EXPIRED,
                        application=app, leading_industry_code=code, operating_body=data["basic"]["operating_body"],
                        plan_targets=data["plan"]["plan_targets"], note="规模测试数据"))
            Section.objects.bulk_create(sections, batch_size=BATCH)
            EvidenceFile.objects.bulk_create(evidence, batch_size=BATCH)
            ApplicationVersion.objects.bulk_create(versions, batch_size=BATCH)
            audit_chain.append_many(events, batch_size=BATCH)  # chained, as the log requires
            Cluster.objects.bulk_create(clusters, batch_size=BATCH)
            reports = [AnnualReport(cluster=c, year=c.batch_year + 1, due_on=date(c.batch_year + 2, 3, 31),
                                    data={"narrative": "年度发展情况（规模测试）"}, status="submitted",
                                    submitted_at=now, submitted_by=c.application.created_by)
                       for c in clusters if c.pk and c.batch_year + 1 < this_year]
            AnnualReport.objects.bulk_create(reports, batch_size=BATCH)
        counts.applications += size
        counts.versions += len(versions)
        counts.evidence += len(evidence)
        counts.audit_events += len(events)
        counts.clusters += len(clusters)
        counts.reports += len(reports)
        say(f"applications: {offset + start + size}")
    return counts
