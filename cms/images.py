"""The back-office image form: every image says what it shows (its description is the
alt text the site prints), so a picture without one is refused.

Wagtail's multiple uploader first stores the file with only a title and asks for the
rest afterwards; that first step carries no description field and is let through, the
edit form that follows requires it, and a news page refuses an image that still has
none (cms.blocks.NewsImageBlock, NewsPage.clean).
"""

from wagtail.images.forms import BaseImageForm

DESCRIPTION_LABEL = "描述（替代文字）"
DESCRIPTION_HELP = "用一句话说明图片的内容，供看不到图片的读者（读屏软件）使用，例如“学员在实训车间进行焊接操作”。"
DESCRIPTION_REQUIRED = "请填写图片描述（替代文字），说明图片的内容。"


class ImageForm(BaseImageForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("description")
        if field is None:
            return
        field.label = DESCRIPTION_LABEL
        field.help_text = DESCRIPTION_HELP
        field.error_messages["required"] = DESCRIPTION_REQUIRED
        field.required = (
            not self.is_bound or self.add_prefix("description") in self.data
        )
