"""The roles of SPEC §1 as Django groups, with the model permissions each one carries.

Permissions say *what kind* of thing a role may do; ``training_platform.access`` says
*which rows*. Groups are kept in step with this table after every migrate.
"""

from django.db import models


class Role(models.TextChoices):
    ADMIN = "admin", "系统管理员"
    EDITOR = "editor", "内容编辑"
    BUREAU = "bureau", "人社部门"
    INSTITUTION = "institution", "培训机构"
    EVALUATOR = "evaluator", "评价机构"
    AUDITOR = "auditor", "审计核查"
    TRAINEE = "trainee", "学员"


# Roles whose scope is an organisation, and roles whose scope is a region.
ORGANISATION_ROLES = frozenset({Role.INSTITUTION, Role.EVALUATOR})
REGION_ROLES = frozenset({Role.BUREAU, Role.AUDITOR})
STAFF_ROLES = ORGANISATION_ROLES | REGION_ROLES | {Role.EDITOR}


def group_name(role: str) -> str:
    return Role(role).label


_ADMIN = [("wagtailadmin", "access_admin")]


def _perms(app, model, *actions):
    return [(app, f"{action}_{model}") for action in actions]


# (app_label, codename) per role; kept small and explicit.
ROLE_PERMISSIONS: dict[str, list[tuple[str, str]]] = {
    Role.EDITOR: _ADMIN,  # pages, images and documents: see _grant_editor_content
    Role.BUREAU: _ADMIN
    + _perms("bases", "traininginstitution", "view", "add", "change", "approve")
    + _perms("bases", "trainingbase", "view", "add", "change")
    + _perms("bases", "skillmasterstudio", "view", "add", "change")
    + _perms("bases", "staffmembership", "view")
    + _perms("trainees", "trainee", "view", "add", "change")
    + [("trainees", "reveal_pii")]
    # Reference data: every bureau views; only a province bureau edits (the access
    # rule and the viewsets' policy in training_platform.reference check the region).
    + _perms("reference", "occupation", "view", "change")
    + _perms("reference", "keygroup", "view", "add", "change")
    + _perms("reference", "holiday", "view", "add", "change", "delete")
    + _perms("courses", "course", "view")
    + _perms("courses", "trainingclass", "view", "change")
    + _perms("courses", "enrolment", "view")
    + _perms("certificates", "certificate", "view", "change")
    + _perms("certificates", "verificationlog", "view")
    + _perms("certificates", "issuebatch", "view")
    # Standards: every bureau views; only the province bureau edits (subsidies.policies).
    + _perms("subsidies", "subsidystandard", "view", "add", "change")
    + _perms("subsidies", "claim", "view", "change", "approve")
    + _perms("subsidies", "noticeround", "view", "add", "change")
    + _perms("subsidies", "objection", "view", "change")
    + _perms("subsidies", "disbursementbatch", "view", "add", "change")
    + _perms("subsidies", "payment", "view")
    + [("subsidies", "reveal_account")],
    Role.INSTITUTION: _ADMIN
    + _perms("bases", "traininginstitution", "view", "change")
    + _perms("bases", "trainingbase", "view")
    + _perms("bases", "skillmasterstudio", "view")
    # Trainees reach an institution through its rosters and enrolments (courses).
    + _perms("trainees", "trainee", "view")
    + _perms("reference", "occupation", "view")
    + _perms("reference", "holiday", "view")
    + _perms("courses", "course", "view", "add", "change")
    + _perms("courses", "trainingclass", "view", "add", "change")
    + _perms("courses", "enrolment", "view", "change")
    + _perms("certificates", "certificate", "view", "add", "change")
    + _perms("certificates", "issuebatch", "view", "add")
    + _perms("subsidies", "claim", "view", "add", "change"),
    Role.EVALUATOR: _ADMIN
    + _perms("bases", "traininginstitution", "view")
    + _perms("trainees", "trainee", "view")
    + _perms("reference", "occupation", "view")
    + _perms("reference", "holiday", "view")
    + _perms("courses", "course", "view")
    + _perms("courses", "trainingclass", "view")
    + _perms("courses", "enrolment", "view")
    + _perms("certificates", "certificate", "view", "add", "change")
    + _perms("certificates", "issuebatch", "view", "add"),
    Role.AUDITOR: _ADMIN
    + _perms("bases", "traininginstitution", "view")
    + _perms("bases", "trainingbase", "view")
    + _perms("bases", "skillmasterstudio", "view")
    + _perms("bases", "staffmembership", "view")
    + _perms("trainees", "trainee", "view")
    + [("trainees", "reveal_pii")]
    + _perms("reference", "occupation", "view")
    + _perms("reference", "holiday", "view")
    + _perms("courses", "course", "view")
    + _perms("courses", "trainingclass", "view")
    + _perms("courses", "enrolment", "view")
    + _perms("certificates", "certificate", "view")
    + _perms("certificates", "verificationlog", "view")
    + _perms("certificates", "issuebatch", "view")
    + _perms("subsidies", "subsidystandard", "view")
    + _perms("subsidies", "claim", "view")
    + _perms("subsidies", "noticeround", "view")
    + _perms("subsidies", "objection", "view")
    + _perms("subsidies", "disbursementbatch", "view")
    + _perms("subsidies", "payment", "view")
    + _perms("audit", "auditevent", "view"),
    Role.TRAINEE: [],
}

# --- c14-scanner ---
# 核查记录 (certificates.SpotCheck): auditors save and see them, bureaus see them.
ROLE_PERMISSIONS[Role.AUDITOR] += _perms("certificates", "spotcheck", "view", "add")
ROLE_PERMISSIONS[Role.BUREAU] += _perms("certificates", "spotcheck", "view")
# --- end c14-scanner ---


def sync_role_groups():
    """Create the role groups and set exactly the permissions above (idempotent)."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    for role, perms in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=group_name(role))
        query = Q(pk__in=[])
        for app_label, codename in perms:
            query |= Q(content_type__app_label=app_label, codename=codename)
        wanted = list(Permission.objects.filter(query))
        group.permissions.set(wanted)
        if role == Role.EDITOR:
            _grant_editor_content(group)


def _grant_editor_content(group):
    from django.contrib.auth.models import Permission
    from wagtail.models import (
        Collection,
        GroupCollectionPermission,
        GroupPagePermission,
        Page,
    )

    root = Page.get_first_root_node()
    if root is not None:
        # c12-news: editors draft and submit; 内容审核 publishes (cms migration 0008).
        for codename in ("add_page", "change_page", "lock_page", "unlock_page"):
            perm = Permission.objects.filter(
                content_type__app_label="wagtailcore", codename=codename
            ).first()
            if perm:
                GroupPagePermission.objects.get_or_create(
                    group=group, page=root, permission=perm
                )
    collection = Collection.get_first_root_node()
    if collection is not None:
        for app_label, codename in (
            ("wagtailimages", "add_image"),
            ("wagtailimages", "change_image"),
            ("wagtailimages", "choose_image"),
            ("wagtaildocs", "add_document"),
            ("wagtaildocs", "change_document"),
            ("wagtaildocs", "choose_document"),
        ):
            perm = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            if perm:
                GroupCollectionPermission.objects.get_or_create(
                    group=group, collection=collection, permission=perm
                )


def sync_role_groups_after_migrate(sender, using="default", **kwargs):
    # Runs after the last app's migrations so every permission row exists.
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    sync_role_groups()
