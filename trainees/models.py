"""Real-name trainee records (实名制) and key-group memberships.

Personal data (PIPL): ``id_number`` and ``bank_account`` are encrypted at rest
(``EncryptedTextField``) and found through ``id_number_hash`` (a keyed blind index).
What statistics need from the ID number (birth year, sex) is derived once into plain
columns; nothing that, with the masked number, would rebuild it (the birth date, the
region of issue) is stored in plain: code that needs the birth date reads it from the
decrypted number.
"""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from training_platform import pii
from training_platform.reference.models import KeyGroup, Region
from training_platform.validators import IdNumberInfo, parse_id_number

ID_NUMBER_PURPOSE = "trainee.id_number"
BANK_ACCOUNT_PURPOSE = "trainee.bank_account"


class Sex(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class Education(models.TextChoices):
    PRIMARY = "primary", "小学及以下"
    JUNIOR = "junior", "初中"
    SENIOR = "senior", "高中/中专/技校"
    COLLEGE = "college", "大专"
    BACHELOR = "bachelor", "本科"
    POSTGRADUATE = "postgraduate", "研究生"


def id_number_hash(number: str) -> str:
    return pii.blind_index(number, purpose=ID_NUMBER_PURPOSE)


def id_number_fields(info: IdNumberInfo, *, id_hash: str = "") -> dict:
    """The stored columns for a validated ID number: ciphertext source, hash, derived facts.

    ``id_hash`` is the number's blind index if the caller has it already (bulk work).
    """
    return {
        "id_number": info.number,
        "id_number_hash": id_hash or id_number_hash(info.number),
        "birth_year": info.birth_date.year,
        "sex": info.sex,
    }


def birth_date_of(number: str) -> dt.date:
    """The birth date written in a valid 18-character ID number (personal data)."""
    return dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


# Age bands for statistics: (lowest age, label), youngest first.
AGE_BANDS = (
    (0, "16岁以下"),
    (16, "16-24岁"),
    (25, "25-34岁"),
    (35, "35-44岁"),
    (45, "45-54岁"),
    (55, "55岁及以上"),
)


def age_band(birth_year: int | None, *, on: dt.date | None = None) -> str:
    """The age band of someone born in ``birth_year``, by the age reached in ``on``'s year."""
    if not birth_year:
        return ""
    age = (on or timezone.localdate()).year - birth_year
    label = AGE_BANDS[0][1]
    for lowest, band in AGE_BANDS:
        if age >= lowest:
            label = band
    return label


class Trainee(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="trainee",
        verbose_name="登录账号",
    )
    name = models.CharField("姓名", max_length=40)
    # Personal data: encrypted; never filter on it, use id_number_hash.
    id_number = pii.EncryptedTextField("身份证号码", purpose=ID_NUMBER_PURPOSE)
    id_number_hash = models.CharField(
        "身份证号索引", max_length=64, unique=True, editable=False
    )
    # Derived from the ID number once, in plain columns for statistics (age bands, sex).
    # Never the birth date or the region of issue: with the masked number, they would
    # give the full number back.
    birth_year = models.PositiveSmallIntegerField("出生年份", editable=False)
    sex = models.CharField("性别", max_length=1, choices=Sex.choices, editable=False)
    phone = models.CharField("手机号码", max_length=11, blank=True)
    household_region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="户籍地",
    )
    residence_region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="常住地",
    )
    education = models.CharField(
        "文化程度", max_length=12, choices=Education.choices, blank=True
    )
    # Personal data: encrypted; shown masked (last four digits).
    bank_account = pii.EncryptedTextField(
        "银行账号", purpose=BANK_ACCOUNT_PURPOSE, blank=True
    )
    key_groups = models.ManyToManyField(
        KeyGroup,
        through="KeyGroupMembership",
        related_name="+",
        blank=True,
        verbose_name="重点群体",
    )
    # When the person took over a record an institution or the bureau created (with
    # proof: an SMS code to the phone on file, or an activation code).
    claimed_at = models.DateTimeField("认领时间", null=True, blank=True, editable=False)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "学员"
        verbose_name_plural = "学员"
        ordering = ["-created_at", "-id"]
        permissions = [("reveal_pii", "可查看完整身份证号码和银行账号（记录审计）")]
        # household_region and residence_region are indexed as foreign keys already.

    def __str__(self):
        return self.name

    def __repr__(self):
        return f"<Trainee {self.pk}>"

    def save(self, *args, **kwargs):
        # The hash must always describe the stored number.
        if self.id_number and self.id_number_hash != id_number_hash(self.id_number):
            self.set_id_number(self.id_number)
        super().save(*args, **kwargs)

    @property
    def account_status(self) -> str:
        """Whether the person has an account: 未开通, 本人注册 or 已认领 (and when)."""
        if self.claimed_at:
            return "已认领"
        return "本人注册" if self.user_id else "未开通"

    account_status.fget.short_description = "账号"  # its label on the inspect page

    @property
    def birth_date(self) -> dt.date | None:
        """From the decrypted ID number (personal data: for rules, never for display)."""
        return birth_date_of(self.id_number) if self.id_number else None

    @property
    def age_band(self) -> str:
        return age_band(self.birth_year)

    @property
    def masked_name(self) -> str:
        return pii.mask_name(self.name)

    @property
    def masked_id_number(self) -> str:
        return pii.mask_id_number(self.id_number)

    @property
    def masked_phone(self) -> str:
        return pii.mask_phone(self.phone)

    @property
    def masked_bank_account(self) -> str:
        return pii.mask_account(self.bank_account)

    def set_id_number(self, value) -> None:
        """Validate, normalise and store an ID number with its hash and derived columns."""
        for name, field_value in id_number_fields(parse_id_number(value)).items():
            setattr(self, name, field_value)


