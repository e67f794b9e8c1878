from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "课程与培训班"

    def ready(self):
        from courses import policies  # noqa: F401  (registers access rules)
