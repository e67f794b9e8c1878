from django.apps import AppConfig


class TraineesConfig(AppConfig):
    name = "trainees"
    verbose_name = "学员"

    def ready(self):
        from trainees import policies  # noqa: F401  (registers access rules and scope resolver)
