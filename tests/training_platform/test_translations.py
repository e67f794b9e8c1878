"""The English catalogue: every message translated, none fuzzy, and the .mo up to date.

After `manage.py makemessages -l en` and translating, recompile with
`msgfmt --check -o locale/en/LC_MESSAGES/django.mo locale/en/LC_MESSAGES/django.po`.
"""

import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import translation

ROOT = Path(__file__).resolve().parents[2]
PO = ROOT / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
KEYWORD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[(\d+)\])?)\s+"(.*)"$')
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdif]")


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def translations(self) -> list[str]:
        if self.msgid_plural is None:
            return [self.msgstr]
        return [self.msgstr_plural[i] for i in sorted(self.msgstr_plural)]


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), m.group(0)), text)


def parse_po(path: Path) -> list[Entry]:
    """The entries of a .po file, header first; obsolete (#~) entries are left out."""
    entries: list[Entry] = []
    entry, target, seen_msgid = Entry(), None, False

    def finish():
        nonlocal entry, target, seen_msgid
        if seen_msgid:
            entries.append(entry)
        entry, target, seen_msgid = Entry(), None, False

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            if seen_msgid:
                finish()
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            if seen_msgid:
                finish()
            continue
        if match := KEYWORD.match(line):
            keyword, index, value = match.groups()
            if keyword in ("msgctxt", "msgid") and seen_msgid and target != "msgctxt":
                finish()  # a new entry without a blank line before it
            if keyword == "msgid":
                seen_msgid = True
                entry.line = number
            target = (keyword, int(index)) if index is not None else keyword
            _append(entry, target, _unescape(value), start=True)
        elif line.startswith('"') and line.endswith('"') and target:
            _append(entry, target, _unescape(line[1:-1]))
        else:
            raise ValueError(f"{path.name}:{number}: cannot parse {raw!r}")
    finish()
    return entries


def _append(entry: Entry, target, value: str, start: bool = False) -> None:
    if isinstance(target, tuple):
        index = target[1]
        entry.msgstr_plural[index] = (
            "" if start else entry.msgstr_plural[index]
        ) + value
    else:
        setattr(entry, target, ("" if start else getattr(entry, target) or "") + value)


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    entries = parse_po(PO)
    assert entries and entries[0].msgid == "", "the .po must start with its header"
    return entries


@pytest.fixture(scope="module")
def messages(catalogue) -> list[Entry]:
    return catalogue[1:]


def test_header_declares_english_utf8_and_two_plural_forms(catalogue):
    header = catalogue[0]
    assert "fuzzy" not in header.flags
    info = dict(
        line.split(": ", 1) for line in header.msgstr.splitlines() if ": " in line
    )
    assert info["Language"] == "en"
    assert info["Project-Id-Version"] == "qianjitong"
    assert info["Content-Type"] == "text/plain; charset=UTF-8"
    assert info["Plural-Forms"] == "nplurals=2; plural=(n != 1);"


def test_every_message_is_translated_and_none_is_fuzzy(messages):
    assert len(messages) > 100
    fuzzy = [e.msgid for e in messages if "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy entries: {fuzzy}"
    untranslated = [e.msgid for e in messages if not all(e.translations)]
    assert not untranslated, f"untranslated: {untranslated}"
    plural = [e for e in messages if e.msgid_plural is not None]
    assert plural and all(len(e.translations) == 2 for e in plural)


def test_placeholders_survive_translation(messages):
    for entry in messages:
        expected = sorted(PLACEHOLDER.findall(entry.msgid))
        if entry.msgid_plural is not None:
            assert sorted(PLACEHOLDER.findall(entry.msgid_plural)) == expected
        for text in entry.translations:
            assert sorted(PLACEHOLDER.findall(text)) == expected, (entry.msgid, text)


def test_compiled_catalogue_matches_the_po(messages):
    """A .po edited without recompiling leaves the .mo behind; this catches it."""
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    assert compiled.info()["language"] == "en"
    stale = []
    for entry in messages:
        if entry.msgid_plural is None:
            if entry.msgctxt is None:
                got = [compiled.gettext(entry.msgid)]
            else:
                got = [compiled.pgettext(entry.msgctxt, entry.msgid)]
        elif entry.msgctxt is None:
            got = [
                compiled.ngettext(entry.msgid, entry.msgid_plural, n) for n in (1, 2)
            ]
        else:
            got = [
                compiled.npgettext(entry.msgctxt, entry.msgid, entry.msgid_plural, n)
                for n in (1, 2)
            ]
        if got != entry.translations:
            stale.append((entry.msgid, got, entry.translations))
    assert not stale, f"recompile the .mo; differs from the .po: {stale}"


def test_django_serves_the_english_translations():
    with translation.override("en"):
        assert translation.gettext("培训课程") == "Courses"
        assert translation.gettext("补贴性培训") == "Subsidised training"
        assert translation.gettext("实名注册") == "Real-name sign-up"
        assert translation.gettext("剩余名额") == "Seats left"
        assert (
            translation.gettext("%(name)s（全市州）") % {"name": "贵阳市"}
            == "贵阳市 (whole prefecture)"
        )
        message = "%(counter)s 个正在报名的培训班"
        assert (
            translation.ngettext(message, message, 1) % {"counter": 1}
            == "1 class open for enrolment"
        )
        assert (
            translation.ngettext(message, message, 3) % {"counter": 3}
            == "3 classes open for enrolment"
        )
    with translation.override("zh-hans"):
        assert translation.gettext("培训课程") == "培训课程"


def test_lazy_form_labels_follow_the_active_language():
    from courses.filters import CatalogueFilter

    label = CatalogueFilter.base_filters["occupation"].label
    with translation.override("en"):
        assert str(label) == "Occupation"
    with translation.override("zh-hans"):
        assert str(label) == "职业（工种）"
