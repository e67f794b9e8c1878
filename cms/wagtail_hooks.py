from django.contrib import messages
from django.shortcuts import redirect
from wagtail import hooks

from cms.models import CoursePage


@hooks.register("before_copy_page")
def refuse_copying_course_pages(request, page):
    """A course has exactly one page; a copy or alias would need a second."""
    if page.specific_class is CoursePage:
        messages.error(request, "每个培训项目只有一个课程页，不能复制或创建别名。")
        return redirect("wagtailadmin_explore", page.get_parent().id)
    return None


# --- c12-pages ---
@hooks.register("before_copy_page")
def refuse_copying_competition_pages(request, page):
    """A competition has exactly one page; a copy or alias would need a second."""
    from cms.models import CompetitionPage

    if page.specific_class is CompetitionPage:
        messages.error(request, "每项竞赛只有一个页面，不能复制或创建别名。")
        return redirect("wagtailadmin_explore", page.get_parent().id)
    return None


# --- end c12-pages ---
