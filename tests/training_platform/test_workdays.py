"""Working-day arithmetic: weekends and the bureau's holidays skipped, make-up working
Saturdays counted, and the holidays read in one query whatever the span."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from training_platform import workdays
from training_platform.reference.models import Holiday

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def year_2031():
    """A year no migration seeds: a Wednesday holiday and a make-up Saturday."""
    Holiday.objects.create(date=D(2031, 3, 5), name="测试节")  # Wednesday
    Holiday.objects.create(date=D(2031, 3, 8), name="测试节调休上班", is_workday=True)


def test_a_plain_weekend_is_skipped():
    friday = D(2031, 3, 14)
    assert workdays.add_working_days(friday, 1) == D(2031, 3, 17)  # Monday
    assert workdays.working_days_between(friday, D(2031, 3, 17)) == 1
    assert not workdays.is_working_day(D(2031, 3, 15))
    assert workdays.is_working_day(friday)


def test_a_holiday_is_skipped(year_2031):
    monday = D(2031, 3, 3)
    # Tue 4, (Wed 5 off), Thu 6, Fri 7, Sat 8 (make-up), Mon 10
    assert not workdays.is_working_day(D(2031, 3, 5))
    assert workdays.add_working_days(monday, 2) == D(2031, 3, 6)
    assert workdays.add_working_days(monday, 4) == D(2031, 3, 8)
    assert workdays.add_working_days(monday, 5) == D(2031, 3, 10)
    assert workdays.working_days_between(monday, D(2031, 3, 10)) == 5


def test_a_make_up_saturday_is_a_working_day(year_2031):
    assert workdays.is_working_day(D(2031, 3, 8))
    assert not workdays.is_working_day(D(2031, 3, 9))  # the Sunday stays off
    assert workdays.add_working_days(D(2031, 3, 7), 1) == D(2031, 3, 8)


def test_counting_back_and_between_agree(year_2031):
    end = D(2031, 3, 10)
    start = workdays.add_working_days(end, -5)
    assert start == D(2031, 3, 3)
    assert workdays.working_days_between(end, start) == -5
    assert workdays.working_days_between(start, start) == 0


def test_the_2026_spring_festival_is_seeded():
    # 2026-02-13 is a Friday; 2/14 a make-up Saturday; 2/15-2/23 off.
    assert workdays.is_working_day(D(2026, 2, 14))
    assert workdays.add_working_days(D(2026, 2, 14), 1) == D(2026, 2, 24)
    assert workdays.period_end(D(2026, 9, 21), 5) == D(2026, 9, 28)  # 中秋 25-27


def test_period_end_counts_the_first_day():
    monday = D(2031, 3, 17)
    assert workdays.period_end(monday, 5) == D(2031, 3, 21)
    assert workdays.next_working_day(D(2031, 3, 15)) == monday
    assert workdays.next_working_day(monday) == monday
    with pytest.raises(ValueError):
        workdays.period_end(monday, 0)


@pytest.mark.parametrize("n", [1, 40, 400])
def test_one_query_per_call_whatever_the_span(year_2031, n):
    with CaptureQueriesContext(connection) as ctx:
        end = workdays.add_working_days(D(2031, 1, 1), n)
        workdays.working_days_between(D(2031, 1, 1), end)
    assert len(ctx.captured_queries) == 2


def test_a_calendar_made_once_serves_many_counts(year_2031):
    calendar = workdays.Calendar(D(2031, 1, 1), D(2031, 12, 31))
    with CaptureQueriesContext(connection) as ctx:
        for day in range(1, 28):
            workdays.add_working_days(D(2031, 2, day), 5, calendar=calendar)
    assert len(ctx.captured_queries) == 0
