from django import forms
from django.contrib.auth.forms import AuthenticationForm

from training_platform.accounts.throttling import is_staff_user


class LoginForm(AuthenticationForm):
    """The trainee sign-in (/accounts/login/). Staff sign in at /admin/login/ only."""

    username = forms.CharField(
        label="用户名",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label="密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": "用户名或密码不正确。",
        "inactive": "该账号已停用。",
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if is_staff_user(user):
            # The same answer as a wrong password: this page does not confirm that a
            # staff account's password was right (the page says where staff sign in).
            raise self.get_invalid_login_error()
