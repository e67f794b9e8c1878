from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "网站内容"

    def ready(self):
        # What cms plugs into the platform (training_platform/extensions.py).
        from cms import home
        from training_platform.extensions import home_panels

        home_panels.register(home.editor_panels)
