"""Demo news (issue 12): a dozen items across the three categories, each with a picture
drawn here (Pillow, no files shipped) and stored as a Wagtail image with its
description, tags, and a body of headings, paragraphs, a table, a quote and images.

The demo `editor` (内容编辑) drafts and submits news; no demo account is in 内容审核
(the demo users are a fixed list), so `admin` approves, or add a user to that group.

Repeat-safe: an item is looked up by its slug, an image by its title; nothing a user
changed since is put back.
"""

import datetime as dt
import io
import uuid

from django.core.files.images import ImageFile
from django.utils import timezone
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images import get_image_model

from cms.models import NewsCategory, NewsIndexPage, NewsPage
from demo.skips import SeedNotes

C, P, T = NewsCategory.COMPETITION, NewsCategory.POLICY, NewsCategory.TRAINING

# slug, days before today, category, title, summary, tags, picture colour, description
NEWS = [
    (
        "sheng-ji-neng-da-sai-kai-mu",
        2,
        C,
        "2026年贵州省职业技能大赛开幕",
        "来自全省9个市（州）的代表队在贵阳同台竞技，设电工、焊工、数控车工等赛项。",
        ["技能大赛", "电工", "焊工"],
        (31, 111, 178),
        "大赛开幕式现场，选手列队入场",
    ),
    (
        "dian-gong-sai-xiang-jie-guo",
        5,
        C,
        "电工赛项决出一、二、三等奖",
        "电工赛项经理论和实操两轮比拼，前三名选手将获评贵州省技术能手。",
        ["技能大赛", "电工"],
        (220, 120, 30),
        "电工赛项选手在实操工位接线",
    ),
    (
        "han-gong-ji-xun-dui-cheng-li",
        9,
        C,
        "焊工竞赛集训队在遵义组建",
        "集训队将参加世界技能大赛选拔赛，依托竞赛集训基地开展为期三个月的集训。",
        ["技能大赛", "焊工", "世赛选拔"],
        (120, 60, 160),
        "焊工集训队员进行焊接训练",
    ),
    (
        "shu-kong-che-gong-bao-ming",
        14,
        C,
        "数控车工赛项开始报名",
        "数控车工赛项面向全省职工和院校学生，报名截止前可在平台在线提交。",
        ["技能大赛", "数控车工"],
        (20, 140, 90),
        "数控车床加工零件特写",
    ),
    (
        "ji-neng-ti-sheng-bu-tie-tong-zhi",
        3,
        P,
        "关于做好2026年技能提升补贴申领工作的通知",
        "取得职业资格证书或职业技能等级证书的参保职工，可在发证之日起12个月内申领技能提升补贴。",
        ["补贴", "技能提升"],
        (180, 40, 50),
        "补贴申领流程示意图",
    ),
    (
        "zhi-ye-pei-xun-bu-tie-biao-zhun",
        7,
        P,
        "职业培训补贴标准调整说明",
        "按职业技能等级和培训课时确定补贴标准，初级工至高级技师分档执行。",
        ["补贴", "职业培训"],
        (90, 90, 90),
        "补贴标准表格截图",
    ),
    (
        "te-zhong-zuo-ye-chi-zheng-shang-gang",
        11,
        P,
        "关于加强特种作业人员持证上岗管理的通知",
        "高压电工作业、低压电工作业和焊接与热切割作业人员须持有效证件上岗。",
        ["电工", "焊工", "安全生产"],
        (200, 160, 20),
        "电工佩戴安全帽在配电柜前作业",
    ),
    (
        "ji-neng-deng-ji-ren-ding-gui-fan",
        20,
        P,
        "职业技能等级认定工作规范（修订）发布",
        "明确评价机构备案、考评人员管理和证书核验要求，证书可扫码在平台核验。",
        ["等级认定", "证书"],
        (60, 120, 200),
        "职业技能等级证书样式",
    ),
    (
        "gao-ya-dian-gong-pei-xun-ban",
        1,
        T,
        "高压电工作业培训班即将开班",
        "贵阳黔匠职业培训学校开设高压电工作业培训班，符合条件的学员可享受培训补贴。",
        ["电工", "补贴"],
        (30, 150, 200),
        "学员在实训室学习高压开关柜操作",
    ),
    (
        "han-gong-chu-ji-pei-xun",
        6,
        T,
        "焊工（五级）培训班招生",
        "培训内容包括焊条电弧焊、气体保护焊基础操作，结业后参加职业技能等级认定。",
        ["焊工", "职业培训"],
        (240, 90, 60),
        "焊工学员在焊接工位练习",
    ),
    (
        "jia-zheng-fu-wu-yuan-pei-xun",
        12,
        T,
        "家政服务员培训走进社区",
        "面向脱贫劳动力和农村转移劳动力开展家政服务员培训，培训合格后推荐就业。",
        ["家政服务员", "重点群体"],
        (150, 200, 100),
        "社区家政培训课堂",
    ),
    (
        "nong-min-jiao-yu-pei-xun-ji-di",
        18,
        T,
        "农民教育培训基地开展茶艺培训",
        "基地组织茶农学习茶叶加工与茶艺技能，助力乡村产业发展。",
        ["农民培训", "茶艺师"],
        (70, 130, 60),
        "茶农在培训基地学习制茶",
    ),
]


