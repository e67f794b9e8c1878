"""``seed_demo --scale province`` as a command on a database with no province data
(test_province.py's module holds some): a plain-text bar on stderr, JSON on stdout."""

import io
import json

import pytest
from django.core.management import call_command

from cms.models import CompetitionPage
from competitions.models import Competition

pytestmark = pytest.mark.django_db


def test_the_command_writes_a_bar_and_a_summary(reference):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "seed_demo",
        "--scale",
        "province",
        "--fraction",
        "0.001",
        stdout=out,
        stderr=err,
    )
    summary = json.loads(out.getvalue().splitlines()[-1])
    assert summary["created"] is True and summary["enrolments"] == 1000
    assert "] 100% 报名 enrolments 1,000/1,000" in err.getvalue()
    assert "\r[" in err.getvalue()
    # The province's competitions have their public pages from the first run on.
    assert (
        CompetitionPage.objects.filter(
            competition__in=Competition.objects.filter(name__contains="年职业技能大赛")
        ).count()
        == summary["competitions"]
    )
