"""Skills competitions (职业技能竞赛): competitions, events, entries, scores, published
results and what they lead to (award certificates, titles, level promotions).

How the pieces fit (docs/competitions.md says it for people):

- A :class:`Competition` has :class:`Event`\\ s (赛项). Who competes in an event is an
  :class:`Entry`: one person, or a team; the people in it are :class:`Registration`\\ s
  (one person once per event, enforced by the database).
- Scores are typed on the entry (theory; practical, unless the event uses judges, when
  each judge's mark is a :class:`JudgeMark` and the practical mark is computed). Totals,
  the WorldSkills-scale score, ranks and awards are never typed: ``competitions.scoring``
  computes them from these rows with their formulas.
- Publishing freezes the computed results into a :class:`ResultVersion` with one
  :class:`Result` per entry. A correction after publication is a new version, proposed
  with a reason and approved by a second person; the public page reads the latest one.
- What results lead to is stored per competition as rules (:class:`AwardRule`,
  :class:`TitleRule`, :class:`PromotionRule`) and, once published, as :class:`Outcome`
  rows (an award certificate, a title, a promotion), issued once and revoked or reissued
  when a correction changes them.
"""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from bases.models import TrainingBase, TrainingInstitution
from certificates.models import Certificate
from trainees.models import Trainee
from training_platform.imports.models import ImportJob
from training_platform.reference.models import Occupation, Region, SkillLevel

MARK = {"max_digits": 7, "decimal_places": 2}
PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class CompetitionLevel(models.TextChoices):
    NATIONAL = "national", "国家级"
    PROVINCIAL = "provincial", "省级"
    PREFECTURE = "prefecture", "市（州）级"
    INDUSTRY = "industry", "行业"
    ENTERPRISE = "enterprise", "企业"


class CompetitionClass(models.TextChoices):
    FIRST = "1", "一类"
    SECOND = "2", "二类"


class CompetitionStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    REGISTRATION = "registration", "报名中"
    SCORING = "scoring", "评分中"
    PUBLISHED = "published", "结果已公布"


class Competition(ClusterableModel):
    name = models.CharField("竞赛名称", max_length=120)
    level = models.CharField(
        "竞赛级别", max_length=12, choices=CompetitionLevel.choices
    )
    category = models.CharField(
        "竞赛类别", max_length=1, choices=CompetitionClass.choices
    )
    year = models.PositiveSmallIntegerField("年度")
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="主管地区",
        help_text="主办的人社部门所在地区：省级竞赛为贵州省。",
    )
    organiser = models.CharField("主办单位", max_length=120)
    organisers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="organised_competitions",
        blank=True,
        verbose_name="组织人员",
        help_text="可以管理本竞赛报名和成绩的工作人员。",
    )
    host_base = models.ForeignKey(
        TrainingBase,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="competitions",
        verbose_name="承办基地",
    )
    venue = models.CharField("比赛地点", max_length=200, blank=True)
    registration_opens = models.DateField("报名开始", null=True, blank=True)
    registration_closes = models.DateField("报名截止", null=True, blank=True)
    starts_on = models.DateField("比赛开始", null=True, blank=True)
    ends_on = models.DateField("比赛结束", null=True, blank=True)
    status = models.CharField(
        "状态",
        max_length=12,
        choices=CompetitionStatus.choices,
        default=CompetitionStatus.DRAFT,
        editable=False,
    )
    description = models.TextField("简介", blank=True)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "职业技能竞赛"
        verbose_name_plural = "职业技能竞赛"
        ordering = ["-year", "name"]

    def __str__(self):
        return self.name

    def clean(self):
        opens, closes = self.registration_opens, self.registration_closes
        if opens and closes and closes < opens:
            raise ValidationError({"registration_closes": "报名截止日期早于开始日期。"})
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": "比赛结束日期早于开始日期。"})


class EventTrack(models.TextChoices):
    WORLDSKILLS = "worldskills", "世赛选拔"
    NATIONAL = "national", "国赛精选"
    PROVINCIAL = "provincial", "省赛特色"