def _png(colour, label: str) -> bytes:
    """A small picture: a coloured field with a lighter band (demo only)."""
    picture = PILImage.new("RGB", (640, 360), colour)
    draw = ImageDraw.Draw(picture)
    light = tuple(min(255, c + 70) for c in colour)
    draw.rectangle((0, 250, 640, 360), fill=light)
    draw.ellipse((440, 60, 600, 220), fill=light)
    draw.text((24, 24), label, fill=(255, 255, 255))
    buffer = io.BytesIO()
    picture.save(buffer, format="PNG")
    return buffer.getvalue()


def _image(slug, colour, description):
    Image = get_image_model()
    title = f"新闻配图 {slug}"
    image = Image.objects.filter(title=title).first()
    if image is None:
        image = Image(title=title, description=description)
        image.file = ImageFile(
            io.BytesIO(_png(colour, slug)), name=f"2026-news-{slug}.png"
        )
        image.save()
    return image


def _block(kind, value):
    return {"type": kind, "value": value, "id": str(uuid.uuid4())}


def _body(title, summary, tags, image, description):
    body = [
        _block("paragraph", f"<p>{summary}</p>"),
        _block(
            "image",
            {"image": image.pk, "alt": description, "caption": description},
        ),
        _block("heading", "有关事项"),
        _block(
            "paragraph",
            "<p>请各市（州）人力资源社会保障部门、各培训机构和评价机构认真组织实施，"
            "有关信息以黔技通平台公布为准。</p>",
        ),
        _block(
            "table",
            {
                "first_row_is_table_header": True,
                "first_col_is_header": False,
                "data": [
                    ["项目", "说明"],
                    ["标签", "、".join(tags)],
                    ["咨询电话", "0851-12333"],
                ],
            },
        ),
        _block(
            "quote",
            {"quote": "技能成才、技能报国。", "source": "贵州省人力资源和社会保障厅"},
        ),
    ]
    return body


def seed_news(notes: SeedNotes | None = None) -> None:
    notes = notes or SeedNotes()
    news_index = NewsIndexPage.objects.order_by("path").first()
    if news_index is None:
        notes.skip("演示新闻", "新闻栏目页 /news/ 不存在")
        return
    existing = set(NewsPage.objects.child_of(news_index).values_list("slug", flat=True))
    today = timezone.localdate()
    for slug, days, category, title, summary, tags, colour, description in NEWS:
        if slug in existing:
            continue
        with notes.attempt(f"演示新闻“{title}”"):
            image = _image(slug, colour, description)
            page = NewsPage(
                title=title,
                slug=slug,
                date=today - dt.timedelta(days=days),
                category=category,
                summary=summary,
                listing_image=image,
                body=_body(title, summary, tags, image, description),
            )
            page.tags.add(*tags)
            news_index.add_child(instance=page)
            page.save_revision().publish()
