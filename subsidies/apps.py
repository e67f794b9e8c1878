from django.apps import AppConfig


class SubsidiesConfig(AppConfig):
    name = "subsidies"
    verbose_name = "培训补贴"

    def ready(self):
        # What subsidies plugs into the apps below it (their extensions.py).
        from subsidies import policies
        from subsidies.models import (
            Claim,
            DisbursementBatch,
            NoticeRound,
            Objection,
            Payment,
        )
        from training_platform.access import AccessRule
        from training_platform.extensions import access_rules

        access_rules.extend(
            [
                AccessRule(
                    Claim, view=policies.claim_view, change=policies.claim_change
                ),
                AccessRule(DisbursementBatch, view=policies.batch_view),
                AccessRule(Payment, view=policies.payment_view),
                AccessRule(NoticeRound, view=policies.notice_view),
                AccessRule(Objection, view=policies.objection_view),
            ]
        )

        # 公示: the reviewing bureau's open objections on its home.
        from subsidies.notice_views import objections_panel
        from training_platform.extensions import home_panels

        home_panels.register(objections_panel)
