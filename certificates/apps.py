from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = "证书"

    def ready(self):
        # What certificates plugs into the apps below it (their extensions.py).
        from certificates import (
            api,
            class_page,
            home,
            policies,
            records,
            signing,  # noqa: F401  (its system checks)
        )
        from certificates.models import Certificate, IssueBatch, VerificationLog
        from certificates.selectors import enrolments_with_valid_certificate
        from courses.extensions import class_page_links, result_locks
        from trainees.extensions import record_sources
        from training_platform.access import AccessRule
        from training_platform.extensions import (
            access_rules,
            api_routers,
            home_panels,
        )

        access_rules.extend(
            [
                AccessRule(
                    Certificate,
                    view=policies.certificate_view,
                    change=policies.certificate_change,
                ),
                AccessRule(VerificationLog, view=policies.verification_view),
                AccessRule(IssueBatch, view=policies.batch_view),
            ]
        )
        # --- c14-scanner ---
        # 核查记录 (the scanner's saved sessions), seen like the verification log.
        from certificates import scan_policies
        from certificates.scan_models import SpotCheck, SpotCheckItem

        access_rules.extend(
            [
                AccessRule(SpotCheck, view=scan_policies.spot_check_view),
                AccessRule(SpotCheckItem, view=scan_policies.spot_check_item_view),
            ]
        )
        # --- end c14-scanner ---
        record_sources.register(records.CERTIFICATES)
        api_routers.register(api.ROUTE)
        # A valid certificate settles the results it was issued on.
        result_locks.register(enrolments_with_valid_certificate)
        class_page_links.register(class_page.class_page_links)
        home_panels.extend(
            [
                home.institution_certificates_panel,
                home.evaluator_panels,
                home.auditor_panels,
            ]
        )
