"""Assigning experts to many applications at once: all or nothing, conflicts of interest respected."""

import pytest

from clusterdesk.audit.models import AuditEvent
from clusterdesk.core.batch import BatchRefused
from clusterdesk.experts import domain
from clusterdesk.experts.models import ExpertAssignment


@pytest.mark.django_db
def test_batch_assignment_creates_every_pair(accounts, experts, make_app, round_open):
    apps = [make_app("222403"), make_app("222401"), make_app("220521")]
    made = domain.assign_many(actor=accounts["province"], round_=round_open, application_ids=[a.pk for a in apps],
                              expert_ids=[experts["province"].pk, experts["changchun"].pk])
    assert len(made) == 6
    assert ExpertAssignment.objects.count() == 6
    assert AuditEvent.objects.filter(action="expert.assigned").count() == 6
    # Again: pairs already assigned are left as they are.
    assert domain.assign_many(actor=accounts["province"], round_=round_open, application_ids=[apps[0].pk],
                              expert_ids=[experts["province"].pk]) == []


@pytest.mark.django_db
def test_conflict_of_interest_refuses_the_whole_batch(accounts, experts, make_app, round_open):
    dunhua, tonghua = make_app("222403"), make_app("220521")  # 通化's expert must not review 通化县
    with pytest.raises(BatchRefused) as exc:
        domain.assign_many(actor=accounts["province"], round_=round_open, application_ids=[dunhua.pk, tonghua.pk],
                           expert_ids=[experts["tonghua"].pk])
    assert [e["object"] for e in exc.value.errors] == [f"{tonghua.number} · 孙专家"]
    assert "回避" in exc.value.message or "所在" in exc.value.message
    assert not ExpertAssignment.objects.exists()  # not even the 敦化 pair
    assert not AuditEvent.objects.filter(action="expert.assigned").exists()


@pytest.mark.django_db
def test_batch_assignment_from_the_page(accounts, experts, make_app, round_open, login):
    apps = [make_app("222403"), make_app("222401")]
    client = login(accounts["province"])
    url = f"/experts/rounds/{round_open.pk}/assignments/"
    page = client.get(url).content.decode()
    assert 'id="batch-assign"' in page and f'form="batch-assign" value="{apps[0].pk}"' in page
    response = client.post(url, {"action": "batch", "pick": [a.pk for a in apps],
                                 "experts": [experts["province"].pk]})
    assert response.status_code == 302
    assert ExpertAssignment.objects.filter(expert=experts["province"]).count() == 2
    response = client.post(url, {"action": "batch", "pick": [a.pk for a in apps], "experts": [experts["yanbian"].pk]},
                           follow=True)
    assert "整批未办理" in response.content.decode()
    assert not ExpertAssignment.objects.filter(expert=experts["yanbian"]).exists()
