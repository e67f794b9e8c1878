from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "training_platform.accounts"
    label = "accounts"
    verbose_name = "账户"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from training_platform import roles
        from training_platform.accounts.throttling import mark_staff_session

        post_migrate.connect(roles.sync_role_groups_after_migrate, sender=self)
        user_logged_in.connect(
            mark_staff_session, dispatch_uid="accounts.mark_staff_session"
        )
