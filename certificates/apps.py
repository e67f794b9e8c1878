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
