"""The review chain as data: every transition of an application, in one readable table.

Each row says which action moves an application from which states to which state, who may
take it, in which stage (whose deadline, for the acting unit, must not have passed), and
what input it needs. The buttons on the pages, the API actions
(``POST /api/v1/applications/{id}/actions/{action}``) and the permission answers are all
derived from this table by ``reviews.domain``.

List actions (a city's name list and formal recommendation, the province's batches) work on
many applications at once and are declared in ``LIST_ACTIONS`` below.
"""

from dataclasses import dataclass, field

from clusterdesk.applications.models import Status as S
from clusterdesk.orgs.models import Role
from clusterdesk.rounds.models import StageCode


@dataclass(frozen=True)
class Input:
    name: str
    label: str
    kind: str = "text"  # text | bool | fields (per-field comments)
    required: bool = False
    help: str = ""


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: tuple
    target: str
    roles: tuple
    actor_unit: str  # "recommender": the application's recommending unit; "province": the province
    stage: str | None
    inputs: tuple = ()
    style: str = ""
    confirm: str = ""
    notify: tuple = field(default_factory=tuple)  # who is told: "county", "city", "province"


COMMENT = Input("comment", "意见", required=True, help="说明原因和需要修改的内容，申报单位可以看到")
REASON = Input("comment", "理由", required=True, help="记录在案，申报单位可以看到")
NOTE = Input("comment", "意见", required=False)
FIELD_COMMENTS = Input("field_comments", "逐项意见", kind="fields", help="可选：针对具体栏目的修改意见")
NATIONAL = Input("national", "同步推荐国家级", kind="bool")

CITY = (Role.CITY_REVIEWER,)
PROVINCE = (Role.PROVINCE_ADMIN,)

TRANSITIONS: tuple[Transition, ...] = (
    # --- city (市州, 长白山管委会, 梅河口) -------------------------------------------------------
    Transition("city_recommend", "推荐为省级", (S.SUBMITTED,), S.RECOMMENDED, CITY, "recommender",
               StageCode.NAME_LIST, (NATIONAL, NOTE), style="primary", notify=("county",)),
    Transition("city_return", "退回修改", (S.SUBMITTED, S.RECOMMENDED), S.RETURNED, CITY, "recommender",
               StageCode.NAME_LIST, (COMMENT, FIELD_COMMENTS),
               confirm="退回后申报单位可以修改并重新提交，确定退回？", notify=("county",)),
    Transition("city_reject", "不予推荐", (S.SUBMITTED, S.RECOMMENDED), S.CITY_REJECTED, CITY, "recommender",
               StageCode.NAME_LIST, (REASON,), style="danger",
               confirm="不予推荐后本批次不能再提交，确定？", notify=("county",)),
    Transition("city_unrecommend", "撤销推荐", (S.RECOMMENDED,), S.SUBMITTED, CITY, "recommender",
               StageCode.NAME_LIST, (NOTE,)),
    # --- province (省厅) -------------------------------------------------------------------
    Transition("province_pass", "初审通过", (S.FORMAL,), S.INITIAL_PASSED, PROVINCE, "province",
               StageCode.NATIONAL_RECOMMENDATION, (NOTE,), style="primary", notify=("city",)),
    Transition("province_return", "退回修改", (S.FORMAL,), S.RETURNED, PROVINCE, "province",
               StageCode.NATIONAL_RECOMMENDATION, (COMMENT, FIELD_COMMENTS),
               confirm="退回后申报单位修改、市州重新推荐，确定退回？", notify=("county", "city")),
    Transition("province_fail", "初审不通过", (S.FORMAL,), S.INITIAL_FAILED, PROVINCE, "province",
               StageCode.NATIONAL_RECOMMENDATION, (REASON,), style="danger", notify=("county", "city")),
    Transition("province_reopen", "撤销初审结论", (S.INITIAL_PASSED, S.INITIAL_FAILED), S.FORMAL, PROVINCE, "province",
               StageCode.NATIONAL_RECOMMENDATION, (REASON,)),
    Transition("ministry_recognized", "工信部认定为国家级", (S.NATIONAL_SENT,), S.NATIONAL_RECOGNIZED, PROVINCE,
               "province", None, (NOTE,), style="primary", notify=("county", "city")),
    Transition("ministry_not_recognized", "工信部未予认定", (S.NATIONAL_SENT,), S.NATIONAL_NOT_RECOGNIZED, PROVINCE,
               "province", None, (NOTE,), notify=("county", "city")),
)

BY_ACTION = {t.action: t for t in TRANSITIONS}


@dataclass(frozen=True)
class ListAction:
    action: str
    label: str
    roles: tuple
    stage: str | None
    sources: tuple
    target: str | None
    description: str


LIST_ACTIONS: tuple[ListAction, ...] = (
    ListAction("submit_name_list", "报送推荐名单（阶段一）", CITY, StageCode.NAME_LIST, (S.RECOMMENDED,), None,
               "市州把拟推荐的申报报送省厅；检查本市名额和“至少一个位于县或县级市”的规则。截止前可重新报送。"),
    ListAction("submit_formal", "正式推荐（阶段二）", CITY, StageCode.FORMAL_SUBMISSION, (S.RECOMMENDED,), S.FORMAL,
               "市州上传推荐文件并确认名单为最终名单；名单中的申报进入省厅初审。"),
    ListAction("propose_recognition", "拟认定并公示", PROVINCE, StageCode.NATIONAL_RECOMMENDATION, (S.INITIAL_PASSED,),
               S.PUBLICITY, "省厅选定一批初审通过的申报拟认定为省级集群，公示期按工作日计算。"),
    ListAction("finalize_recognition", "公示期满，认定", PROVINCE, None, (S.PUBLICITY,), S.RECOGNIZED,
               "公示期满后认定；有成立的异议的申报改为未予认定（须说明理由）。"),
    ListAction("select_national", "选定国家级推荐名单", PROVINCE, StageCode.NATIONAL_RECOMMENDATION,
               (S.RECOGNIZED, S.INITIAL_PASSED), S.NATIONAL_SELECTED,
               "在市州标注“同步推荐国家级”的申报中，按专家评分排序选定不超过国家级名额的申报；调整排序须说明理由。"),
    ListAction("mark_national_sent", "标记已报送工信部", PROVINCE, StageCode.NATIONAL_RECOMMENDATION,
               (S.NATIONAL_SELECTED,), S.NATIONAL_SENT, "国家级推荐名单报送工信部后标记，截止时间为省厅推荐国家级阶段。"),
)


def transitions_from(status: str) -> list[Transition]:
    return [t for t in TRANSITIONS if status in t.sources]
