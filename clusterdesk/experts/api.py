"""Expert review over JSON (mounted at ``/api/v1/experts`` by ``clusterdesk/api/main.py``).

Experts: their assignments and scoring. Province administrators: assignment (by hand and
automatic) and the results. Thin: every handler calls ``experts.domain``. An assignment not
the caller's, or out of scope (after scoring closed, in conflict), is a 404; a conflict or a
closed stage is a 409; an out-of-range value is a 400 naming the aspect.
"""

from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from pydantic import ConfigDict

from clusterdesk.core.pagecache import cached_page
from clusterdesk.applications.models import Application
from clusterdesk.core.errors import DomainError
from clusterdesk.core.workflow import require
from clusterdesk.orgs.models import User
from clusterdesk.rounds.models import SHANGHAI, Round

from . import domain, rules
from .models import ExpertAssignment
from .scoping import assignments_for

router = Router(tags=["专家评审"])


# --- Schemas ---------------------------------------------------------------------------------

class ErrorOut(Schema):
    detail: str
    field: str | None = None


class ScoreOut(Schema):
    aspect: int
    title: str
    weight: str
    max_score: str
    value: str | None
    comment: str


class ApplicationRef(Schema):
    id: int
    number: str
    name: str
    org_code: str
    org_name: str
    status: str


class AssignmentOut(Schema):
    id: int
    application: ApplicationRef
    round_id: int
    round_name: str
    expert: str
    submitted: bool
    submitted_at: str | None
    scoring_closes_at: str | None
    weighted_total: str | None
    scores: list[ScoreOut]


class ScoreIn(Schema):
    model_config = ConfigDict(extra="forbid")

    aspect: int
    value: str | int | float | None = None
    comment: str | None = None


class ScoresIn(Schema):
    """``value`` 0 至该方面满分，最多两位小数；``submit`` 为 true 时须八个方面都有分数。"""

    model_config = ConfigDict(extra="forbid")

    scores: list[ScoreIn]
    submit: bool = False


class AssignIn(Schema):
    model_config = ConfigDict(extra="forbid")

    application: int
    expert: int | str


class AutoAssignIn(Schema):
    model_config = ConfigDict(extra="forbid")

    per_application: int = 3


class ShortOut(Schema):
    application: int
    number: str
    have: int
    needed: int
    message: str


class AutoAssignOut(Schema):
    applications: int
    created: list[AssignmentOut]
    short: list[ShortOut]


class StatsOut(Schema):
    count: int
    mean: str | None
    median: str | None
    spread: str | None
    min: str | None
    max: str | None


class AspectResultOut(Schema):
    aspect: int
    title: str
    stats: StatsOut


class ResultOut(Schema):
    rank: int | None
    application: ApplicationRef
    assigned: int
    submitted: int
    excluded_experts: list[str]
    total: StatsOut
    aspects: list[AspectResultOut]


class RubricItemOut(Schema):
    aspect: int
    title: str
    weight: str
    max_score: str


class ResultsOut(Schema):
    round_id: int
    spread_is: str
    rubric: list[RubricItemOut]
    results: list[ResultOut]


# --- Shaping ---------------------------------------------------------------------------------

def _iso(moment) -> str | None:
    return moment.astimezone(SHANGHAI).isoformat(timespec="seconds") if moment else None


def _app_ref(app: Application) -> dict:
    return {"id": app.pk, "number": app.number, "name": app.name, "org_code": app.org.code,
            "org_name": app.org.name, "status": app.status}


def assignment_out(a: ExpertAssignment, items=None) -> dict:
    items = items if items is not None else domain.rubric(a.application.round)
    given = {s.item_id: s for s in a.scores.all()}
    scores = []
    for i in items:
        s = given.get(i.pk)
        scores.append({"aspect": i.aspect, "title": i.title, "weight": domain.fmt(i.weight),
                       "max_score": domain.fmt(i.max_score),
                       "value": domain.fmt(s.value) if s is not None and s.value is not None else None,
                       "comment": s.comment if s is not None else ""})
    total = None
    if all(s["value"] is not None for s in scores):
        total = domain.fmt(domain.two_places(domain.weighted_total(items, {s["aspect"]: s["value"] for s in scores})))
    return {
        "id": a.pk, "application": _app_ref(a.application), "round_id": a.application.round_id,
        "round_name": a.application.round.name, "expert": a.expert.username, "submitted": a.submitted,
        "submitted_at": _iso(a.submitted_at), "scoring_closes_at": _iso(domain.scoring_closes_at(a.application.round)),
        "weighted_total": total, "scores": scores,
    }


def _expert(request):
    require(rules.can_score(request.user))
    return request.user


def _mine(request, assignment_id: int) -> ExpertAssignment:
    return get_object_or_404(
        assignments_for(_expert(request)).select_related("application__round", "application__org", "expert")
        .prefetch_related("scores"), pk=assignment_id)


def _province_round(request, round_id: int) -> Round:
    round_ = get_object_or_404(Round.objects.visible_to(request.user), pk=round_id)
    require(rules.can_manage(request.user, round_))
    return round_


# --- Experts ---------------------------------------------------------------------------------

