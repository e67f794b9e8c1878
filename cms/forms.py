"""The admin form of the site's pages: the slug may be left empty (pinyin of the title)."""

from django import forms
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.models import Page

from cms.slugs import needs_pinyin, pinyin_slug

SLUG_HELP = "页面地址中的名称，只用小写字母、数字和连字符；留空则按标题拼音自动生成（如“新闻公告”→ xin-wen-gong-gao）。"


class SitePageForm(WagtailAdminPageForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "slug" in self.fields:
            self.fields["slug"].required = False
            self.fields["slug"].help_text = SLUG_HELP

    def clean_slug(self):
        typed = (self.cleaned_data.get("slug") or "").strip()
        slug = pinyin_slug(typed) if needs_pinyin(typed) else typed
        if not slug:
            slug = pinyin_slug(self.data.get(self.add_prefix("title"), ""))
        if not slug:
            raise forms.ValidationError("请填写页面地址名称（字母、数字或连字符）。")
        if slug != typed and self.parent_page is not None:
            # A slug the editor did not type: take the next free one, not an error.
            base, suffix = slug, 1
            while not Page._slug_is_available(slug, self.parent_page, self.instance):
                suffix += 1
                slug = f"{base}-{suffix}"
        return slug
