"""Reference data every app stands on: divisions, occupations, levels, kinds, key groups.

Occupations live here rather than in ``courses`` (STYLE.md's first sketch) because
institutions, bases and studios (``bases``, a lower app) are filed for occupations too.
"""

from django.db import models


class RegionLevel(models.TextChoices):
    PROVINCE = "province", "省"
    PREFECTURE = "prefecture", "市（州）"
    COUNTY = "county", "县（市、区）"


class Region(models.Model):
    """A GB/T 2260 division. The code is the key, so region filters need no join."""

    code = models.CharField("区划代码", max_length=6, primary_key=True)
    name = models.CharField("名称", max_length=40)
    level = models.CharField("级别", max_length=12, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name="上级",
    )

    class Meta:
        verbose_name = "行政区划"
        verbose_name_plural = "行政区划"
        ordering = ["code"]

    def __str__(self):
        return self.name

    @property
    def prefix(self) -> str:
        """Code prefix shared by this region and everything below it."""
        return prefix_for(self.code, self.level)

    @property
    def prefecture_code(self) -> str | None:
        if self.level == RegionLevel.PROVINCE:
            return None
        return self.code[:4] + "00"


def prefix_for(code: str, level: str) -> str:
    if level == RegionLevel.PROVINCE:
        return code[:2]
    if level == RegionLevel.PREFECTURE:
        return code[:4]
    return code


class OccupationCategory(models.Model):
    """A 大类 / 中类 / 小类 of the 2022 classification (codes ``4``, ``4-10``, ``4-10-01``)."""

    class Level(models.TextChoices):
        MAJOR = "major", "大类"
        MIDDLE = "middle", "中类"
        MINOR = "minor", "小类"

    code = models.CharField("代码", max_length=8, primary_key=True)
    name = models.CharField("名称", max_length=120)
    level = models.CharField("层级", max_length=8, choices=Level.choices)

    class Meta:
        verbose_name = "职业类别"
        verbose_name_plural = "职业类别"
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class Occupation(models.Model):
    """A 细类 occupation of 职业分类大典 (2022), code ``D-DD-DD-DD``."""

    code = models.CharField("职业编码", max_length=10, primary_key=True)
    name = models.CharField("职业名称", max_length=120, db_index=True)
    major = models.ForeignKey(
        OccupationCategory,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="大类",
    )
    middle = models.ForeignKey(
        OccupationCategory,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="中类",
    )
    minor = models.ForeignKey(
        OccupationCategory,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="小类",
    )
    is_digital = models.BooleanField("数字职业（S）", default=False)
    is_green = models.BooleanField("绿色职业（L）", default=False)

    class Meta:
        verbose_name = "职业"
        verbose_name_plural = "职业"
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} {self.name}"


class SkillLevel(models.TextChoices):
    """职业技能等级 (新八级工 without 学徒工). The value is the digit in certificate numbers."""

    LEVEL_5 = "5", "五级/初级工"
    LEVEL_4 = "4", "四级/中级工"
    LEVEL_3 = "3", "三级/高级工"
    LEVEL_2 = "2", "二级/技师"
    LEVEL_1 = "1", "一级/高级技师"
    PRINCIPAL = "T", "特级技师"
    CHIEF = "C", "首席技师"


HIGH_SKILL_LEVELS = frozenset(
    {
        SkillLevel.LEVEL_3,
        SkillLevel.LEVEL_2,
        SkillLevel.LEVEL_1,
        SkillLevel.PRINCIPAL,
        SkillLevel.CHIEF,
    }
)
# Order from lowest to highest, for "no lower level after a higher one" rules.
SKILL_LEVEL_RANK = {level: rank for rank, level in enumerate(SkillLevel)}


def is_high_skill(level: str) -> bool:
    """三级/高级工 and above count as 高技能人才."""
    return level in HIGH_SKILL_LEVELS


class CertificateKind(models.TextChoices):
    QUALIFICATION = "qualification", "职业资格证书"
    SKILL_LEVEL = "skill_level", "职业技能等级证书"
    SPECIAL_ABILITY = "special_ability", "专项职业能力证书"
    TRAINING = "training", "培训合格证书"
    COMPETITION = "competition", "竞赛获奖证书"


class KeyGroup(models.Model):
    """重点群体. A table, not choices: the bureau may add groups as policy changes."""

    code = models.SlugField("代码", max_length=40, primary_key=True)
    name = models.CharField("名称", max_length=40, unique=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "重点群体"
        verbose_name_plural = "重点群体"
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class Holiday(models.Model):
    """A day that is not the usual Monday-to-Friday: a public holiday (法定节假日及调休
    放假) or a make-up working day (调休上班, a Saturday or Sunday worked).

    The province bureau keeps the list each year from the State Council's notice;
    ``training_platform.workdays`` counts working days with it (notice periods).
    """

    date = models.DateField("日期", unique=True)
    name = models.CharField("名称", max_length=40, help_text="如 春节、国庆节")
    is_workday = models.BooleanField(
        "调休上班",
        default=False,
        help_text="勾选表示这一天虽是周六或周日，但按调休安排上班",
    )

    class Meta:
        verbose_name = "节假日"
        verbose_name_plural = "节假日"
        ordering = ["-date"]

    def __str__(self):
        kind = "调休上班" if self.is_workday else "放假"
        return f"{self.date:%Y-%m-%d} {self.name}（{kind}）"
