"""Wagtail pages of the public site."""

from django.core.paginator import Paginator
from django.db import models
from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from courses.filters import CatalogueFilter
from courses.selectors import (
    class_list_open,
    class_list_open_of_course,
    course_for_page,
)


class BodyBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(label="标题", form_classname="title")
    paragraph = blocks.RichTextBlock(label="段落")

    class Meta:
        label = "正文"


class HomePage(Page):
    """The site's home page: an introduction and the main entry points."""

    intro = RichTextField("导语", blank=True)
    body = StreamField(BodyBlock(), blank=True, verbose_name="正文")

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = "首页"


class StandardPage(Page):
    """A plain content page (about, help, policy text)."""

    intro = RichTextField("导语", blank=True)
    body = StreamField(BodyBlock(), blank=True, verbose_name="正文")

    content_panels = [*Page.content_panels, FieldPanel("intro"), FieldPanel("body")]
    search_fields = [
        *Page.search_fields,
        index.SearchField("intro"),
        index.SearchField("body"),
    ]

    class Meta:
        verbose_name = "普通页面"


class CourseIndexPage(Page):
    """The public course catalogue at /courses/: open classes, filtered in the URL."""

    intro = RichTextField("导语", blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    search_fields = [*Page.search_fields, index.SearchField("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.CoursePage"]
    max_count = 1

    per_page = 20

    class Meta:
        verbose_name = "培训课程目录"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        filterset = CatalogueFilter(request.GET, queryset=class_list_open())
        page_obj = Paginator(filterset.qs, self.per_page).get_page(
            request.GET.get("page")
        )
        classes = list(page_obj)
        urls = course_page_urls({c.course_id for c in classes}, request)
        for training_class in classes:
            training_class.page_url = urls.get(training_class.course_id)
        context.update(
            filter=filterset,
            page_obj=page_obj,
            page_range=page_obj.paginator.get_elided_page_range(page_obj.number),
            classes=classes,
        )
        return context


class CoursePage(Page):
    """The public page of one course (培训项目); the Course record holds the facts."""

    course = models.OneToOneField(
        "courses.Course",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name="培训项目",
        help_text="页面展示该项目的信息和正在报名的班级；每个项目只有一个页面。",
    )
    intro = RichTextField("介绍", blank=True)

    content_panels = [*Page.content_panels, FieldPanel("course"), FieldPanel("intro")]
    search_fields = [
        *Page.search_fields,
        index.SearchField("intro"),
        index.RelatedFields(
            "course",
            [index.SearchField("title"), index.SearchField("description")],
        ),
    ]
    parent_page_types = ["cms.CourseIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = "培训课程页"

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["course"] = course_for_page(self.course_id)
        context["classes"] = list(class_list_open_of_course(self.course_id))
        return context


def course_page_urls(course_ids, request) -> dict[int, str]:
    """Course id → URL of its live, public page, for the courses that have one."""
    pages = CoursePage.objects.live().public().filter(course_id__in=course_ids)
    return {page.course_id: page.get_url(request) for page in pages}
