from django.db import migrations
from django.utils import timezone

# treebeard's materialised path: four base-36 characters per level.
ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
STEPLEN = 4
SLUG = "courses"
INTRO = (
    "<p>按职业、地区、等级和开班时间查找正在报名的职业技能培训班，"
    "补贴性培训一目了然，找到合适的班级即可在线报名。</p>"
)


def _next_step(step: str) -> str:
    number = 0
    for char in step:
        number = number * len(ALPHABET) + ALPHABET.index(char)
    number += 1
    digits = ""
    for _ in range(STEPLEN):
        number, rest = divmod(number, len(ALPHABET))
        digits = ALPHABET[rest] + digits
    return digits


def create_course_index(apps, schema_editor):
    """Put the catalogue at /courses/ (SPEC 6) unless the tree already has one."""
    ContentType = apps.get_model("contenttypes.ContentType")
    Page = apps.get_model("wagtailcore.Page")
    HomePage = apps.get_model("cms.HomePage")
    CourseIndexPage = apps.get_model("cms.CourseIndexPage")

    home = HomePage.objects.order_by("path").first()
    if home is None or CourseIndexPage.objects.exists():
        return
    children = Page.objects.filter(
        path__startswith=home.path, depth=home.depth + 1
    ).order_by("-path")
    if children.filter(slug=SLUG).exists():
        return  # an editor's page already holds the address; leave it alone
    last = children.values_list("path", flat=True).first()
    step = _next_step(last[-STEPLEN:]) if last else "0001"

    content_type, _ = ContentType.objects.get_or_create(
        app_label="cms", model="courseindexpage"
    )
    now = timezone.now()
    CourseIndexPage.objects.create(
        title="培训课程",
        draft_title="培训课程",
        slug=SLUG,
        content_type=content_type,
        path=home.path + step,
        depth=home.depth + 1,
        numchild=0,
        url_path=f"{home.url_path}{SLUG}/",
        locale_id=home.locale_id,
        intro=INTRO,
        live=True,
        first_published_at=now,
        last_published_at=now,
    )
    Page.objects.filter(pk=home.pk).update(numchild=children.count())


def remove_course_index(apps, schema_editor):
    Page = apps.get_model("wagtailcore.Page")
    index = apps.get_model("cms.CourseIndexPage").objects.filter(slug=SLUG).first()
    if index is None:
        return
    parent_path = index.path[:-STEPLEN]
    Page.objects.filter(path__startswith=index.path).delete()
    parent = Page.objects.filter(path=parent_path)
    parent.update(
        numchild=Page.objects.filter(
            path__startswith=parent_path, depth=index.depth
        ).count()
    )


class Migration(migrations.Migration):
    dependencies = [("cms", "0003_course_pages")]

    operations = [migrations.RunPython(create_course_index, remove_course_index)]
