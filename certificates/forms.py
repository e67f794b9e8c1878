"""Back-office forms for certificates: they collect input; the services decide."""

from django import forms

from bases.models import InstitutionOccupation, TrainingInstitution
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


class EvaluationIssueForm(forms.Form):
    """评价机构认定发证: one person, one occupation and level, with the reason."""

    organisation = forms.ModelChoiceField(
        label="评价机构", queryset=TrainingInstitution.objects.none(), empty_label=None
    )
    kind = forms.ChoiceField(label="证书类型", choices=EVALUATED_KIND_CHOICES)
    id_number = forms.CharField(
        label="身份证号码",
        max_length=24,
        help_text="持证人的身份证号码，与姓名一并核对（不显示、不保存明文）。",
    )
    name = forms.CharField(label="姓名", max_length=40)
    occupation = forms.ModelChoiceField(
        label="职业（工种）",
        queryset=Occupation.objects.none(),
        empty_label="请选择",
        help_text="只列出本机构已备案评价资格的职业（工种）。",
    )
    level = forms.ChoiceField(
        label="等级",
        choices=[("", "（专项职业能力证书无等级）"), *SkillLevel.choices],
        required=False,
    )
    expires_on = forms.DateField(
        label="有效期至",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="留空为长期有效。",
    )
    reason = forms.CharField(
        label="认定理由",
        max_length=1000,
        error_messages={"required": "请填写认定理由。"},
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="如评价批次、考核成绩、认定依据，将记入审计记录。",
    )

    def __init__(self, *args, organisations, **kwargs):
        super().__init__(*args, **kwargs)
        ids = [o.pk for o in organisations]
        self.fields["organisation"].queryset = TrainingInstitution.objects.filter(
            pk__in=ids
        )
        if len(ids) == 1:
            self.fields["organisation"].initial = ids[0]
        filed = InstitutionOccupation.objects.filter(
            institution_id__in=ids, can_evaluate=True
        ).values("occupation_id")
        self.fields["occupation"].queryset = Occupation.objects.filter(
            pk__in=filed
        ).order_by("code")

    def clean_id_number(self):
        try:
            return parse_id_number(normalize(self.cleaned_data["id_number"])).number
        except forms.ValidationError:
            raise forms.ValidationError("身份证号码格式不正确。") from None

    def clean_name(self):
        return "".join(self.cleaned_data["name"].split())

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("请填写认定理由。")
        return reason

    def clean(self):
        data = super().clean()
        if data.get("kind") == CertificateKind.SKILL_LEVEL and not data.get("level"):
            self.add_error("level", "职业技能等级证书须选择等级。")
        if data.get("kind") == CertificateKind.SPECIAL_ABILITY:
            data["level"] = ""
        return data
