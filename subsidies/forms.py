"""Back-office forms of the subsidies app."""

import re

from django import forms

from subsidies.models import SubsidyStandard
from training_platform.reference.models import (
    KeyGroup,
    Occupation,
    Region,
    RegionLevel,
)

_CODE_SPLIT = re.compile(r"[\s,，、;；]+")


class SubsidyStandardForm(forms.ModelForm):
    """补贴标准: the occupation list is typed as codes (the 急需紧缺 lists name codes)."""

    occupation_codes = forms.CharField(
        label="适用职业（工种）编码",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=(
            "留空表示所有职业；填写时（如急需紧缺职业目录）每行一个或用逗号分隔，"
            "如 6-31-01-03，优先于不限职业的标准"
        ),
    )

    class Meta:
        model = SubsidyStandard
        fields = [
            "name",
            "kind",
            "payee",
            "certificate_kind",
            "level",
            "amount",
            "region",
            "valid_from",
            "valid_to",
            "key_groups",
            "attendance_threshold",
            "claim_window_months",
            "uses_per_year",
            "extra_uses_per_year",
            "is_active",
        ]
        widgets = {
            "key_groups": forms.CheckboxSelectMultiple,
            "valid_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "valid_to": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args, for_user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.filter(
            level__in=(RegionLevel.PROVINCE, RegionLevel.PREFECTURE)
        ).order_by("code")
        self.fields[
            "region"
        ].help_text = "全省或某一市（州）；市（州）标准优先于全省标准"
        self.fields["key_groups"].queryset = KeyGroup.objects.filter(is_active=True)
        self.fields["amount"].help_text = "单位：元，保留两位小数"
        if self.instance.pk and not self.is_bound:
            self.initial["occupation_codes"] = "\n".join(
                self.instance.occupations.order_by("code").values_list(
                    "code", flat=True
                )
            )

    def clean_occupation_codes(self):
        typed = [
            c for c in _CODE_SPLIT.split(self.cleaned_data["occupation_codes"]) if c
        ]
        codes = list(dict.fromkeys(typed))
        found = {o.code: o for o in Occupation.objects.filter(code__in=codes)}
        unknown = [code for code in codes if code not in found]
        if unknown:
            raise forms.ValidationError(
                "职业分类中没有这些编码：%(codes)s。请按职业分类大典（2022）填写，如 6-31-01-03。",
                params={"codes": "、".join(unknown)},
            )
        return [found[code] for code in codes]

    def clean(self):
        data = super().clean()
        valid_from, valid_to = data.get("valid_from"), data.get("valid_to")
        if valid_from and valid_to and valid_to < valid_from:
            self.add_error("valid_to", "失效日期不能早于生效日期。")
        return data
