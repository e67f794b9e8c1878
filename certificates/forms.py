"""Back-office forms for certificates: they collect input; the services decide."""

from django import forms

from bases.models import TrainingInstitution
from certificates import services
from training_platform.reference.models import (
    CertificateKind,
    Occupation,
    SkillLevel,
)
from training_platform.validators import normalize, parse_id_number

EVALUATED_KIND_CHOICES = [
    (CertificateKind.SKILL_LEVEL.value, CertificateKind.SKILL_LEVEL.label),
    (CertificateKind.SPECIAL_ABILITY.value, CertificateKind.SPECIAL_ABILITY.label),
]


class ReasonForm(forms.Form):
    """撤销 / 换发: the reason is required and shown to every verifier (revocation)."""

    reason = forms.CharField(
        label="原因",
        max_length=500,
        error_messages={"required": "请填写原因。"},
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("请填写原因。")
        return reason


class ClassIssueForm(forms.Form):
    """为本班发证: which certificate, and for evaluators with several organisations, whose."""

    kind = forms.ChoiceField(label="证书类型")
    organisation = forms.ModelChoiceField(
        label="评价机构",
        queryset=TrainingInstitution.objects.none(),
        required=False,
        empty_label="请选择",
    )

    def __init__(self, *args, kinds, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k, CertificateKind(k).label) for k in kinds]
        if len(kinds) == 1:
            self.fields["kind"].initial = kinds[0]
        self.organisations = list(organisations)
        if len(self.organisations) > 1:
            self.fields["organisation"].queryset = TrainingInstitution.objects.filter(
                pk__in=[o.pk for o in self.organisations]
            )
        else:
            del self.fields["organisation"]

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        evaluated = kind in (
            CertificateKind.SKILL_LEVEL,
            CertificateKind.SPECIAL_ABILITY,
        )
        if not evaluated:
            data["organisation"] = None
        elif "organisation" in self.fields:
            if data.get("organisation") is None:
                self.add_error("organisation", "请选择以哪个评价机构的名义发证。")
        else:
            data["organisation"] = self.organisations[0] if self.organisations else None
        return data


def _required(message: str) -> dict:
    return {"required": message, "invalid_choice": "请从列表中选择。"}


class EvaluationIssueForm(forms.Form):
    """评价机构认定发证: one person, one occupation and level, with the reason.

    The level follows the certificate kind and the organisation's filing
    (``services.evaluation_refusal``, the rule the service and the decisions import
    apply too); every refusal is shown at its field, in Chinese.
    """

    organisation = forms.ModelChoiceField(
        label="评价机构",
        queryset=TrainingInstitution.objects.none(),
        empty_label=None,
        error_messages=_required("请选择评价机构。"),
    )
    kind = forms.ChoiceField(
        label="证书类型",
        choices=EVALUATED_KIND_CHOICES,
        error_messages=_required("请选择证书类型。"),
    )
    id_number = forms.CharField(
        label="身份证号码",
        max_length=24,
        help_text="持证人的身份证号码，与姓名一并核对（证书上只显示脱敏号码）。",
        error_messages={
            "required": "请填写身份证号码。",
            "max_length": "身份证号码格式不正确。",
        },
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    name = forms.CharField(
        label="姓名",
        max_length=40,
        help_text="与身份证上的姓名一致。",
        error_messages={"required": "请填写姓名。", "max_length": "姓名太长。"},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    occupation = forms.ModelChoiceField(
        label="职业（工种）",
        queryset=Occupation.objects.none(),
        empty_label="请选择",
        help_text="只列出本机构已备案评价资格的职业（工种）。",
        error_messages=_required("请选择职业（工种）。"),
    )
    level = forms.ChoiceField(
        label="等级",
        required=False,
        help_text="职业技能等级证书选五级至一级（不超过本机构备案的最高等级）；"
        "专项职业能力证书不分等级。",
        error_messages=_required("请选择等级。"),
    )
    expires_on = forms.DateField(
        label="有效期至",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="留空为长期有效。",
        error_messages={"invalid": "请填写正确的日期，如 2030-12-31。"},
    )
    reason = forms.CharField(
        label="认定理由",
        max_length=1000,
        error_messages={
            "required": "请填写认定理由。",
            "max_length": "认定理由最多 1000 字。",
        },
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="如评价批次、考核成绩、认定依据，将记入审计记录。",
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        ids = [o.pk for o in organisations]
        self.fields["organisation"].queryset = TrainingInstitution.objects.filter(
            pk__in=ids
        ).order_by("name")
        if len(ids) == 1:
            self.fields["organisation"].initial = ids[0]
        # (organisation id, occupation code) → highest level filed: one query.
        self.filings = services.evaluation_filings(ids)
        self.fields["occupation"].queryset = Occupation.objects.filter(
            pk__in={code for _org, code in self.filings}
        ).order_by("code")
        self.fields["level"].choices = [
            ("", "请选择"),
            *((level, SkillLevel(level).label) for level in services.EVALUATED_LEVELS),
        ]

    def level_rules(self) -> dict:
        """What the page's script needs to offer only the levels that may be issued."""
        return {
            "kinds": {
                kind: list(services.evaluation_levels(kind))
                for kind, _label in EVALUATED_KIND_CHOICES
            },
            "filings": {
                f"{org}:{code}": top for (org, code), top in self.filings.items()
            },
            "labels": dict(SkillLevel.choices),
            "rank": {level: rank for rank, level in enumerate(SkillLevel)},
            "no_level": "（本类证书不分等级）",
            "choose": "请选择",
        }

    def clean_id_number(self):
        try:
            return parse_id_number(normalize(self.cleaned_data["id_number"])).number
        except forms.ValidationError:
            raise forms.ValidationError(
                "身份证号码格式不正确（18 位，最后一位可为 X）。"
            ) from None

    def clean_name(self):
        name = "".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("请填写姓名。")
        return name

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("请填写认定理由。")
        return reason

    def clean(self):
        data = super().clean()
        kind, organisation = data.get("kind"), data.get("organisation")
        occupation = data.get("occupation")
        if not kind or organisation is None or occupation is None:
            return data
        refusal = services.evaluation_refusal(
            kind=kind,
            level=data.get("level") or "",
            max_level=self.filings.get((organisation.pk, occupation.pk)),
        )
        if refusal is not None:
            self.add_error(refusal.field, refusal.message)
        return data
