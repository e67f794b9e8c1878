"""接口令牌 screens: who sees, makes and revokes an institution's API tokens; the plain
token is shown once; the list's queries do not grow with rows; audit rows written."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bases.models import ApiToken
from bases.services import membership_grant
from bases.tokens import api_token_authenticate, token_digest
from tests.factories import (
    ApiTokenFactory,
    InstitutionFactory,
    UserFactory,
    api_token_for,
    region,
    staff_user,
)
from training_platform.audit.models import AuditEvent
from training_platform.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    gy = InstitutionFactory(name="贵阳甲培训学校", region=region("520102"))
    zy = InstitutionFactory(name="遵义乙技工学校", region=region("520302"))
    inst_gy = staff_user(
        Role.INSTITUTION, institution=gy, last_name="刘", first_name="芳"
    )
    return {
        "gy": gy,
        "zy": zy,
        "inst_gy": inst_gy,
        "inst_zy": staff_user(Role.INSTITUTION, institution=zy),
        "bureau_gy": staff_user(Role.BUREAU, region_code="520100"),
        "bureau_zy": staff_user(Role.BUREAU, region_code="520300"),
        "province": staff_user(Role.BUREAU, region_code="520000"),
        "auditor_gy": staff_user(Role.AUDITOR, region_code="520100"),
        "evaluator_gy": staff_user(Role.EVALUATOR, institution=gy),
        "admin": UserFactory(is_superuser=True, is_staff=True),
    }


def list_url(institution):
    return reverse("bases_api_tokens", args=[institution.pk])


def new_url(institution):
    return reverse("bases_api_token_new", args=[institution.pk])


def revoke_url(token):
    return reverse("bases_api_token_revoke", args=[token.institution_id, token.pk])


def in_days(n):
    return timezone.localdate() + dt.timedelta(days=n)


def test_staff_make_a_token_and_see_it_once(client, world):
    gy = world["gy"]
    client.force_login(world["inst_gy"])
    form = client.get(new_url(gy))
    assert form.status_code == 200
    assert f'value="{in_days(90):%Y-%m-%d}"' in form.content.decode()
    made = client.post(
        new_url(gy), {"name": "教务系统", "expires_on": f"{in_days(30):%Y-%m-%d}"}
    )
    assert made.status_code == 200
    assert "no-store" in made.headers.get("Cache-Control", "")
    token = ApiToken.objects.get()
    body = made.content.decode()
    start = body.index('id="plain-token"')
    plain = body[body.index(">", start) + 1 : body.index("</code>", start)]
    assert plain.startswith("qjt_") and token.key_hash == token_digest(plain)
    assert "只显示这一次" in body
    assert api_token_authenticate(plain) == token
    # never again: not on the list, not on the form, not in the audit
    for url in (list_url(gy), new_url(gy)):
        page = client.get(url).content.decode()
        assert plain not in page
    listing = client.get(list_url(gy)).content.decode()
    assert f"<code>{plain[:8]}…</code>" in listing
    assert "教务系统" in listing and "刘芳" in listing and "有效" in listing
    assert f"{in_days(30):%Y-%m-%d}" in listing and "共 1 个令牌" in listing
    event = AuditEvent.objects.get(action="api.token.create")
    assert event.actor == world["inst_gy"] and plain not in str(event.after)


def test_form_errors_show_at_their_fields(client, world):
    gy = world["gy"]
    api_token_for(gy, world["inst_gy"], name="教务系统")
    client.force_login(world["inst_gy"])
    cases = [
        ({"name": "", "expires_on": f"{in_days(5):%Y-%m-%d}"}, "请填写令牌名称"),
        ({"name": "甲", "expires_on": ""}, "请填写有效期"),
        ({"name": "甲", "expires_on": "2026/13/01"}, "请按 2026-12-01 的格式"),
        ({"name": "甲", "expires_on": f"{in_days(-1):%Y-%m-%d}"}, "不能早于今天"),
        ({"name": "甲", "expires_on": f"{in_days(366):%Y-%m-%d}"}, "最长一年"),
        ({"name": "教务系统", "expires_on": f"{in_days(5):%Y-%m-%d}"}, "已有名为"),
    ]
    for data, message in cases:
        response = client.post(new_url(gy), data)
        assert response.status_code == 200
        body = response.content.decode()
        assert message in body and 'id="plain-token"' not in body
        if data["name"]:
            assert f'value="{data["name"]}"' in body
    assert ApiToken.objects.count() == 1
    # a year ahead, to the day, is fine
    response = client.post(
        new_url(gy), {"name": "甲", "expires_on": f"{in_days(365):%Y-%m-%d}"}
    )
    assert 'id="plain-token"' in response.content.decode()


@pytest.mark.parametrize("who", ["inst_zy", "bureau_zy", "auditor_gy", "evaluator_gy"])
def test_others_get_404(client, world, who):
    token, _ = api_token_for(world["gy"], world["inst_gy"])
    client.force_login(world[who])
    assert client.get(list_url(world["gy"])).status_code == 404
    assert client.get(new_url(world["gy"])).status_code == 404
    assert client.post(new_url(world["gy"]), {"name": "x"}).status_code == 404
    assert client.post(revoke_url(token), {"confirmed": "1"}).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None and ApiToken.objects.count() == 1


def test_another_institutions_token_is_404(client, world):
    theirs, _ = api_token_for(world["zy"], world["inst_zy"])
    client.force_login(world["inst_gy"])
    url = reverse("bases_api_token_revoke", args=[world["gy"].pk, theirs.pk])
    assert client.post(url, {"confirmed": "1"}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


@pytest.mark.parametrize("who", ["bureau_gy", "province", "admin"])
def test_bureau_sees_read_only_and_may_revoke(client, world, who):
    gy = world["gy"]
    token, plain = api_token_for(gy, world["inst_gy"], name="教务系统")
    client.force_login(world[who])
    page = client.get(list_url(gy)).content.decode()
    assert "教务系统" in page and 'id="read-only-note"' in page
    assert new_url(gy) not in page and revoke_url(token) in page
    assert client.get(new_url(gy)).status_code == 403
    assert (
        client.post(
            new_url(gy), {"name": "甲", "expires_on": f"{in_days(5):%Y-%m-%d}"}
        ).status_code
        == 403
    )
    assert ApiToken.objects.count() == 1
    # revoke: asks first, then revokes
    asked = client.post(revoke_url(token))
    assert asked.status_code == 200 and "确认撤销令牌" in asked.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None
    done = client.post(revoke_url(token), {"confirmed": "1"})
    assert done.status_code == 302 and done.headers["Location"] == list_url(gy)
    token.refresh_from_db()
    assert token.revoked_by == world[who]
    assert api_token_authenticate(plain) is None
    assert AuditEvent.objects.filter(
        action="api.token.revoke", actor=world[who], object_id=str(token.pk)
    ).exists()
    page = client.get(list_url(gy)).content.decode()
    assert "已撤销" in page and revoke_url(token) not in page


def test_staff_revoke_through_the_confirmation(client, world):
    token, plain = api_token_for(world["gy"], world["inst_gy"])
    client.force_login(world["inst_gy"])
    assert client.post(revoke_url(token)).status_code == 200
    assert api_token_authenticate(plain) == token
    assert client.post(revoke_url(token), {"confirmed": "1"}).status_code == 302
    assert api_token_authenticate(plain) is None
    again = client.post(revoke_url(token), {"confirmed": "1"}, follow=True)
    assert "该令牌已撤销" in again.content.decode()


def test_list_shows_status_and_empty_state(client, world):
    gy = world["gy"]
    client.force_login(world["inst_gy"])
    empty = client.get(list_url(gy)).content.decode()
    assert "共 0 个令牌" in empty and "本机构还没有接口令牌" in empty
    ApiTokenFactory(institution=gy, name="旧系统", expires_at=timezone.now())
    live = ApiTokenFactory(institution=gy, name="新系统")
    ApiToken.objects.filter(pk=live.pk).update(last_used_at=timezone.now())
    page = client.get(list_url(gy)).content.decode()
    assert "共 2 个令牌" in page and "已过期" in page and "从未使用" in page
    assert "有效" in page


def test_institution_page_links_only_for_those_who_may_see(client, world):
    gy = world["gy"]
    inspect = reverse("traininginstitution:inspect", args=[gy.pk])
    for who in ("inst_gy", "bureau_gy"):
        client.force_login(world[who])
        assert list_url(gy) in client.get(inspect).content.decode()
    client.force_login(world["auditor_gy"])
    response = client.get(inspect)
    assert response.status_code == 200 and list_url(gy) not in response.content.decode()


def test_menu_entry_for_institution_staff_only(client, world):
    mine = reverse("bases_my_api_tokens")
    client.force_login(world["inst_gy"])
    home = client.get(reverse("wagtailadmin_home")).content.decode()
    assert mine in home
    # one institution: its list at once (a 200, as every menu entry answers)
    response = client.get(mine)
    assert response.status_code == 200
    assert reverse("bases_api_token_new", args=[world["gy"].pk]) in (
        response.content.decode()
    )
    for who in ("bureau_gy", "auditor_gy"):
        client.force_login(world[who])
        assert mine not in client.get(reverse("wagtailadmin_home")).content.decode()
        assert client.get(mine).status_code == 404
    # staff of two institutions choose
    both = world["inst_gy"]
    membership_grant(user=both, role=Role.INSTITUTION, institution=world["zy"])
    client.force_login(both)
    page = client.get(mine).content.decode()
    assert list_url(world["gy"]) in page and list_url(world["zy"]) in page


def test_list_query_count_is_flat(client, world):
    gy = world["gy"]
    client.force_login(world["bureau_gy"])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(list_url(gy)).status_code == 200
        return len(ctx.captured_queries)

    api_token_for(gy, world["inst_gy"])
    few = count()
    for _ in range(4):
        token, _ = api_token_for(gy)
        token.revoked_at, token.revoked_by = timezone.now(), world["bureau_gy"]
        token.save()
    assert ApiToken.objects.filter(institution=gy).count() == 5
    assert count() == few
