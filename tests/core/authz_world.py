"""The world of the authorization matrix: one object of every kind reachable by id, all of
them belonging to 敦化市 (延边州), and the attacking seats, none of which is in 延边州.

Objects are made through the domain functions where the route needs a realistic object
(application, its version and evidence, the city's lists with their letter, the re-review
task and its evidence, the spot check and its file) and directly where only the row's
existence matters (publicity, report, change filing, package job, message, e-mail, expert
assignment): the matrix asks whether a foreign seat can reach a row, not how the row came to be.
"""

from datetime import date, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.conftest import PDF, complete_body

# The attacking seats: key → (username, org code, role). None sits in 延边州 (222400).
SEATS = {
    "county": ("atk_county", "220521", "county_applicant"),  # 通化县
    "city": ("atk_city", "220500", "city_reviewer"),  # 通化市
    "province": ("atk_province", "220000", "province_admin"),
    "expert": ("atk_expert", "220100", "expert"),  # 长春市
    "leader_county": ("atk_leader", "220521", "leader"),  # a leader at 通化县
    "sysadmin": ("atk_sysadmin", "220000", "sysadmin"),
}
ROLES = tuple(SEATS)
PROVINCE_LEVEL = frozenset({"province", "sysadmin"})


def pdf(name="材料.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def build(accounts, make_user) -> dict:
    """Make the foreign objects; returns the ids the route table's kwargs are built from."""
    from clusterdesk.applications import domain as apps
    from clusterdesk.applications.models import Application, EvidenceFile
    from clusterdesk.documents.models import PackageJob
    from clusterdesk.experts.models import ExpertAssignment
    from clusterdesk.notifications.models import Announcement, Message, OutboundEmail
    from clusterdesk.orgs.models import Org
    from clusterdesk.registry.models import AnnualReport, ChangeEvidence, ChangeFiling, Cluster
    from clusterdesk.rereview import domain as rr
    from clusterdesk.rereview.models import RereviewEvidence
    from clusterdesk.reviews import domain as reviews
    from clusterdesk.reviews import province
    from clusterdesk.reviews.models import Objection, PublicityBatch, PublicityEntry, RecommendationList, SpotCheckFile
    from tests.rereview.test_rereview import make_rereview_round, rereview_body, seed_registry

    dunhua, yanbian, admin = accounts["dunhua"], accounts["yanbian"], accounts["province"]
    seats = {key: make_user(*seat) for key, seat in SEATS.items()}

    cluster = seed_registry()  # 敦化市医药产业集群: national, due in 2025
    round_ = make_rereview_round(admin)  # the one 2025 round: applications and re-review

    # The application, driven through the chain: submitted, recommended, formally sent, spot-checked.
    app = apps.create_application(actor=dunhua, round_=round_)
    apps.save_fields(actor=dunhua, application=app, data=complete_body())
    for item in round_.checklist.filter(required=True):
        from clusterdesk.applications.evidence import upload_evidence

        upload_evidence(actor=dunhua, application=app, item_code=item.code, upload=pdf(f"{item.code}.pdf"))
    apps.submit(actor=dunhua, application=app)
    app = Application.objects.get(pk=app.pk)
    reviews.perform(actor=yanbian, application=app, action="city_recommend", inputs={"national": True})
    reviews.submit_name_list(actor=yanbian, round_=round_)
    reviews.submit_formal(actor=yanbian, round_=round_, confirm_final=True, letter=pdf("推荐函.pdf"))
    app = Application.objects.get(pk=app.pk)
    province.add_spot_check(actor=admin, application=app, checked_on=date(2025, 6, 3), people="王处长",
                            findings="现场核实", files=[pdf("现场.pdf")])

    # The re-review task of the same county, filled, with evidence.
    task = rr.open_rereview(actor=admin, round_=round_, cluster=cluster)[0]
    rr.save_task(actor=dunhua, task=task, data=rereview_body())
    for item in task.round.checklist.filter(required=True):
        rr.upload_evidence(actor=dunhua, task=task, item_code=item.code, upload=pdf(f"{item.code}.pdf"))

    # Rows whose existence is what matters.
    batch = PublicityBatch.objects.create(round=round_, title="拟认定公示", starts_on=date(2025, 7, 1), working_days=5,
                                          ends_on=date(2025, 7, 7), created_by=admin)
    entry = PublicityEntry.objects.create(batch=batch, application=app)
    objection = Objection.objects.create(entry=entry, received_on=date(2025, 7, 2), submitted_by="某企业",
                                         content="异议内容", recorded_by=admin)
    report = AnnualReport.objects.create(cluster=cluster, year=2026, due_on=date(2027, 3, 31))
    filing = ChangeFiling.objects.create(cluster=cluster, kind="operating_body", before={"operating_body": "甲"},
                                         after={"operating_body": "乙"}, reason="机构改革", filed_by=dunhua)
    change_evidence = ChangeEvidence.objects.create(filing=filing, original_name="批复.pdf",
                                                    stored_name="changes/x/authz.pdf", kind="pdf", size=len(PDF),
                                                    sha256="0" * 64)
    job = PackageJob.objects.create(round=round_, org=yanbian.org, requested_by=yanbian, status="done",
                                    finished_at=timezone.now() - timedelta(minutes=1))
    message = Message.objects.create(recipient=yanbian, kind="test", title="给延边州的消息")
    email = OutboundEmail.objects.create(recipient=yanbian, to="yb@example.cn", subject="通知", body="正文",
                                         kind="test", status="failed", error="SMTP 不可用")
    announcement = Announcement.objects.create(province=admin.org, title="关于申报的通知", body="正文",
                                               published_at=timezone.now(), by=admin)
    other_expert = make_user("yb_expert", "222400", "expert")
    assignment = ExpertAssignment.objects.create(application=app, expert=other_expert, assigned_by=admin)

    return {
        "seats": seats,
        "round": round_.pk,
        "app": app.pk,
        "app_number": app.number,
        "version": app.current_version,
        "evidence": EvidenceFile.objects.filter(application=app).first().pk,
        "list": RecommendationList.objects.filter(round=round_, org=yanbian.org, kind="formal").get().pk,
        "spot_file": SpotCheckFile.objects.get().pk,
        "announcement": announcement.pk,
        "batch": batch.pk,
        "entry": entry.pk,
        "objection": objection.pk,
        "cluster": cluster.pk,
        "report": report.pk,
        "change": filing.pk,
        "change_evidence": change_evidence.pk,
        "task": task.pk,
        "task_evidence": RereviewEvidence.objects.filter(task=task).first().pk,
        "job": job.pk,
        "message": message.pk,
        "email": email.pk,
        "assignment": assignment.pk,
        "org_code": "222403",
        "account": dunhua.pk,
        "criteria_code": "national-2022",
        "criteria_version": 1,
        "cluster_model": Cluster,
        "org_model": Org,
    }
