"""locale/zh_Hans: the hand-kept catalogue of Wagtail's (and django-filter's) strings.

Every entry translated, placeholders kept, the .mo compiled from the .po, and Django
serving it ahead of Wagtail's own catalogue."""

import gettext
import re
from pathlib import Path

from django.utils import translation

from tests.training_platform.test_translations import PLACEHOLDER, parse_po

PO = Path(__file__).resolve().parents[2] / "locale/zh_Hans/LC_MESSAGES/django.po"
BRACES = re.compile(r"\{(\w+)\}")


def entries():
    return parse_po(PO)[1:]


def test_every_entry_is_translated_and_keeps_its_placeholders():
    for entry in entries():
        for text in entry.translations:
            assert text.strip(), entry.msgid
            for pattern in (PLACEHOLDER, BRACES):
                # Chinese has one plural form: it keeps the singular's placeholders
                # and may use the plural's.
                used = set(pattern.findall(text))
                singular = set(pattern.findall(entry.msgid))
                plural = set(pattern.findall(entry.msgid_plural or ""))
                assert singular <= used <= singular | plural, (entry.msgid, text)


def test_no_chinese_msgids_slipped_in_from_makemessages():
    assert not [e.msgid for e in entries() if re.search(r"[\u4e00-\u9fff]", e.msgid)]


def test_compiled_catalogue_matches_the_po():
    with PO.with_suffix(".mo").open("rb") as handle:
        catalog = gettext.GNUTranslations(handle)._catalog
    for entry in entries():
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            assert catalog[(key, 0)] == entry.translations[0], entry.msgid
        else:
            assert catalog[key] == entry.msgstr, entry.msgid


def test_the_project_catalogue_wins_over_wagtails():
    with translation.override("zh-hans"):
        assert translation.gettext("Inspect") == "查看"  # Wagtail's own says 检查
        assert translation.gettext("Search all pages…") == "搜索全部页面…"
        assert translation.gettext("Go to the first error") == "转到第一个错误"
