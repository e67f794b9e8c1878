from django.apps import AppConfig


class CmsConfig(AppConfig):
    name = "cms"
    verbose_name = "网站内容"

    def ready(self):
        # What cms plugs into the platform (training_platform/extensions.py).
        from cms import home
        from training_platform.extensions import home_panels

        home_panels.register(home.editor_panels)
        # --- c12-site ---
        # The home page's live block is cached; a page published or unpublished (a
        # news item) shows there at once instead of after the cache entry expires.
        from wagtail.signals import page_published, page_unpublished

        from cms.live import forget_home_live_data

        page_published.connect(forget_home_live_data, dispatch_uid="cms-home-live")
        page_unpublished.connect(forget_home_live_data, dispatch_uid="cms-home-live-un")
        # --- end c12-site ---
