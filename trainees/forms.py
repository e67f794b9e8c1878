from django import forms
from django.core.exceptions import ValidationError
from wagtail.admin.forms import WagtailAdminModelForm

from trainees.models import Trainee, id_number_fields, id_number_hash
from training_platform.validators import normalize_mobile, parse_id_number

EDITABLE = ["name", "phone", "household_region", "residence_region", "education"]


class TraineeEditForm(WagtailAdminModelForm):
    """Edits a record; the ID number is not editable here (it identifies the person)."""

    # Wider than the column: "+86 138-0000-1111" is normalised to 11 digits in clean.
    phone = forms.CharField(label="手机号码", required=False, max_length=30)

    class Meta:
        model = Trainee
        fields = EDITABLE

    def clean_phone(self):
        phone = self.cleaned_data.get("phone")
        return normalize_mobile(phone) if phone else ""


class TraineeCreateForm(TraineeEditForm):
    id_number_input = forms.CharField(
        label="身份证号码",
        max_length=40,
        help_text="18位居民身份证号码；全角、空格和小写 x 会自动规范。",
    )

    class Meta(TraineeEditForm.Meta):
        fields = ["name", "id_number_input", *EDITABLE[1:]]

    def clean_id_number_input(self):
        info = parse_id_number(self.cleaned_data["id_number_input"])
        if Trainee.objects.filter(id_number_hash=id_number_hash(info.number)).exists():
            raise ValidationError("该身份证号码已有学员档案，请搜索后直接使用。")
        self.id_info = info
        return info.number

    def save(self, commit=True):
        for name, value in id_number_fields(self.id_info).items():
            setattr(self.instance, name, value)
        return super().save(commit=commit)
