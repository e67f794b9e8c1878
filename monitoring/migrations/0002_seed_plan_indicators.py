"""Seed the plan's training indicators and targets (the figures are copied here).

Source: 《贵州省"十四五"就业促进规划》 (the seed plan given with the project, file 000_935171beb110d439.txt).
专栏 1 贵州省"十四五"就业创业主要指标 (line 173), rows at lines 185–189:
    职业培训(万人次)               357.17  400  80  预期性   (line 185)
    其中：创业培训(万人次)          18.36   25   5  预期性   (line 186)
    技工院校招生(万人)              16.86   15   3  预期性   (line 187)
    技能人才培养(万人次)            55      60  12  预期性   (line 188)
    其中：高技能人才培养(万人次)    15      15   3  预期性   (line 189)
专栏 7 劳动力素质提升工程 (line 363):
    02 (line 371): 开展职业培训 400 万人次; 贵阳、毕节、安顺、黔东南、黔南 5 个市（州）级公共实训
       基地完善提升; 遵义、六盘水、铜仁、黔西南新建 4 个市（州）级公共实训基地; 新建 45 个县级.
    03 (line 375): "十四五"期末，技能人才达到 255 万人，其中高技能人才达到 60 万人.
    04 (line 379): 每年投入不少于 5000 万元支持全省职业技能大赛活动; 每年建设不少于 10 个
       职业技能大赛省级集训基地.
专栏 1's employment rows (城镇新增就业 etc.) are not training figures and are left out.
Figures are stored in 人次 / 人 / 个 / 元, not 万.
"""

from decimal import Decimal

from django.db import migrations

YEARS = range(2021, 2026)
SOURCE_1 = "《贵州省“十四五”就业促进规划》专栏 1"
SOURCE_7 = "《贵州省“十四五”就业促进规划》专栏 7"

# (code, name, unit, target, measure, query_key, source, notes, yearly, regional)
INDICATORS = [
    ("vocational_training", "职业培训", "人次", 4_000_000, "computed",
     "training_person_times", SOURCE_1 + "；专栏 7 · 02",
     "“十三五”期间 357.17 万人次；年均 80 万人次。", 800_000, {}),
    ("entrepreneurship_training", "创业培训", "人次", 250_000, "computed",
     "entrepreneurship_person_times", SOURCE_1,
     "职业培训之中。“十三五”期间 18.36 万人次；年均 5 万人次。", 50_000, {}),
    ("technical_school_enrolment", "技工院校招生", "人", 150_000, "reported", "",
     SOURCE_1, "“十三五”期间 16.86 万人；年均 3 万人。平台无招生记录，统计报送。",
     30_000, {}),
    ("skill_talent", "技能人才培养", "人次", 600_000, "computed", "skill_talent",
     SOURCE_1, "“十三五”期间 55 万人次；年均 12 万人次。口径：有效的职业资格证书、"
     "职业技能等级证书。", 120_000, {}),
    ("high_skill_talent", "高技能人才培养", "人次", 150_000, "computed",
     "high_skill_talent", SOURCE_1,
     "技能人才培养之中，三级/高级工及以上。“十三五”期间 15 万人次；年均 3 万人次。",
     30_000, {}),
    ("prefecture_bases_upgraded", "市（州）级公共实训基地完善提升", "个", 5, "computed",
     "training_bases", SOURCE_7 + " · 02",
     "贵阳、毕节、安顺、黔东南、黔南。计数见 bases.selectors.base_target_counts。", None,
     {"520100": 1, "520500": 1, "520400": 1, "522600": 1, "522700": 1}),
    ("prefecture_bases_new", "新建市（州）级公共实训基地", "个", 4, "computed",
     "training_bases", SOURCE_7 + " · 02",
     "遵义、六盘水、铜仁、黔西南。计数见 bases.selectors.base_target_counts。", None,
     {"520300": 1, "520200": 1, "520600": 1, "522300": 1}),
    ("county_bases_new", "新建县级公共实训基地", "个", 45, "computed", "training_bases",
     SOURCE_7 + " · 02", "规划未分解到市（州）。", None, {}),
    ("skill_workers_total", "技能人才总量（期末）", "人", 2_550_000, "reported", "",
     SOURCE_7 + " · 03", "“十四五”期末存量，非期间累计。", None, {}),
    ("high_skill_workers_total", "高技能人才总量（期末）", "人", 600_000, "reported", "",
     SOURCE_7 + " · 03", "“十四五”期末存量，非期间累计。", None, {}),
    ("competition_funding", "职业技能大赛经费投入", "元", 250_000_000, "reported", "",
     SOURCE_7 + " · 04", "每年不少于 5000 万元。", 50_000_000, {}),
    ("competition_training_bases", "职业技能大赛省级集训基地建设", "个", 50, "reported",
     "", SOURCE_7 + " · 04", "每年不少于 10 个。", 10, {}),
]


def seed(apps, schema_editor):
    Indicator = apps.get_model("monitoring", "Indicator")
    IndicatorTarget = apps.get_model("monitoring", "IndicatorTarget")
    for order, row in enumerate(INDICATORS, start=1):
        code, name, unit, target, measure, key, source, notes, yearly, regional = row
        indicator, _ = Indicator.objects.update_or_create(
            code=code,
            defaults=dict(
                name=name,
                unit=unit,
                period_start=2021,
                period_end=2025,
                target=Decimal(target),
                attribute="expected",
                measure=measure,
                query_key=key,
                region_code="520000",
                source=source,
                notes=notes,
                sort_order=order,
            ),
        )
        for year in YEARS if yearly else ():
            IndicatorTarget.objects.update_or_create(
                indicator=indicator,
                year=year,
                region_code="",
                defaults={"target": Decimal(yearly)},
            )
        for region_code, value in regional.items():
            IndicatorTarget.objects.update_or_create(
                indicator=indicator,
                year=None,
                region_code=region_code,
                defaults={"target": Decimal(value)},
            )


class Migration(migrations.Migration):
    dependencies = [("monitoring", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
