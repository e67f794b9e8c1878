"""Working days (工作日): Monday to Friday, less the public holidays, plus the make-up
working Saturdays and Sundays (调休上班), as the bureau keeps them in
``reference.Holiday`` (基础数据 → 节假日).

Each call reads the holidays it needs in one query (a window of dates, never a query
per day); a caller counting many periods at once passes a :class:`Calendar` it made
once (one query for all of them).

- ``is_working_day(day)``: whether people work that day.
- ``add_working_days(start, n)``: the date ``n`` working days after ``start`` (``start``
  itself not counted; ``n`` < 0 counts back).
- ``working_days_between(a, b)``: how many working days fall after ``a`` up to and
  including ``b``, so ``working_days_between(a, add_working_days(a, n)) == n``.
- ``period_end(first, n)``: the last day of a period of ``n`` working days that begins
  on ``first`` (a notice of 5 working days from a Monday ends on the Friday).
"""

import datetime as dt

from training_platform.reference.models import Holiday

ONE_DAY = dt.timedelta(days=1)


def _usual(day: dt.date) -> bool:
    return day.weekday() < 5


class Calendar:
    """The holidays between two dates, read in one query; working days within them."""

    def __init__(self, first: dt.date, last: dt.date):
        if last < first:
            first, last = last, first
        self.first, self.last = first, last
        self.days: dict[dt.date, bool] = dict(
            Holiday.objects.filter(date__range=(first, last)).values_list(
                "date", "is_workday"
            )
        )

    def covers(self, day: dt.date) -> bool:
        return self.first <= day <= self.last

    def is_working_day(self, day: dt.date) -> bool:
        special = self.days.get(day)
        return _usual(day) if special is None else special


def _window(day: dt.date, n: int) -> Calendar:
    # Never more than a fortnight of days off in a row: 2n + 31 days always reach n.
    span = dt.timedelta(days=2 * abs(n) + 31)
    return Calendar(day, day + span) if n >= 0 else Calendar(day - span, day)


def is_working_day(day: dt.date, *, calendar: Calendar | None = None) -> bool:
    if calendar is None or not calendar.covers(day):
        calendar = Calendar(day, day)
    return calendar.is_working_day(day)


def add_working_days(
    start: dt.date, n: int, *, calendar: Calendar | None = None
) -> dt.date:
    """The date ``n`` working days after ``start`` (before it when ``n`` < 0)."""
    step = ONE_DAY if n >= 0 else -ONE_DAY
    left = abs(n)
    day = start
    if calendar is None:
        calendar = _window(start, n)
    while left:
        day += step
        if not calendar.covers(day):
            calendar = _window(day - step, n)  # an unusual stretch: read further
        if calendar.is_working_day(day):
            left -= 1
    return day


def working_days_between(
    a: dt.date, b: dt.date, *, calendar: Calendar | None = None
) -> int:
    """Working days after ``a`` up to and including ``b`` (negative if ``b`` < ``a``)."""
    if b == a:
        return 0
    sign = 1 if b > a else -1
    first, last = (a + ONE_DAY, b) if sign > 0 else (b + ONE_DAY, a)
    if calendar is None or not (calendar.covers(first) and calendar.covers(last)):
        calendar = Calendar(first, last)
    count = 0
    day = first
    while day <= last:
        count += calendar.is_working_day(day)
        day += ONE_DAY
    return sign * count


def next_working_day(
    day: dt.date, *, include: bool = True, calendar: Calendar | None = None
) -> dt.date:
    """``day`` itself when people work that day (and ``include``), else the next one."""
    if include and is_working_day(day, calendar=calendar):
        return day
    return add_working_days(day, 1, calendar=calendar)


def period_end(first: dt.date, n: int, *, calendar: Calendar | None = None) -> dt.date:
    """The last day of ``n`` working days counted from ``first`` (a working day)."""
    if n < 1:
        raise ValueError("a period has at least one working day")
    return add_working_days(first, n - 1, calendar=calendar)
