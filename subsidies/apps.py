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
            SubsidyStandard,
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
                AccessRule(
                    SubsidyStandard,
                    view=policies.standard_view,
                    change=policies.standard_change,
                ),
            ]
        )

        # --- review (s11-review) ---
        from subsidies import home
        from training_platform.extensions import home_panels

        home_panels.extend([home.bureau_claims_panel, home.institution_returned_panel])
        # --- end review ---
        # --- analytics (补贴异常, 补贴统计, the certificate page's claims) ---
        from certificates.extensions import record_sections
        from subsidies.record_sections import certificate_claims

        record_sections.register(certificate_claims)
        # 公示: the reviewing bureau's open objections on its home.
        home_panels.register(home.objections_panel)
        # --- filing (s11-filing) ---
        from courses.extensions import class_page_links
        from subsidies import class_page

        class_page_links.register(class_page.class_page_links)
        # Issue 11, the lifetime record: the person's claims on their timeline.
        from subsidies import records
        from trainees.extensions import record_sources

        record_sources.register(records.SUBSIDIES)
