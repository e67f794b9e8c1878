"""Readable page addresses: pinyin for Chinese titles, never percent-encoded.

WAGTAIL_ALLOW_UNICODE_SLUGS is off, so the admin's slug field (and Wagtail's own
default) keeps only ASCII; a title such as 新闻公告 would leave it empty. Pages fill an
empty slug with the title's pinyin (xin-wen-gong-gao) and turn any Chinese an editor
types into the slug the same way. An editor may always choose the slug themselves.
"""

import re

from django.utils.text import slugify

MAX_LENGTH = 80


def pinyin_slug(text: str) -> str:
    """An ASCII slug for ``text``: Chinese characters by their pinyin, one word each."""
    # Imported here, not at the top: pypinyin loads its phrase dictionary on import
    # (~58 MB resident, ~0.3 s), and only an editor saving a page ever needs it; every
    # other worker and command would carry it for nothing (bench/startup.py).
    from pypinyin import Style, lazy_pinyin

    words = lazy_pinyin(text or "", style=Style.NORMAL, errors="default")
    slug = slugify(" ".join(words), allow_unicode=False)
    if len(slug) > MAX_LENGTH:
        slug = slug[:MAX_LENGTH].rsplit("-", 1)[0]
    return slug


def needs_pinyin(slug: str) -> bool:
    return bool(re.search(r"[^\x00-\x7f]", slug or ""))
