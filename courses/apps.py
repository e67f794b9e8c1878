from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "课程与培训班"

    def ready(self):
        # Imported for what they register: access rules, the enrolments record source.
        from courses import policies, records  # noqa: F401