@router.get("/assignments", response={200: list[AssignmentOut], 403: ErrorOut})
@cached_page
def list_assignments(request):
    """本专家的评审任务（评审截止后为空；须回避的不列出）。"""
    found = list(assignments_for(_expert(request)).select_related("application__round", "application__org", "expert")
                 .prefetch_related("scores").order_by("application__number"))
    rubrics: dict = {}
    out = []
    for a in found:
        if a.application.round_id not in rubrics:
            rubrics[a.application.round_id] = domain.rubric(a.application.round)
        out.append(assignment_out(a, rubrics[a.application.round_id]))
    return out


@router.get("/assignments/{assignment_id}", response={200: AssignmentOut, 403: ErrorOut, 404: ErrorOut})
def get_assignment(request, assignment_id: int):
    """一项评审任务及已填写的评分；不是本人的、已截止的或须回避的返回 404。"""
    return assignment_out(_mine(request, assignment_id))


@router.put("/assignments/{assignment_id}/scores",
            response={200: AssignmentOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def put_scores(request, assignment_id: int, payload: ScoresIn):
    """保存评分：只改请求中给出的方面；``submit`` 为 true 时提交（须八个方面都有分数）。
    截止前提交后仍可修改；重复提交无变化时不作处理。"""
    expert = _expert(request)
    assignment = ExpertAssignment.objects.filter(pk=assignment_id, expert=expert).first()
    if assignment is None:
        raise DomainError("评审任务不存在或未分配给您", status=404)
    scores = {}
    for i, entry in enumerate(payload.scores):
        if entry.aspect in scores:
            raise DomainError(f"第{entry.aspect}方面重复出现，每个方面只能给一个分数", field=f"scores.{i}.aspect")
        scores[entry.aspect] = (entry.value, entry.comment)
    domain.save_scores(expert=expert, assignment=assignment, scores=scores, submit=payload.submit, request=request)
    return assignment_out(_mine(request, assignment_id))


# --- Province --------------------------------------------------------------------------------

@router.post("/assignments", response={201: AssignmentOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def create_assignment(request, payload: AssignIn):
    """分配一位专家评审一份申报（仅省厅管理员）。``expert`` 为账号 id 或用户名。须回避时返回 409 并说明原因。"""
    application = get_object_or_404(Application.objects.visible_to(request.user).select_related("round", "org"),
                                     pk=payload.application)
    require(rules.can_manage(request.user, application.round))
    lookup = {"pk": payload.expert} if isinstance(payload.expert, int) else {"username": payload.expert.strip()}
    expert = User.objects.filter(**lookup).select_related("org").first()
    if expert is None:
        raise DomainError(f"专家账号“{payload.expert}”不存在", field="expert")
    assignment = domain.assign(actor=request.user, application=application, expert=expert, request=request)
    assignment = ExpertAssignment.objects.select_related("application__round", "application__org", "expert").get(
        pk=assignment.pk)
    return Status(201, assignment_out(assignment))


@router.delete("/assignments/{assignment_id}", response={204: None, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def delete_assignment(request, assignment_id: int):
    """取消一项评审任务（仅省厅管理员，评审截止前）；该专家的评分一并删除，审计日志保留。"""
    assignment = get_object_or_404(
        ExpertAssignment.objects.filter(application__in=Application.objects.visible_to(request.user)),
        pk=assignment_id)
    domain.unassign(actor=request.user, assignment=assignment, request=request)
    return Status(204, None)


@router.post("/rounds/{round_id}/auto-assign",
             response={200: AutoAssignOut, 400: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut})
def auto_assign(request, round_id: int, payload: AutoAssignIn):
    """按负载均衡为本批次每份可评审的申报补足专家（已有的分配计入），从不分配须回避的专家；
    ``short`` 列出专家不足的申报。"""
    round_ = _province_round(request, round_id)
    result = domain.auto_assign(actor=request.user, round_=round_, per_application=payload.per_application,
                                request=request)
    items = domain.rubric(round_)
    created = ExpertAssignment.objects.filter(pk__in=[a.pk for a in result.created]).select_related(
        "application__round", "application__org", "expert").prefetch_related("scores").order_by(
        "application__number", "expert__username")
    return {
        "applications": result.applications,
        "created": [assignment_out(a, items) for a in created],
        "short": [{"application": s.application.pk, "number": s.application.number, "have": s.have,
                   "needed": s.needed, "message": s.message} for s in result.short],
    }


@router.get("/rounds/{round_id}/results", response={200: ResultsOut, 403: ErrorOut, 404: ErrorOut})
def round_results(request, round_id: int):
    """评审结果：每份申报加权总分的人数、平均分、中位数、离散度（总体标准差）、最低、最高分，
    以及各方面的同样统计；按平均分排名（相同按申报编号），尚无评分的排在最后且无名次。"""
    round_ = _province_round(request, round_id)
    items, results = domain.results(round_)
    return {
        "round_id": round_.pk,
        "spread_is": "population_stdev",
        "rubric": [{"aspect": i.aspect, "title": i.title, "weight": domain.fmt(i.weight),
                    "max_score": domain.fmt(i.max_score)} for i in items],
        "results": [
            {"rank": r.rank, "application": _app_ref(r.application), "assigned": r.assigned, "submitted": r.submitted,
             "excluded_experts": [a.expert.username for a, _ in r.excluded], "total": r.total.as_dict(),
             "aspects": [{"aspect": i.aspect, "title": i.title, "stats": s.as_dict()} for i, s in r.aspects]}
            for r in results
        ],
    }
