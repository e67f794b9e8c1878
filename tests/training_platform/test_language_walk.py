"""The language walk (issue 16, item 2; docs/screens.md "Words").

Every demo role signs in and walks the back-office from /admin/, following the links it
is shown (GET only), and every page it reaches must read as Chinese: no English word
outside ALLOWED and no raw `None`/`True`/`False`. The trainee walks its public pages from
/me/ and / for raw values only (public pages are translated to English on purpose).

A new page is covered by being linked. The walk takes a few pages per URL pattern
(PER_PATTERN), so it stays fast while still reaching every kind of screen, and submits
each GET search form once with a term that matches nothing (the empty-result message).

On failure the message lists every offending page with its words, by role, at once.
Where a word comes from decides the fix (HOW_TO_FIX, printed with the failure).
Run just this walk with `pytest -q tests/training_platform/test_language_walk.py`;
`LANGUAGE_WALK_VERBOSE=1` also prints the pages visited.
"""

import contextlib
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import Resolver404, resolve

from demo.fixtures import DEMO_USERNAMES
from demo.services import demo_seed

pytestmark = pytest.mark.django_db

STAFF_ROLES = [name for name in DEMO_USERNAMES if name != "trainee"]

# English a Chinese office writes too, each with its reason. Keep this short: a word that
# is not here gets translated, not added.
ALLOWED = {
    "PDF",  # 下载 PDF: the file format's name
    "QR",  # 二维码 is used in text; QR appears in "QR 码" on certificates
    "xlsx",  # file suffix in upload hints (.xlsx)
    "XLSX",
    "Excel",  # "Excel 表格": the program's name, as Chinese offices write it
    "CSV",
    "ID",  # "ID" of a record in technical places (e.g. 任务 ID)
    "Wagtail",  # the CMS's name on its own "about" surfaces (see the report of issue 16)
    "PNG",
    "JPG",
    "JPEG",
    "GIF",
    "SVG",
    "URL",  # 网址/URL in the editors' link chooser
    "JavaScript",  # "使用管理后台需要开启 JavaScript": the technology's name
    "AVIF",  # image formats and sizes in the upload hint: 支持 AVIF, GIF…，最大 10.0 MB
    "WEBP",
    "MB",
    "KB",  # an image's file size on its edit page (12.3 KB)
    "TSV",  # 支持的格式：CSV, XLSX, TSV (redirect import)
    "localhost",  # the demo site's host name (data, in the sites list)
    "SYB",  # SYB 创业培训: the programme's name as Chinese offices write it (demo course)
    # key names in the keyboard-shortcuts dialog, as printed on the keys
    "Ctrl",
    "Alt",
    "Shift",
    "Esc",
}
# Usernames are identifiers, shown where an account (not a person) is named.
ALLOWED |= set(DEMO_USERNAMES)

# Pages per URL pattern (lists, inspect pages); of forms, filtered lists and searches
# one each: they are slow to render and read alike.
PER_PATTERN = 2
FORM_VIEW = re.compile(r"edit|add|new|create|copy", re.I)
MAX_PAGES_PER_ROLE = 220
NO_MATCH = "查无此项甲乙丙"  # a search term no record matches

# Links the walk never follows: they sign out, change state, or are downloads.
SKIP_PATH = re.compile(
    r"logout|/delete|/revoke|/unpublish|/lock/|/unlock/|/approve|/reject|"
    r"/cancel|/withdraw|/disable|/enable|/restore|/revert|/copy|/move|"
    r"/export|/download|\.(xlsx|csv|pdf|png|zip)$|/preview|/jsi18n|/api/|/sprite|"
    r"/chooser|/autocomplete|/workflow/action|/start_workflow|/usage",
    re.I,
)
# Downloads and sign-in returns; sorting and paging show the same words as the list.
SKIP_QUERY = {"export", "format", "next", "ordering", "p"}
DOWNLOAD_TYPES = ("text/html",)

