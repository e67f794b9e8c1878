from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "training_platform.accounts"
    label = "accounts"
    verbose_name = "账户"

    def ready(self):
        from django.db.models.signals import post_migrate

        from training_platform import roles

        post_migrate.connect(roles.sync_role_groups_after_migrate, sender=self)
