from django.apps import AppConfig


class TraineesConfig(AppConfig):
    name = "trainees"
    verbose_name = "学员"

    def ready(self):
        # What trainees plugs into the platform (training_platform/extensions.py).
        from trainees import policies
        from trainees.extensions import activation_code_issuers
        from trainees.models import KeyGroupMembership, Trainee
        from training_platform.access import AccessRule
        from training_platform.extensions import access_rules, scope_resolvers

        scope_resolvers.register(policies.resolve_scope)
        access_rules.register(
            AccessRule(
                Trainee, view=policies.trainee_view, change=policies.trainee_change
            )
        )
        access_rules.register(
            AccessRule(
                KeyGroupMembership,
                view=policies.membership_view,
                change=policies.membership_change,
            )
        )
        activation_code_issuers.register(policies.bureau_of_region)

        # trainees' own part of the lifetime record: key-group memberships.
        from trainees import records
        from trainees.extensions import record_sources

        record_sources.register(records.KEY_GROUPS)
