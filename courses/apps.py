from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"
    verbose_name = "课程与培训班"

    def ready(self):
        # What courses plugs into the apps below it (their extensions.py).
        from courses import home, policies, records
        from courses.models import Course, Enrolment, TrainingClass
        from trainees.extensions import activation_code_issuers, record_sources
        from trainees.models import Trainee
        from training_platform.access import AccessRule
        from training_platform.extensions import access_rules, home_panels

        access_rules.extend(
            [
                AccessRule(
                    Course, view=policies.course_view, change=policies.course_change
                ),
                AccessRule(
                    TrainingClass,
                    view=policies.class_view,
                    change=policies.class_change,
                ),
                AccessRule(
                    Enrolment,
                    view=policies.enrolment_view,
                    change=policies.enrolment_change,
                ),
                # Institution staff see the trainees of their own classes.
                AccessRule(Trainee, view=policies.trainee_of_my_classes),
            ]
        )
        activation_code_issuers.register(policies.trainee_of_my_institution_classes)
        record_sources.register(records.ENROLMENTS)
        home_panels.extend(
            [home.bureau_approvals_panel, home.institution_classes_panel]
        )
        # --- c13-api ---
        from courses import api_public
        from training_platform.extensions import api_routers

        api_routers.register(api_public.ROUTE)  # GET /api/v1/courses, /api/v1/classes
        # --- end c13-api ---
