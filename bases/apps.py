from django.apps import AppConfig


class BasesConfig(AppConfig):
    name = "bases"
    verbose_name = "机构与基地"

    def ready(self):
        from bases import policies  # noqa: F401  (registers access rules and scope resolver)
