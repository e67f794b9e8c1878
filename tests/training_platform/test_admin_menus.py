"""Each role's back-office menu shows its own work and nothing else."""

import json
import re

import pytest

from tests.factories import InstitutionFactory, UserFactory, staff_user
from training_platform.roles import Role, group_name

pytestmark = pytest.mark.django_db


def menu_labels(client):
    body = client.get("/admin/").content.decode()
    props = re.search(
        r'<script id="wagtail-sidebar-props" type="application/json">(.*?)</script>',
        body,
        re.S,
    )
    assert props, "sidebar props not found"
    return set(
        re.findall(
            r'"label": "([^"]+)"',
            json.dumps(json.loads(props.group(1)), ensure_ascii=False),
        )
    )


def editor():
    from django.contrib.auth.models import Group

    user = UserFactory()
    user.groups.add(Group.objects.get(name=group_name(Role.EDITOR)))
    return user


@pytest.mark.parametrize(
    ("make_user", "shown", "hidden"),
    [
        (
            lambda: staff_user(Role.BUREAU, region_code="520100"),
            {"机构与基地", "培训机构", "学员档案", "职业分类", "重点群体"},
            {"页面", "Pages"},
        ),
        (
            lambda: staff_user(Role.INSTITUTION, institution=InstitutionFactory()),
            {"培训机构", "培训基地", "学员档案"},
            {"重点群体", "工作人员身份", "页面"},
        ),
        (
            lambda: staff_user(Role.AUDITOR, region_code="520000"),
            {"培训机构", "学员档案", "工作人员身份"},
            {"页面", "重点群体"},
        ),
        (editor, {"页面"}, {"培训机构", "学员档案", "机构与基地"}),
    ],
)
def test_menu_per_role(client, make_user, shown, hidden):
    client.force_login(make_user())
    labels = menu_labels(client)
    assert shown <= labels, labels
    assert not (hidden & labels), labels
