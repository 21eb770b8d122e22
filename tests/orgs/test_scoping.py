"""One scoping rule for units and accounts, cut along the review chain."""

import pytest

from clusterdesk.orgs.models import Org, User


def codes(user):
    return set(Org.objects.visible_to(user).values_list("code", flat=True))


def test_scope_province_sees_every_unit(accounts):
    assert len(codes(accounts["province"])) == 75
    assert len(codes(accounts["leader"])) == 75


def test_scope_county_sees_only_itself(accounts):
    assert codes(accounts["dunhua"]) == {"222403"}


def test_scope_city_sees_its_counties_but_not_meihekou(accounts):
    seen = codes(accounts["tonghua"])

    assert seen == {"220500", "220502", "220503", "220521", "220523", "220524", "220582"}
    assert "220581" not in seen


def test_scope_meihekou_reviewer_sees_only_meihekou(accounts):
    assert codes(accounts["meihekou_city"]) == {"220581"}


def test_scope_changbaishan_sees_its_functional_zones(accounts):
    assert codes(accounts["changbaishan"]) == {"Z22A000", "Z22A001", "Z22A002", "Z22A003"}


def test_scope_changchun_includes_its_new_area(make_user):
    changchun = make_user("cc_city", "220100", "city_reviewer")

    assert "Z220101" in codes(changchun)
    assert "220184" in codes(changchun)


def test_scope_expert_sees_only_own_unit(accounts):
    assert codes(accounts["expert"]) == {"220100"}
    assert list(User.objects.visible_to(accounts["expert"])) == [accounts["expert"]]


def test_scope_disabled_account_sees_nothing(accounts):
    user = accounts["tonghua"]
    user.is_active = False

    assert codes(user) == set()


def test_scope_accounts_follow_units(accounts):
    visible = set(User.objects.visible_to(accounts["tonghua"]).values_list("username", flat=True))

    assert visible == {"tonghua_city", "tonghuaxian"}


@pytest.mark.parametrize("path", ["/orgs/222401/", "/api/v1/orgs/222401"])
def test_scope_county_gets_404_for_other_county(accounts, client, api_token, path):
    client.force_login(accounts["dunhua"])
    headers = api_token(accounts["dunhua"]) if path.startswith("/api/") else {}

    response = client.get(path, **headers)

    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/orgs/222403/", "/api/v1/orgs/222403"])
def test_scope_county_reads_own_unit(accounts, client, api_token, path):
    client.force_login(accounts["dunhua"])
    headers = api_token(accounts["dunhua"]) if path.startswith("/api/") else {}

    response = client.get(path, **headers)

    assert response.status_code == 200


def test_scope_tonghua_gets_404_for_meihekou_account(accounts, client):
    client.force_login(accounts["tonghua"])

    assert client.get(f"/accounts/{accounts['meihekou'].pk}/").status_code == 404
    assert client.get(f"/accounts/{accounts['tonghua_county'].pk}/").status_code == 200
