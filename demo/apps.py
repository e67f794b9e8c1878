from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo and benchmark data. The top of the house: it may import every app."""

    name = "demo"
    verbose_name = "演示数据"