class KeyGroupMembership(models.Model):
    """A trainee's membership of a key group, with the dates it held."""

    trainee = models.ForeignKey(
        Trainee,
        on_delete=models.CASCADE,
        related_name="key_group_memberships",
        verbose_name="学员",
    )
    group = models.ForeignKey(
        KeyGroup, on_delete=models.PROTECT, related_name="+", verbose_name="重点群体"
    )
    since = models.DateField("认定日期")
    until = models.DateField("截止日期", null=True, blank=True)
    evidence = models.CharField("认定依据", max_length=200, blank=True)

    class Meta:
        verbose_name = "重点群体身份"
        verbose_name_plural = "重点群体身份"
        ordering = ["since"]
        constraints = [
            models.UniqueConstraint(
                fields=["trainee", "group", "since"], name="uniq_key_group_membership"
            ),
            models.CheckConstraint(
                condition=Q(until__isnull=True) | Q(until__gte=models.F("since")),
                name="key_group_until_after_since",
            ),
        ]

    def __str__(self):
        return f"{self.group} {self.since}"

    def active_on(self, day) -> bool:
        return self.since <= day and (self.until is None or day <= self.until)


class ActivationCode(models.Model):
    """A one-time code staff hand a person so they can claim their record at sign-up.

    Only a keyed hash of the code is stored; it expires and works once. Issuing a new
    code retires the person's earlier unused ones.
    """

    trainee = models.ForeignKey(
        Trainee,
        on_delete=models.CASCADE,
        related_name="activation_codes",
        verbose_name="学员",
    )
    code_hash = models.CharField("激活码摘要", max_length=64, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="生成人",
    )
    created_at = models.DateTimeField("生成时间", auto_now_add=True)
    expires_at = models.DateTimeField("有效期至")
    used_at = models.DateTimeField("使用时间", null=True, blank=True)

    class Meta:
        verbose_name = "激活码"
        verbose_name_plural = "激活码"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["trainee", "used_at"], name="activation_code_open")
        ]

    def __str__(self):
        return f"激活码 {self.created_at:%Y-%m-%d %H:%M}"

    def __repr__(self):
        return f"<ActivationCode {self.pk}>"
