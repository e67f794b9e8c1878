from django.apps import AppConfig


class BasesConfig(AppConfig):
    name = "bases"
    verbose_name = "机构与基地"

    def ready(self):
        # What bases plugs into the platform (training_platform/extensions.py).
        from bases import home, policies
        from bases.models import (
            InstitutionChangeRequest,
            SkillMasterStudio,
            StaffMembership,
            TrainingBase,
            TrainingInstitution,
        )
        from training_platform.access import AccessRule
        from training_platform.extensions import (
            access_rules,
            home_panels,
            scope_resolvers,
        )

        scope_resolvers.register(policies.resolve_scope)
        access_rules.extend(
            [
                AccessRule(
                    TrainingInstitution,
                    view=policies.institution_view,
                    change=policies.institution_change,
                ),
                AccessRule(
                    TrainingBase,
                    view=policies.base_view,
                    change=policies.hosted_change,
                ),
                AccessRule(
                    SkillMasterStudio,
                    view=policies.hosted_view,
                    change=policies.hosted_change,
                ),
                AccessRule(
                    InstitutionChangeRequest,
                    view=policies.change_request_view,
                    change=policies.change_request_review,
                ),
                AccessRule(
                    StaffMembership,
                    view=policies.membership_view,
                    change=policies.membership_change,
                ),
            ]
        )
        home_panels.register(home.change_requests_panel)
        # --- c13-tok ---
        # Institutions' API tokens answer the API's bearer authentication.
        from bases import tokens
        from training_platform.extensions import api_token_authenticators

        api_token_authenticators.register(tokens.principal_for)
        # --- end c13-tok ---
