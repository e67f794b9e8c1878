"""Who writes and who publishes the site's news.

内容编辑 (the editor role of training_platform.roles, which also keeps its page rights
in step after every migrate) may add and edit pages and upload images and documents,
but no longer publish; 内容审核 may also publish. The workflow 新闻审核 (one group approval
task for 内容审核) is assigned to the news index, so a news item goes live only after a
reviewer approves it. Neither group has a business data permission: the platform's
screens are granted through staff memberships, which these accounts do not have.
"""

from django.db import migrations

EDITORS = "内容编辑"
REVIEWERS = "内容审核"
WORKFLOW = "新闻审核"
TASK = "内容审核组审核"

PAGE_EDITOR = ("add_page", "change_page")
PAGE_REVIEWER = ("add_page", "change_page", "publish_page", "lock_page", "unlock_page")
COLLECTION = {
    ("wagtailimages", "image"): ("add_image", "change_image", "choose_image"),
    ("wagtaildocs", "document"): ("add_document", "change_document", "choose_document"),
}


def _permission(apps, app_label, model, codename):
    ContentType = apps.get_model("contenttypes.ContentType")
    Permission = apps.get_model("auth.Permission")
    content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename=codename,
        defaults={"name": codename.replace("_", " ").capitalize()},
    )
    return permission


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes.ContentType")
    Group = apps.get_model("auth.Group")
    GroupPagePermission = apps.get_model("wagtailcore.GroupPagePermission")
    GroupCollectionPermission = apps.get_model("wagtailcore.GroupCollectionPermission")
    Collection = apps.get_model("wagtailcore.Collection")
    HomePage = apps.get_model("cms.HomePage")
    NewsIndexPage = apps.get_model("cms.NewsIndexPage")
    Workflow = apps.get_model("wagtailcore.Workflow")
    WorkflowTask = apps.get_model("wagtailcore.WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore.WorkflowPage")
    GroupApprovalTask = apps.get_model("wagtailcore.GroupApprovalTask")

    access_admin = _permission(apps, "wagtailadmin", "admin", "access_admin")
    editors, _ = Group.objects.get_or_create(name=EDITORS)
    # Editors no longer publish anywhere (training_platform.roles granted it before).
    GroupPagePermission.objects.filter(
        group=editors, permission__codename="publish_page"
    ).delete()
    reviewers, _ = Group.objects.get_or_create(name=REVIEWERS)
    for group in (editors, reviewers):
        group.permissions.add(access_admin)

    home = HomePage.objects.order_by("path").first()
    if home is not None:
        for group, codenames in ((editors, PAGE_EDITOR), (reviewers, PAGE_REVIEWER)):
            for codename in codenames:
                GroupPagePermission.objects.get_or_create(
                    group=group,
                    page_id=home.pk,
                    permission=_permission(apps, "wagtailcore", "page", codename),
                )
    root = Collection.objects.filter(depth=1).order_by("path").first()
    if root is not None:
        for (app_label, model), codenames in COLLECTION.items():
            for codename in codenames:
                permission = _permission(apps, app_label, model, codename)
                for group in (editors, reviewers):
                    GroupCollectionPermission.objects.get_or_create(
                        group=group, collection=root, permission=permission
                    )

    task_type, _ = ContentType.objects.get_or_create(
        app_label="wagtailcore", model="groupapprovaltask"
    )
    task = GroupApprovalTask.objects.filter(name=TASK).first()
    if task is None:
        task = GroupApprovalTask.objects.create(
            name=TASK, content_type=task_type, active=True
        )
    task.groups.add(reviewers)
    workflow, created = Workflow.objects.get_or_create(
        name=WORKFLOW, defaults={"active": True}
    )
    if created:
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)
    news = NewsIndexPage.objects.order_by("path").first()
    if news is not None:
        WorkflowPage.objects.update_or_create(
            page_id=news.pk, defaults={"workflow": workflow}
        )


def backwards(apps, schema_editor):
    apps.get_model("wagtailcore.Workflow").objects.filter(name=WORKFLOW).delete()
    apps.get_model("wagtailcore.Task").objects.filter(name=TASK).delete()
    apps.get_model("auth.Group").objects.filter(name__in=[EDITORS, REVIEWERS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0007_c12_news"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("wagtailcore", "0098_apitoken"),
        ("wagtailimages", "0027_image_description"),
        ("wagtaildocs", "0014_alter_document_file_size"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
