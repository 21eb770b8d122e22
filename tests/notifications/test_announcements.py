"""通知公告: province administrators publish and edit; every role's home page shows the latest."""

import re

import pytest

from clusterdesk.audit.models import AuditEvent
from clusterdesk.notifications.models import Announcement


@pytest.mark.django_db
def test_only_province_admins_create(accounts, login):
    for key in ("leader", "sysadmin", "yanbian", "dunhua", "expert"):
        client = login(accounts[key])
        assert client.get("/announcements/new/").status_code == 403, key
        assert client.post("/announcements/new/", {"title": "试", "body": "试"}).status_code == 403, key
    assert not Announcement.objects.exists()
    client = login(accounts["province"])
    response = client.post("/announcements/new/", {"title": "关于开展2025年度申报工作的通知", "body": "各市州：……"})
    assert response.status_code == 302
    item = Announcement.objects.get()
    assert item.by == accounts["province"] and item.province.code == "220000"
    assert AuditEvent.objects.filter(action="announcement.published", object_id=str(item.pk)).exists()


@pytest.mark.django_db
def test_missing_title_is_named(accounts, login):
    response = login(accounts["province"]).post("/announcements/new/", {"title": " ", "body": "正文"})
    assert response.status_code == 400
    assert "标题：请填写公告标题" in response.content.decode()
    assert not Announcement.objects.exists()


@pytest.mark.django_db
def test_edit_is_audited_and_refused_to_others(accounts, login):
    from clusterdesk.notifications.announcements import publish

    item = publish(actor=accounts["province"], title="旧标题", body="正文")
    assert login(accounts["yanbian"]).post(f"/announcements/{item.pk}/edit/", {"title": "改", "body": "改"}).status_code == 403
    response = login(accounts["province"]).post(f"/announcements/{item.pk}/edit/", {"title": "新标题", "body": "新正文"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.title == "新标题"
    event = AuditEvent.objects.get(action="announcement.edited")
    assert event.before["title"] == "旧标题"


@pytest.mark.django_db
def test_announcement_appears_on_every_home_page(accounts, login):
    from clusterdesk.notifications.announcements import publish

    for n in range(6):
        publish(actor=accounts["province"], title=f"通知第{n}号", body="正文")
    for key in ("province", "leader", "sysadmin", "yanbian", "meihekou_city", "dunhua", "expert", "changbaishan"):
        page = login(accounts[key]).get("/").content.decode()
        panel = re.search(r"<h2>通知公告</h2>(.*?)</section>", page, re.S).group(1)
        assert "通知第5号" in panel and "通知第1号" in panel, key
        assert "通知第0号" not in panel, key  # the latest five only
        listing = login(accounts[key]).get("/announcements/").content.decode()
        assert "通知第0号" in listing, key
