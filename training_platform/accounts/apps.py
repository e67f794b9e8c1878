from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "training_platform.accounts"
    label = "accounts"
    verbose_name = "账户"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_migrate

        from training_platform import roles
        from training_platform.accounts.permission_names import (
            name_permissions_in_chinese,
        )
        from training_platform.accounts.throttling import mark_staff_session

        post_migrate.connect(roles.sync_role_groups_after_migrate, sender=self)
        # After every app's permissions exist: connected without a sender.
        post_migrate.connect(
            name_permissions_in_chinese, dispatch_uid="accounts.permission_names"
        )
        label_wagtail_site_columns()
        label_wagtail_page_fields()
        user_logged_in.connect(
            mark_staff_session, dispatch_uid="accounts.mark_staff_session"
        )


# Wagtail 8's site list names three columns by their field names, untranslatable
# ("Port", "Site name", "Root page"); label them as the site form does (issue 16).
SITE_COLUMN_LABELS = {"port": "端口", "site_name": "站点名称", "root_page": "根页面"}


def label_wagtail_site_columns():
    from wagtail.sites.views import IndexView

    for column in IndexView.columns:
        if column.name in SITE_COLUMN_LABELS:
            column.label = SITE_COLUMN_LABELS[column.name]


def label_wagtail_page_fields():
    """Wagtail's workflow and group-permission forms label their page chooser by the
    field's name ("Page"), which no catalogue translates."""
    from wagtail.admin.forms.workflows import WorkflowPageForm
    from wagtail.users.forms import PagePermissionsForm

    for form in (WorkflowPageForm, PagePermissionsForm):
        form.base_fields["page"].label = "页面"