class EventGroup(models.TextChoices):
    EMPLOYEE = "employee", "职工组"
    STUDENT = "student", "学生组"
    OPEN = "open", "不限"


class JudgeMethod(models.TextChoices):
    MEAN = "mean", "裁判评分的平均分"
    TRIMMED = "trimmed", "去掉一个最高分和一个最低分后的平均分"


class Event(models.Model):
    """A 赛项. Weights are percentages of the total (theory + practical = 100)."""

    competition = ParentalKey(
        Competition,
        on_delete=models.CASCADE,
        related_name="events",
        verbose_name="竞赛",
    )
    name = models.CharField("赛项名称", max_length=100)
    occupation = models.ForeignKey(
        Occupation, on_delete=models.PROTECT, related_name="+", verbose_name="职业"
    )
    level = models.CharField(
        "对应技能等级",
        max_length=1,
        choices=SkillLevel.choices,
        blank=True,
        help_text="获奖证书上的等级；不填则只写职业。",
    )
    is_team = models.BooleanField("团体赛项", default=False)
    team_size = models.PositiveSmallIntegerField(
        "每队人数", default=1, validators=[MinValueValidator(1)]
    )
    track = models.CharField(
        "赛道", max_length=12, choices=EventTrack.choices, default=EventTrack.PROVINCIAL
    )
    group = models.CharField(
        "组别", max_length=10, choices=EventGroup.choices, default=EventGroup.OPEN
    )
    theory_weight = models.DecimalField(
        "理论权重（%）", default=Decimal("30"), validators=PERCENT, **MARK
    )
    practical_weight = models.DecimalField(
        "实操权重（%）", default=Decimal("70"), validators=PERCENT, **MARK
    )
    uses_judges = models.BooleanField(
        "实操由裁判分别评分",
        default=False,
        help_text="勾选后，实操成绩按每位裁判的评分计算，不直接填写。",
    )
    judge_method = models.CharField(
        "实操成绩计算方法",
        max_length=10,
        choices=JudgeMethod.choices,
        default=JudgeMethod.MEAN,
    )
    judge_spread = models.DecimalField(
        "裁判评分允许差",
        default=Decimal("10"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="同一选手各裁判评分的最高分与最低分之差超过此值时提示复核。",
        **MARK,
    )
    worldskills_scale = models.BooleanField(
        "同时给出世赛标准分",
        default=False,
        help_text="仅世赛选拔赛项：把总分换算为中位选手 700 分的世赛标准分。",
    )
    tie_break_practical = models.BooleanField("总分相同时按实操成绩排名", default=True)
    sort_order = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "赛项"
        verbose_name_plural = "赛项"
        ordering = ["competition_id", "sort_order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "name"], name="uniq_event_name"
            ),
            models.CheckConstraint(
                condition=Q(theory_weight__gte=0, practical_weight__gte=0),
                name="event_weights_not_negative",
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        weights = (self.theory_weight, self.practical_weight)
        if None not in weights and sum(weights) != Decimal("100"):
            errors["practical_weight"] = "理论权重与实操权重之和应为 100。"
        if self.is_team and (self.team_size or 0) < 2:
            errors["team_size"] = "团体赛项每队至少 2 人。"
        if not self.is_team and self.team_size != 1:
            self.team_size = 1
        if self.worldskills_scale and self.track != EventTrack.WORLDSKILLS:
            errors["worldskills_scale"] = "只有世赛选拔赛项使用世赛标准分。"
        if errors:
            raise ValidationError(errors)


class Entry(models.Model):
    """Who competes in an event: one person, or a team (``team_name``).

    The delegation (代表队) is a prefecture or an institution. Scores typed by the
    organiser live here; everything derived is computed (``competitions.scoring``).
    """

    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="entries", verbose_name="赛项"
    )
    number = models.CharField(
        "参赛编号", max_length=20, help_text="赛项内唯一，成绩表按此编号对应选手。"
    )
    team_name = models.CharField("队名", max_length=60, blank=True)
    delegation_region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="代表队（地区）",
    )
    delegation_institution = models.ForeignKey(
        TrainingInstitution,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="代表队（单位）",
    )
    theory = models.DecimalField(
        "理论成绩", null=True, blank=True, validators=PERCENT, **MARK
    )
    practical = models.DecimalField(
        "实操成绩",
        null=True,
        blank=True,
        validators=PERCENT,
        help_text="由裁判分别评分的赛项不填，按裁判评分计算。",
        **MARK,
    )
    withdrawn = models.BooleanField("退赛", default=False)
    created_at = models.DateTimeField("报名时间", auto_now_add=True)

    class Meta:
        verbose_name = "参赛选手（队）"
        verbose_name_plural = "参赛选手（队）"
        ordering = ["event_id", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "number"], name="uniq_entry_number"
            ),
            models.CheckConstraint(
                condition=Q(delegation_region__isnull=False)
                | Q(delegation_institution__isnull=False),
                name="entry_has_delegation",
            ),
        ]

    def __str__(self):
        return self.team_name or self.number


