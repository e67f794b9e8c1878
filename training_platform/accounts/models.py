from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """The project's user; a custom model from day one so it can grow without a rewrite."""

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def get_full_name(self):
        """The name in Chinese order, 刘芳 (姓 then 名, no space); Django's default gives
        "芳 刘". A name in Latin letters keeps its own order: "Anna Li". Wagtail names
        users through this (history, lists, the account menu), so does the project."""
        from training_platform.display import full_name

        return full_name(self.last_name, self.first_name)
