"""Home page panels of the registry: a county's annual reports and pending changes; the
province's overdue reports, validity ending soon and changes to decide; a city's pool."""

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from clusterdesk.core.home import Item, Panel, home_page, panel_provider
from clusterdesk.orgs import roles
from clusterdesk.orgs.models import Role

from . import domain
from .models import AnnualReport, ChangeFiling, Cluster, Level
from .workflow import CHANGE, CLUSTER, REPORT


@panel_provider
def county_registry_panel(user):
    if user.role != Role.COUNTY_APPLICANT:
        return []
    clusters = list(Cluster.objects.visible_to(user).filter(status__in=CLUSTER.group("valid")).select_related("org"))
    if not clusters:
        return []
    now = timezone.now()
    today = domain.today_local(now)
    reports = {(r.cluster_id, r.year): r for r in AnnualReport.objects.filter(cluster__in=[c.pk for c in clusters])}
    items = []
    for cluster in clusters:
        url = reverse("registry_cluster", args=[cluster.pk])
        for year in domain.owed_years(cluster, today):
            report = reports.get((cluster.pk, year))
            if report is not None and REPORT.in_group("done", report.status):
                continue
            due_on = report.due_on if report else domain.report_due_on(year)
            days = (due_on - today).days
            if domain.is_late(due_on, now):
                text, tone = f"已逾期（截止 {due_on:%Y-%m-%d}），请尽快提交", "danger"
            elif days == 0:
                text, tone = f"今天截止（{due_on:%Y-%m-%d}）", "danger"
            else:
                text, tone = f"还剩 {days} 天（截止 {due_on:%Y-%m-%d}）", "warn" if days <= 30 else ""
            items.append(Item(f"{cluster.name} {year}年度报告", text, url, tone))
        # The next report: the year in progress, due next year.
        upcoming = today.year
        if cluster.valid_until and upcoming <= cluster.valid_until.year and (cluster.pk, upcoming) not in reports:
            due_on = domain.report_due_on(upcoming)
            if (due_on - today).days <= 30:
                items.append(Item(f"{cluster.name} {upcoming}年度报告", f"截止 {due_on:%Y-%m-%d}", url, "warn"))
    pending = ChangeFiling.objects.filter(cluster__in=[c.pk for c in clusters], status__in=CHANGE.group("pending")).count()
    if pending:
        items.append(Item("变更报备待省厅审核", str(pending), reverse("cluster_registry")))
    return [Panel("集群年度报告", items, empty="本单位的集群暂无需要报送的年度报告", order=20)]


@panel_provider
def province_registry_panel(user):
    """Counts by SQL; only the overdue reports are worked out per entry in force."""
    if not domain.is_province_staff(user):
        return []
    now = timezone.now()
    today = domain.today_local(now)
    visible = Cluster.objects.visible_to(user)
    valid = visible.filter(status__in=CLUSTER.group("valid"))
    url = reverse("registry_dashboard")
    overdue = domain.overdue_reports(valid.select_related("org").only(
        "pk", "name", "status", "created_at", "valid_from", "valid_until", "org__path", "org__name"), now)
    counts = visible.aggregate(
        recognized=Count("pk", filter=Q(status__in=CLUSTER.group("valid"))),
        ending=Count("pk", filter=Q(status__in=CLUSTER.group("valid"), valid_until__gte=today,
                                    valid_until__lte=domain.add_months(today, 12))),
        past=Count("pk", filter=Q(status__in=CLUSTER.group("due_for_expiry"), valid_until__lt=today)),
    )
    items = [
        Item("认定有效的集群", str(counts["recognized"]), reverse("cluster_registry") + "?status=recognized"),
        Item("年度报告逾期未报", str(len(overdue)), url, "danger" if overdue else ""),
        Item("12个月内到期", str(counts["ending"]), url, "warn" if counts["ending"] else ""),
    ]
    if not roles.is_leader(user):  # the leader's home is the overview itself
        items.insert(0, Item("工作总览（申报进度、分布图、历年指标、逾期事项）", "查看", reverse("leader_dashboard")))
    if counts["past"]:
        items.append(Item("有效期已过，待复核或办理到期", str(counts["past"]), url, "danger"))
    if roles.is_province_admin(user):
        pending = ChangeFiling.objects.filter(cluster__in=visible.filter(status__in=CLUSTER.group("in_registry"))
                                              .values("pk"), status__in=CHANGE.group("pending")).count()
        items.append(Item("变更报备待审核", str(pending), url, "warn" if pending else ""))
    return [Panel("集群名录", items, order=30)]


@home_page
def leader_home(request):
    """The province leader's home is the dashboard (工作总览), not panels."""
    user = request.user
    if not (roles.is_leader(user) and roles.at_province(user)):
        return None
    from .views_registry import render_leader_dashboard

    return render_leader_dashboard(request, as_home=True)


@panel_provider
def city_registry_panel(user):
    if user.role != Role.CITY_REVIEWER:
        return []
    visible = Cluster.objects.visible_to(user)
    counts = visible.aggregate(pool=Count("pk", filter=Q(level=Level.POOL)),
                               recognized=Count("pk", filter=Q(status__in=CLUSTER.group("valid"))))
    pool, recognized = counts["pool"], counts["recognized"]
    overdue = domain.overdue_reports(visible.filter(status__in=CLUSTER.group("valid")).select_related("org").only(
        "pk", "name", "status", "created_at", "valid_from", "valid_until", "org__path", "org__name"))
    return [Panel("集群名录", [
        Item("本地认定有效的集群", str(recognized), reverse("cluster_registry") + "?status=recognized"),
        Item("培育库", str(pool), reverse("cultivation_pool")),
        Item("年度报告逾期未报", str(len(overdue)), reverse("cluster_registry"), "danger" if overdue else ""),
    ], order=30)]


# --- the to-do list (core/todo.py) ---------------------------------------------------------------

from clusterdesk.core.todo import Todo, todo_provider  # noqa: E402


@todo_provider
def report_todos(user):
    """A county: annual reports owed by its clusters in force and not yet submitted (due or
    overdue). Two queries (the entries, their reports), whatever the number of clusters."""
    if user.role != Role.COUNTY_APPLICANT:
        return []
    clusters = list(Cluster.objects.visible_to(user).filter(status__in=CLUSTER.group("valid")))
    today = domain.today_local()
    reports = {(r[0], r[1]): r[2] for r in AnnualReport.objects.filter(
        cluster__in=[c.pk for c in clusters]).values_list("cluster_id", "year", "status")}
    owed = sum(1 for c in clusters for year in domain.owed_years(c, today)
               if not REPORT.in_group("done", reports.get((c.pk, year), "")))
    return [Todo("report", "待报送的集群年度报告", owed, reverse("cluster_registry"), 30)]