class Registration(models.Model):
    """A person in an entry; one person once per event."""

    entry = models.ForeignKey(
        Entry,
        on_delete=models.CASCADE,
        related_name="registrations",
        verbose_name="参赛选手（队）",
    )
    event = models.ForeignKey(
        Event, on_delete=models.CASCADE, related_name="+", verbose_name="赛项"
    )
    trainee = models.ForeignKey(
        Trainee,
        on_delete=models.PROTECT,
        related_name="competition_registrations",
        verbose_name="选手",
    )
    created_at = models.DateTimeField("报名时间", auto_now_add=True)

    class Meta:
        verbose_name = "报名"
        verbose_name_plural = "报名"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "trainee"], name="uniq_registration_per_event"
            ),
        ]

    def __str__(self):
        return f"{self.entry} · {self.trainee_id}"


class JudgeMark(models.Model):
    """One judge's practical mark for an entry (kept, never overwritten by the average)."""

    entry = models.ForeignKey(
        Entry,
        on_delete=models.CASCADE,
        related_name="judge_marks",
        verbose_name="参赛选手（队）",
    )
    judge = models.CharField("裁判", max_length=20, help_text="裁判编号，如 J1。")
    mark = models.DecimalField("评分", validators=PERCENT, **MARK)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    entered_at = models.DateTimeField("录入时间", auto_now=True)

    class Meta:
        verbose_name = "裁判评分"
        verbose_name_plural = "裁判评分"
        ordering = ["entry_id", "judge"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "judge"], name="uniq_judge_mark"),
        ]

    def __str__(self):
        return f"{self.judge}: {self.mark}"


# --- rules stored per competition -------------------------------------------------------


class AwardRule(models.Model):
    """One award and how many get it, in order (一等奖 1, 二等奖 2, 三等奖 5, 优胜奖
    up to half of the field). ``count`` places, or ``share`` (percent) of the ranked
    field, rounded down; ties at the edge share the better award."""

    competition = ParentalKey(
        Competition,
        on_delete=models.CASCADE,
        related_name="award_rules",
        verbose_name="竞赛",
    )
    sort_order = models.PositiveSmallIntegerField("顺序", default=0)
    name = models.CharField(
        "奖项", max_length=20, help_text="如：一等奖、金牌、优胜奖。"
    )
    count = models.PositiveIntegerField("名额", null=True, blank=True)
    share = models.DecimalField(
        "占参赛者比例（%）",
        null=True,
        blank=True,
        validators=PERCENT,
        help_text="与“名额”二选一：如优胜奖不超过参赛者的 50%（含以上奖项）。",
        **MARK,
    )
    certificate = models.BooleanField("颁发获奖证书", default=True)

    class Meta:
        verbose_name = "奖项规则"
        verbose_name_plural = "奖项规则"
        ordering = ["competition_id", "sort_order", "pk"]

    def __str__(self):
        return self.name

    def clean(self):
        if (self.count is None) == (self.share is None):
            raise ValidationError("名额和比例填写一项。")


