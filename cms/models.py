"""Wagtail pages of the public site."""

from wagtail import blocks
from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index


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
