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


# --- public real-name sign-up (实名注册) -------------------------------------------------


class RealNameForm(forms.Form):
    """Who the person is; every rule beyond "filled in" lives in the sign-up services."""

    # Service error keys that a form field of another name shows.
    SERVICE_FIELDS = {"password": "password1"}

    name = forms.CharField(
        label="姓名",
        max_length=40,
        error_messages={"required": "请填写姓名。"},
        help_text="与身份证上的姓名一致。",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    id_number = forms.CharField(
        label="身份证号码",
        max_length=40,
        error_messages={"required": "请填写身份证号码。"},
        help_text="18位居民身份证号码。",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    phone = forms.CharField(
        label="手机号码",
        max_length=30,
        error_messages={"required": "请填写手机号码。"},
        help_text="用于接收验证码。已由培训机构登记过的学员，验证码发送到登记时留下的手机号码。",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def add_service_error(self, error: ValidationError) -> None:
        """Show a service's refusal at the field it concerns (or above the form)."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for key, errors in error.error_dict.items():
            field = self.SERVICE_FIELDS.get(key, key)
            self.add_error(field if field in self.fields else None, errors)


class SignupForm(RealNameForm):
    username = forms.CharField(
        label="用户名",
        max_length=150,
        required=False,
        help_text="留空则以手机号码作为用户名。",
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password1 = forms.CharField(
        label="密码",
        strip=False,
        error_messages={"required": "请设置密码。"},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="至少8位，不能全是数字，不能与用户名太相似，也不能过于常见。",
    )
    password2 = forms.CharField(
        label="确认密码",
        strip=False,
        error_messages={"required": "请再次输入密码。"},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", "两次输入的密码不一致。")
        return cleaned


class SignupCodeForm(forms.Form):
    """The second step of sign-up: the SMS code, or an activation code from staff."""

    code = forms.CharField(
        label="验证码或激活码",
        max_length=40,
        error_messages={"required": "请填写验证码或激活码。"},
        help_text="短信验证码为6位数字；激活码由培训机构或人社部门提供。",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "spellcheck": "false"}
        ),
    )