class TitleRule(models.Model):
    """A title the best of an event receive (贵州省技术能手 for the top 3)."""

    competition = ParentalKey(
        Competition,
        on_delete=models.CASCADE,
        related_name="title_rules",
        verbose_name="竞赛",
    )
    title = models.CharField("称号", max_length=40, default="贵州省技术能手")
    max_rank = models.PositiveSmallIntegerField("个人赛项前几名", default=3)
    max_team_rank = models.PositiveSmallIntegerField(
        "团体赛项前几名", default=0, help_text="0 表示团体赛项不授予此称号。"
    )
    document_no = models.CharField("批准文号", max_length=60, blank=True)

    class Meta:
        verbose_name = "称号规则"
        verbose_name_plural = "称号规则"

    def __str__(self):
        return self.title


class PromotionRule(models.Model):
    """晋级: those with ``min_award`` or better reach ``to_level``; those already at
    ``to_level`` or above go one level up (技师 → 高级技师) when ``step_up``."""

    competition = ParentalKey(
        Competition,
        on_delete=models.CASCADE,
        related_name="promotion_rules",
        verbose_name="竞赛",
    )
    min_award = models.CharField(
        "最低奖项", max_length=20, help_text="与奖项规则中的名称一致，如：优胜奖。"
    )
    to_level = models.CharField(
        "晋升到", max_length=1, choices=SkillLevel.choices, default=SkillLevel.LEVEL_2
    )
    step_up = models.BooleanField(
        "已具备该等级的晋升一级", default=True, help_text="如已是技师的晋升高级技师。"
    )
    document_no = models.CharField("批准文号", max_length=60, blank=True)

    class Meta:
        verbose_name = "晋级规则"
        verbose_name_plural = "晋级规则"

    def __str__(self):
        return f"{self.min_award} → {self.get_to_level_display()}"


# --- published results -------------------------------------------------------------------


class VersionStatus(models.TextChoices):
    PROPOSED = "proposed", "待复核"
    PUBLISHED = "published", "已公布"
    SUPERSEDED = "superseded", "已更正"
    REJECTED = "rejected", "未通过"


class ResultVersion(models.Model):
    """The results of a competition as published (version 1), or a correction of them
    (version 2, …: a reason, who proposed it, and a second person who approved it)."""

    competition = models.ForeignKey(
        Competition,
        on_delete=models.PROTECT,
        related_name="result_versions",
        verbose_name="竞赛",
    )
    number = models.PositiveSmallIntegerField("版本")
    status = models.CharField(
        "状态", max_length=12, choices=VersionStatus.choices, editable=False
    )
    reason = models.TextField("更正原因", blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="提出人",
    )
    proposed_at = models.DateTimeField("提出时间", auto_now_add=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="复核人",
    )
    published_at = models.DateTimeField("公布时间", null=True, blank=True)

    class Meta:
        verbose_name = "成绩版本"
        verbose_name_plural = "成绩版本"
        ordering = ["competition_id", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["competition", "number"], name="uniq_result_version"
            ),
            models.UniqueConstraint(
                fields=["competition"],
                condition=Q(status="published"),
                name="one_published_result_version",
            ),
            models.UniqueConstraint(
                fields=["competition"],
                condition=Q(status="proposed"),
                name="one_proposed_result_version",
            ),
        ]

    def __str__(self):
        return f"{self.competition} · 第 {self.number} 版"

    @property
    def is_correction(self) -> bool:
        return self.number > 1


class Result(models.Model):
    """One entry's frozen result in one version: the typed marks and what was computed
    from them, with the formula text a reader sees beside each derived score."""

    version = models.ForeignKey(
        ResultVersion,
        on_delete=models.CASCADE,
        related_name="results",
        verbose_name="成绩版本",
    )
    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="+", verbose_name="赛项"
    )
    entry = models.ForeignKey(
        Entry, on_delete=models.PROTECT, related_name="results", verbose_name="选手"
    )
    theory = models.DecimalField("理论成绩", null=True, **MARK)
    practical = models.DecimalField("实操成绩", null=True, **MARK)
    total = models.DecimalField("总成绩", null=True, **MARK)
    worldskills = models.DecimalField("世赛标准分", null=True, **MARK)
    rank = models.PositiveIntegerField("名次", null=True)
    award = models.CharField("奖项", max_length=20, blank=True)
    formulas = models.JSONField("计算公式", default=dict)

    class Meta:
        verbose_name = "比赛成绩"
        verbose_name_plural = "比赛成绩"
        ordering = ["version_id", "event_id", "rank", "entry_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "entry"], name="uniq_result_per_version"
            ),
        ]

    def __str__(self):
        return f"{self.entry} · {self.rank or '—'}"


