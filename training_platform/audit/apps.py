from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "training_platform.audit"
    label = "audit"
    verbose_name = "审计"