# An English word: a run of 2+ ASCII letters in a token that is not an identifier-like
# code (a token with a digit: DEMO-001, GZ2026…), a URL, or an e-mail address.
TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-/:@#%+=?&]*")
# Wagtail's JavaScript strings carry their placeholders: %(objects)s, {title}, ${count}.
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\$?\{\w+\}")
MODEL_LABEL = re.compile(r"[a-z_]+\.[a-z_]+")
WORD = re.compile(r"[A-Za-z]{2,}")
RAW = re.compile(r"\b(None|True|False)\b")

TEXT_ATTRIBUTES = (
    "title",
    "aria-label",
    "aria-description",
    "placeholder",
    "alt",
    "data-w-tooltip-content-value",
)
JSON_TEXT_KEYS = {"label", "title", "placeholder", "help_text", "description", "text"}


# A site path (/verify/, /courses/) and a page slug (xin-wen-gong-gao: pinyin, lower
# case, hyphenated) are addresses, not English words.
PATH = re.compile(r"(?<![\w/:.])/[\w\-./]*")
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")


def english_words(text: str) -> set[str]:
    words = set()
    text = PATH.sub(" ", PLACEHOLDER.sub(" ", text))
    for token in TOKEN.findall(text):
        if SLUG.fullmatch(token.strip(".:")):
            continue
        if any(ch.isdigit() for ch in token) or "://" in token or "@" in token:
            continue
        if token.startswith(("/", "www.")) or token.strip(".:") in ALLOWED:
            continue
        if MODEL_LABEL.fullmatch(token):  # cms.coursepage in Wagtail's page-type report
            continue
        for word in WORD.findall(token):
            if word not in ALLOWED:
                words.add(word)
    return words


def raw_values(text: str) -> set[str]:
    return set(RAW.findall(text))


def _json_strings(value, key=None, strings_block=False):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _json_strings(v, k, strings_block or k == "STRINGS")
    elif isinstance(value, list):
        for item in value:
            yield from _json_strings(item, key, strings_block)
    elif isinstance(value, str) and (strings_block or key in JSON_TEXT_KEYS):
        yield value


def _json_urls(value):
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "url" and isinstance(v, str):
                yield v
            else:
                yield from _json_urls(v)
    elif isinstance(value, list):
        for item in value:
            yield from _json_urls(item)


