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

        # Issue 11, the lifetime record: the person's claims on their timeline.
        from subsidies import records
        from trainees.extensions import record_sources

        record_sources.register(records.SUBSIDIES)
