from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = "证书"

    def ready(self):
        # Imported for what they register: access rules, the record source, key checks.
        from certificates import api_schema, policies, records, signing  # noqa: F401
