"""The lifetime record's timeline cards, built in one pass in Python.

A record of 100 entries has some 700 label–value pairs; rendered node by node through the
template engine they cost more than the rest of the page, and the issue asks for 100
entries within 2× the time of 1 (bench/record.py). The markup is the public site's card
(``ol.record-cards > li.record-card``, ``dl.pairs > div``) as the other record templates
write it; every value is escaped.
"""

from html import escape

from django import template
from django.utils.safestring import mark_safe

register = template.Library()


def _pairs(facts) -> str:
    return "".join(
        f"<div><dt>{escape(str(label))}</dt><dd>{escape(str(value))}</dd></div>"
        for label, value in facts
    )


def _card(item, verify_text: str) -> str:
    entry = item.entry
    status_attr = entry.extra.get("status") if entry.extra else None
    day = item.day
    when = f'<time datetime="{day}">{day}</time>' if day else "—"
    line = f"{when} · {escape(str(item.kind))}"
    if entry.status:
        line += f" · {escape(str(entry.status))}"
    title = escape(str(entry.title))
    parts = [
        f'<li class="record-card" data-kind="{escape(item.section.name)}">',
        '<p class="card-status"',
        f' data-status="{escape(str(status_attr))}">' if status_attr else ">",
        f"{line}</p><h3>{title}</h3>",
    ]
    facts = item.facts
    if facts:
        parts.append(f'<dl class="pairs">{_pairs(facts)}</dl>')
    if entry.url:
        parts.append(
            f'<p class="card-actions"><a href="{escape(entry.url)}">{escape(verify_text)}'
            f'<span class="visually-hidden"> {title}</span></a></p>'
        )
    parts.append("</li>")
    return "".join(parts)


@register.simple_tag
def record_cards(items, verify_text):
    """One ``li.record-card`` per timeline item (``Record.in_time_order()``)."""
    return mark_safe("\n".join(_card(item, str(verify_text)) for item in items))  # noqa: S308


@register.simple_tag
def record_pairs(facts):
    """``<div><dt>label</dt><dd>value</dd></div>`` for each pair, escaped (dl.pairs)."""
    return mark_safe(_pairs(facts))  # noqa: S308
