"""The forms of filing: the trainee's own claim and an institution's class filing.

Every rule beyond "filled in" lives in ``subsidies.services``; its ValidationErrors
come back to these forms' fields.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from subsidies.models import AccountKind, SubsidyKind
from subsidies.services import SELF_ACCOUNT_KINDS


class SelfClaimForm(forms.Form):
    """申领补贴 for one of the person's own certificates."""

    certificate = forms.IntegerField(widget=forms.HiddenInput)
    account_kind = forms.ChoiceField(
        label=_("收款账户类型"),
        choices=[],
        widget=forms.RadioSelect,
        initial=AccountKind.BANK,
    )
    account = forms.CharField(
        label=_("账号"),
        max_length=40,
        help_text=_("本人的银行卡号或社会保障卡号，补贴只发到本人账户。"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = {
            AccountKind.BANK: _("本人银行账户"),
            AccountKind.SOCIAL_SECURITY: _("社会保障卡"),
        }
        self.fields["account_kind"].choices = [
            (k, labels[k]) for k in SELF_ACCOUNT_KINDS
        ]


class ClassFilingForm(forms.Form):
    """为本班申领: the subsidy kind and the institution's basic account."""

    kind = forms.ChoiceField(
        label="补贴类型", choices=SubsidyKind.choices, initial=SubsidyKind.TRAINING
    )
    account = forms.CharField(
        label="机构基本账户账号",
        max_length=40,
        required=False,
        help_text="补贴付给机构时拨入此账户；付给个人的，拨入学员本人登记的银行账户。",
    )