class PageReader(HTMLParser):
    """What a person reads on a page, the links it offers and its GET search forms.

    The standard library's parser, not BeautifulSoup: Wagtail's edit pages run to a
    megabyte, and a tree is not needed to read them."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.links, self.searches = [], [], []
        self.skipping = None  # "script"/"style" while inside one
        self.json_script = False
        self.form = None  # the open GET form's action, while inside it
        # Wagtail's side-panel error counter: hidden, holds "None" until its script
        # writes the number of errors into it; never read as it is rendered.
        self.in_counter = False
        self.in_code = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "data-side-panel-toggle-counter" in attrs:
            self.in_counter = True
        if tag == "code":  # a machine identifier shown as one (a key group's code)
            self.in_code = True
        if tag in ("script", "style"):
            self.skipping = tag
            self.json_script = attrs.get("type") == "application/json" and attrs.get(
                "id"
            ) in {"wagtail-sidebar-props", "wagtail-config"}
            self.json_data = []
            return
        for attribute in TEXT_ATTRIBUTES:
            if attrs.get(attribute):
                self.parts.append(attrs[attribute])
        if tag == "input":
            if attrs.get("type") in {"submit", "button", "reset"}:
                self.parts.append(attrs.get("value") or "")
            if attrs.get("name") == "q" and self.form is not None:
                self.searches.append(self.form)
        elif tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "form" and (attrs.get("method") or "get").lower() == "get":
            self.form = attrs.get("action") or ""

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in ("script", "style"):
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag == self.skipping:
            if self.json_script:
                with contextlib.suppress(ValueError):
                    data = json.loads("".join(self.json_data) or "null")
                    self.parts.extend(_json_strings(data))
                    self.links.extend(_json_urls(data))
            self.skipping, self.json_script = None, False
        elif tag == "form":
            self.form = None
        elif tag == "code":
            self.in_code = False
        self.in_counter = False

    def handle_data(self, data):
        if self.skipping:
            if self.json_script:
                self.json_data.append(data)
        elif not (self.in_counter or self.in_code):
            self.parts.append(data)


def read_page(html: str) -> tuple[str, list[str], list[str]]:
    """The visible text (text, titles, labels, placeholders, button values, option
    texts, the menu and editor strings Wagtail ships as JSON), links, search actions."""
    reader = PageReader()
    reader.feed(html)
    reader.close()
    return " \n".join(reader.parts), reader.links, reader.searches


def visible_text(html: str) -> str:
    return read_page(html)[0]


@dataclass
class Walk:
    client: Client
    prefix: str
    starts: list[str]
    visited: list[str] = field(default_factory=list)
    pages: dict[str, str] = field(default_factory=dict)  # url → visible text
    errors: dict[str, str] = field(default_factory=dict)  # url → what went wrong

    def key(self, url: str):
        """Pages are capped per URL pattern: plain, searched (q=), other query."""
        parts = urlsplit(url)
        try:
            name = resolve(parts.path).view_name
        except Resolver404:
            name = parts.path
        if name == "wagtail_serve":
            name += ":" + parts.path.strip("/").split("/")[0]
        query = dict(parse_qsl(parts.query))
        if "q" in query:
            return name, "searched"
        if query:
            return name, "query"
        if FORM_VIEW.search(name):
            return name, "form"
        return name, ""

    def wanted(self, url: str) -> bool:
        parts = urlsplit(url)
        if parts.scheme or parts.netloc not in ("", "testserver"):
            return False
        if not parts.path.startswith(self.prefix) or SKIP_PATH.search(parts.path):
            return False
        if self.prefix == "/" and parts.path.startswith("/admin/"):
            return False
        return not any(k in SKIP_QUERY for k, _ in parse_qsl(parts.query))

    def run(self):
        queue = list(self.starts)
        seen, per_key = set(), defaultdict(int)
        while queue and len(self.visited) < MAX_PAGES_PER_ROLE:
            url = queue.pop(0)
            url = urlsplit(url)._replace(fragment="").geturl()
            if url in seen or not self.wanted(url):
                continue
            seen.add(url)
            key = self.key(url)
            if per_key[key] >= (1 if key[1] else PER_PATTERN):  # one form, one query
                continue
            per_key[key] += 1
            try:
                response = self.client.get(url)
            except Exception as error:  # noqa: BLE001  (a crash is a finding, listed)
                self.errors[url] = f"{type(error).__name__}: {error}"
                continue
            self.visited.append(url)
            if response.status_code in (301, 302, 303, 307, 308):
                queue.append(urljoin(url, response["Location"]))
                continue
            if response.status_code >= 500:
                self.errors[url] = f"HTTP {response.status_code}"
                continue
            if not response.get("Content-Type", "").startswith(DOWNLOAD_TYPES):
                continue
            if response.status_code != 200 or getattr(response, "streaming", False):
                continue
            text, links, searches = read_page(response.content.decode())
            self.pages[url] = text
            queue.extend(urljoin(url, link) for link in links)
            for action in searches:
                action = urlsplit(urljoin(url, action))._replace(query="").geturl()
                queue.append(f"{action}?{urlencode({'q': NO_MATCH})}")


def walk(username) -> Walk:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    if username == "trainee":
        result = Walk(client, "/", ["/me/", "/"])
    else:
        result = Walk(client, "/admin/", ["/admin/"])
    result.run()
    if os.environ.get("LANGUAGE_WALK_VERBOSE"):
        print(f"\n{username}: {len(result.visited)} pages")  # noqa: T201
        for url in result.visited:
            print("   ", url)  # noqa: T201
    return result


def findings(result: Walk, english: bool) -> dict[str, list[str]]:
    found = {}
    for url, text in result.pages.items():
        words = raw_values(text) | (english_words(text) if english else set())
        if words:
            found[url] = sorted(words)
    return found


HOW_TO_FIX = (
    "  Fix: Wagtail's or a package's string → locale/zh_Hans (see its header); our own"
    " text → write it in Chinese; a column or field named after its attribute →"
    " verbose_name or the column's label; None/True/False → training_platform.display."
)


def report(title, per_role: dict[str, dict[str, list[str]]]) -> str:
    """Words seen on every page of a role once (menus, dialogs), then each page's own,
    then each word with the roles that saw it: what to translate, and where."""
    lines = [title]
    every_word = defaultdict(set)
    for role, pages in per_role.items():
        common = set.intersection(*(set(w) for w in pages.values()))
        if len(pages) > 1 and common:
            lines.append(
                f"  [{role}] on all {len(pages)} pages: {' '.join(sorted(common))}"
            )
        else:
            common = set()
        for url, words in pages.items():
            own = [w for w in words if w not in common]
            if own:
                lines.append(f"  [{role}] {url}: {' '.join(own)}")
            for word in words:
                every_word[word].add(role)
    lines.append("  words, with the roles that saw them:")
    for word in sorted(every_word):
        lines.append(f"    {word}: {', '.join(sorted(every_word[word]))}")
    lines.append(HOW_TO_FIX)
    return "\n".join(lines)


@pytest.fixture
def demo():
    demo_seed()


def test_english_word_detection_ignores_codes_urls_and_allowed_words():
    text = "共 46 条 DEMO-001 https://example.org/x 下载 PDF inst_a Created at None"
    assert english_words(text) == {"Created", "at", "None"}
    assert raw_values("是否 None Falsey True") == {"None", "True"}
    # Addresses are not words; English next to them still is.
    assert english_words("地址 /verify/ 与 xin-wen-gong-gao Go to the first") == {
        "Go",
        "to",
        "the",
        "first",
    }
    html = (
        "<html><head><title>Dashboard</title><script>var Hidden=1</script></head>"
        '<body><input type="submit" value="Save"><input placeholder="Search">'
        '<button aria-label="Close">×</button><select><option>Any</option></select>'
        '<script id="wagtail-sidebar-props" type="application/json">'
        '{"_args": [{"label": "Pages", "url": "/admin/pages/"}]}</script></body></html>'
    )
    assert english_words(visible_text(html)) == {
        "Dashboard",
        "Save",
        "Search",
        "Close",
        "Any",
        "Pages",
    }


def test_every_back_office_page_speaks_chinese_to_every_demo_role(demo):
    per_role, errors, counts = {}, {}, {}
    for username in STAFF_ROLES:
        result = walk(username)
        counts[username] = len(result.pages)
        per_role[username] = findings(result, english=True)
        errors.update({f"[{username}] {u}": e for u, e in result.errors.items()})

    # Every role got past its home: a walk that reaches nothing proves nothing.
    assert all(count >= 3 for count in counts.values()), counts
    assert not errors, "pages that failed:\n" + "\n".join(
        f"  {u}: {e}" for u, e in errors.items()
    )
    offending = {role: pages for role, pages in per_role.items() if pages}
    assert not offending, report(
        "English or raw values on back-office pages (allow-list: ALLOWED in this file):",
        offending,
    )


def test_the_trainees_pages_show_no_raw_values(demo):
    result = walk("trainee")

    assert "/me/" in result.pages, result.visited
    assert not result.errors, result.errors
    offending = findings(result, english=False)
    assert not offending, report(
        "Raw values on the trainee's pages:", {"trainee": offending}
    )