class OutcomeKind(models.TextChoices):
    CERTIFICATE = "certificate", "获奖证书"
    TITLE = "title", "荣誉称号"
    PROMOTION = "promotion", "技能等级晋升"


class OutcomeStatus(models.TextChoices):
    ACTIVE = "active", "有效"
    REVOKED = "revoked", "已撤销"


class Outcome(models.Model):
    """What a published result gives one person: an award certificate (through
    ``certificates.services``), a title with its document, or a promotion (from-level,
    to-level, document number). Issued once; a correction revokes what it no longer
    gives and issues what it newly gives."""

    competition = models.ForeignKey(
        Competition,
        on_delete=models.PROTECT,
        related_name="outcomes",
        verbose_name="竞赛",
    )
    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, related_name="outcomes", verbose_name="赛项"
    )
    trainee = models.ForeignKey(
        Trainee,
        on_delete=models.PROTECT,
        related_name="competition_outcomes",
        verbose_name="获得者",
    )
    kind = models.CharField("类型", max_length=12, choices=OutcomeKind.choices)
    name = models.CharField(
        "内容",
        max_length=60,
        help_text="奖项、称号或晋升说明，如：一等奖、贵州省技术能手。",
    )
    rank = models.PositiveIntegerField("名次", null=True, blank=True)
    from_level = models.CharField(
        "原等级", max_length=1, choices=SkillLevel.choices, blank=True
    )
    to_level = models.CharField(
        "晋升等级", max_length=1, choices=SkillLevel.choices, blank=True
    )
    document_no = models.CharField("文号", max_length=60, blank=True)
    certificate = models.ForeignKey(
        Certificate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="获奖证书",
    )
    status = models.CharField(
        "状态",
        max_length=10,
        choices=OutcomeStatus.choices,
        default=OutcomeStatus.ACTIVE,
    )
    issued_in = models.ForeignKey(
        ResultVersion,
        on_delete=models.PROTECT,
        related_name="issued_outcomes",
        verbose_name="依据成绩版本",
    )
    issued_on = models.DateField("授予日期")
    revoked_in = models.ForeignKey(
        ResultVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="revoked_outcomes",
        verbose_name="撤销依据",
    )
    revoked_reason = models.CharField("撤销原因", max_length=200, blank=True)

    class Meta:
        verbose_name = "竞赛成果"
        verbose_name_plural = "竞赛成果"
        ordering = ["competition_id", "event_id", "rank", "pk"]
        constraints = [
            # One live outcome of a kind per person per event: issuing twice is a no-op.
            models.UniqueConstraint(
                fields=["event", "trainee", "kind"],
                condition=Q(status="active"),
                name="one_active_outcome_per_kind",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} · {self.name}"


class ScoreUpload(ImportJob):
    """One uploaded score sheet (成绩表) of an event, from preview to import: the
    pipeline's job row (``training_platform.imports``) with the event as its target.
    The file holds numbers and entry numbers (and maybe names); it is encrypted like
    every upload and deleted after a successful import."""

    FILE_PURPOSE = "competitions.scoreupload.file"

    event = models.ForeignKey(
        Event,
        on_delete=models.CASCADE,
        related_name="score_uploads",
        verbose_name="赛项",
    )
    kind = models.CharField("导入内容", max_length=10, default="scores", editable=False)
    file = models.FileField("文件", upload_to="scores/%Y/%m/", blank=True)

    class Meta:
        verbose_name = "成绩表导入"
        verbose_name_plural = "成绩表导入"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.event} · {self.original_name}"

    @property
    def target(self) -> Event:
        return self.event
