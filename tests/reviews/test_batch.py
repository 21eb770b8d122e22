"""Batch operations: all or nothing, through the one engine, each refusal named."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clusterdesk.applications.models import Application, Status
from clusterdesk.audit.models import AuditEvent
from clusterdesk.core.batch import BatchRefused
from clusterdesk.core.errors import NotAllowed
from clusterdesk.reviews import domain
from clusterdesk.reviews.models import RecommendationList, ReviewComment
from tests.conftest import PDF


def letter():
    return SimpleUploadedFile("推荐函.pdf", PDF, content_type="application/pdf")


@pytest.fixture
def formal(accounts, round_open, submit_new):
    """延边's three applications formally recommended (awaiting the province's initial review),
    and 通化's one still awaiting its city."""
    apps = [submit_new("dunhua", "敦化市医药产业集群"), submit_new("dunhua", "敦化市林下经济产业集群"),
            submit_new("yanji", "延吉市人参大健康产业集群")]
    for app in apps:
        domain.perform(actor=accounts["yanbian"], application=app, action="city_recommend", inputs={"national": False})
    domain.submit_name_list(actor=accounts["yanbian"], round_=round_open)
    domain.submit_formal(actor=accounts["yanbian"], round_=round_open, confirm_final=True, letter=letter())
    other = submit_new("tonghua_county", "通化县葡萄酒产业集群")
    return [Application.objects.get(pk=a.pk) for a in apps], other


def items(apps):
    return [(a.pk, a.state_version) for a in apps]


@pytest.mark.django_db
def test_batch_pass_moves_three_and_writes_three_events(accounts, formal):
    apps, _ = formal
    domain.batch_perform(actor=accounts["province"], action="province_pass", items=items(apps),
                         inputs={"comment": "材料齐全，同意初审通过"})
    after = [Application.objects.get(pk=a.pk) for a in apps]
    assert [a.status for a in after] == [Status.INITIAL_PASSED] * 3
    assert [a.state_version for a in after] == [a.state_version + 1 for a in apps]
    events = AuditEvent.objects.filter(action="review.province_pass")
    assert sorted(int(e.object_id) for e in events) == sorted(a.pk for a in apps)
    assert {e.comment for e in events} == {"材料齐全，同意初审通过"}
    assert ReviewComment.objects.filter(action="province_pass", text="材料齐全，同意初审通过").count() == 3


@pytest.mark.django_db
def test_one_application_out_of_turn_refuses_the_whole_batch(accounts, formal):
    apps, other = formal  # 通化's application is still with its city
    with pytest.raises(BatchRefused) as exc:
        domain.batch_perform(actor=accounts["province"], action="province_pass",
                             items=items(apps) + [(other.pk, other.state_version)], inputs={"comment": "同意"})
    assert "整批未办理" in exc.value.message and f"{other.number} 通化县葡萄酒产业集群" in exc.value.message
    assert [e["object"] for e in exc.value.errors] == [f"{other.number} 通化县葡萄酒产业集群"]
    assert {Application.objects.get(pk=a.pk).status for a in apps} == {Status.FORMAL}  # nothing half-done
    assert not AuditEvent.objects.filter(action="review.province_pass").exists()


@pytest.mark.django_db
def test_a_stale_state_version_refuses_the_batch(accounts, formal):
    apps, _ = formal
    shown = items(apps)
    domain.perform(actor=accounts["province"], application=apps[1], action="province_return",
                   inputs={"comment": "请补充材料"})
    with pytest.raises(BatchRefused) as exc:
        domain.batch_perform(actor=accounts["province"], action="province_pass", items=shown)
    assert [e["object"] for e in exc.value.errors] == [f"{apps[1].number} {apps[1].name}"]
    assert Application.objects.get(pk=apps[0].pk).status == Status.FORMAL


@pytest.mark.django_db
def test_a_city_cannot_batch_pass(accounts, formal):
    apps, _ = formal
    with pytest.raises(NotAllowed):
        domain.batch_perform(actor=accounts["yanbian"], action="province_pass", items=items(apps))


@pytest.mark.django_db
def test_batch_pass_from_the_list_page(accounts, formal, login):
    apps, _ = formal
    client = login(accounts["province"])
    page = client.get("/applications/?status=formal").content.decode()
    assert 'id="batch-form"' in page and f'value="{apps[0].pk}:{apps[0].state_version}"' in page
    response = client.post("/reviews/batch/", {"action": "province_pass", "note": "同意",
                                               "pick": [f"{a.pk}:{a.state_version}" for a in apps],
                                               "next": "/applications/?status=formal"})
    assert response.status_code == 302 and response["Location"] == "/applications/?status=formal"
    assert {Application.objects.get(pk=a.pk).status for a in apps} == {Status.INITIAL_PASSED}
    # A refused batch shows every refusal and changes nothing.
    response = client.post("/reviews/batch/", {"action": "province_pass", "note": "同意",
                                               "pick": [f"{a.pk}:{a.state_version}" for a in apps]}, follow=True)
    text = response.content.decode()
    assert "整批未办理" in text and apps[0].number in text


@pytest.mark.django_db
def test_confirm_receipt_of_several_lists(accounts, round_open, formal, submit_new, login):
    lists = list(RecommendationList.objects.filter(round=round_open).order_by("pk"))
    assert len(lists) == 2
    client = login(accounts["province"])
    page = client.get(f"/reviews/rounds/{round_open.pk}/overview/").content.decode()
    assert 'id="batch-receive"' in page and f'name="lists" value="{lists[0].pk}"' in page
    response = client.post(f"/reviews/rounds/{round_open.pk}/lists/receive/", {"lists": [lst.pk for lst in lists]})
    assert response.status_code == 302
    assert all(RecommendationList.objects.get(pk=lst.pk).received_at for lst in lists)
    assert AuditEvent.objects.filter(action="review.list_received").count() == 2

    # Confirmed meanwhile: the batch is refused, named, and the other list stays unconfirmed.
    app = submit_new("tonghua_county", "通化县中药材产业集群")
    domain.perform(actor=accounts["tonghua"], application=app, action="city_recommend", inputs={"national": False})
    tonghua = domain.submit_name_list(actor=accounts["tonghua"], round_=round_open)
    with pytest.raises(BatchRefused, match="延边朝鲜族自治州推荐名单"):
        domain.receive_lists(actor=accounts["province"], round_=round_open, list_ids=[tonghua.pk, lists[0].pk])
    assert RecommendationList.objects.get(pk=tonghua.pk).received_at is None
    with pytest.raises(NotAllowed):
        domain.receive_lists(actor=accounts["yanbian"], round_=round_open, list_ids=[tonghua.pk])
