from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = "证书"

    def ready(self):
        # Imported for what they register: access rules, the record source, key checks.
        from certificates import api_schema, policies, records, signing  # noqa: F401
        from certificates.selectors import enrolments_with_valid_certificate
        from courses.services import register_result_lock

        # A valid certificate settles the results it was issued on.
        register_result_lock(enrolments_with_valid_certificate)
