from django.apps import AppConfig


class ReferenceConfig(AppConfig):
    name = "training_platform.reference"
    label = "reference"
    verbose_name = "基础数据"

    def ready(self):
        from training_platform.reference import policies, regions  # noqa: F401
