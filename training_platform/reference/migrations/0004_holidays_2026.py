"""The 2026 public holidays and make-up working days (国务院办公厅关于2026年部分节假日
安排的通知, as known when this was written: the province bureau checks and edits the list
under 基础数据 → 节假日; a day changed there is kept, this migration never overwrites)."""

import datetime as dt

from django.db import migrations

D = dt.date

# (first day, last day, name) of each holiday; the make-up working days after.
HOLIDAYS_2026 = [
    (D(2026, 1, 1), D(2026, 1, 3), "元旦"),
    (D(2026, 2, 15), D(2026, 2, 23), "春节"),
    (D(2026, 4, 4), D(2026, 4, 6), "清明节"),
    (D(2026, 5, 1), D(2026, 5, 5), "劳动节"),
    (D(2026, 6, 19), D(2026, 6, 21), "端午节"),
    (D(2026, 9, 25), D(2026, 9, 27), "中秋节"),
    (D(2026, 10, 1), D(2026, 10, 7), "国庆节"),
]
WORKDAYS_2026 = [
    (D(2026, 1, 4), "元旦调休上班"),
    (D(2026, 2, 14), "春节调休上班"),
    (D(2026, 2, 28), "春节调休上班"),
    (D(2026, 5, 9), "劳动节调休上班"),
    (D(2026, 9, 20), "国庆节调休上班"),
    (D(2026, 10, 10), "国庆节调休上班"),
]


def days():
    for first, last, name in HOLIDAYS_2026:
        day = first
        while day <= last:
            yield day, name, False
            day += dt.timedelta(days=1)
    for day, name in WORKDAYS_2026:
        yield day, name, True


def load(apps, schema_editor):
    Holiday = apps.get_model("reference", "Holiday")
    for day, name, is_workday in days():
        Holiday.objects.get_or_create(
            date=day, defaults={"name": name, "is_workday": is_workday}
        )


def unload(apps, schema_editor):
    Holiday = apps.get_model("reference", "Holiday")
    Holiday.objects.filter(date__year=2026).delete()


class Migration(migrations.Migration):
    dependencies = [("reference", "0003_holiday")]

    operations = [migrations.RunPython(load, unload)]
