from django.apps import AppConfig


class ReferenceConfig(AppConfig):
    name = "training_platform.reference"
    label = "reference"
    verbose_name = "基础数据"

    def ready(self):
        # regions is imported for its signal receivers (the region cache).
        from training_platform.access import AccessRule
        from training_platform.extensions import access_rules
        from training_platform.reference import policies, regions  # noqa: F401
        from training_platform.reference.models import Holiday, KeyGroup, Occupation

        access_rules.extend(
            [
                AccessRule(
                    Occupation,
                    view=policies.everyone,
                    change=policies.province_bureau,
                ),
                AccessRule(
                    KeyGroup, view=policies.everyone, change=policies.province_bureau
                ),
                AccessRule(
                    Holiday, view=policies.everyone, change=policies.province_bureau
                ),
            ]
        )
