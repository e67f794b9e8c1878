"""The lifetime record's label–value pairs, built in one pass (a record of 100 entries has
600-odd pairs: a template loop per pair would cost more than the rest of the page)."""

from django import template
from django.utils.html import format_html_join

register = template.Library()


@register.simple_tag
def record_pairs(facts):
    """``<div><dt>label</dt><dd>value</dd></div>`` for each pair, escaped (dl.pairs)."""
    return format_html_join("", "<div><dt>{}</dt><dd>{}</dd></div>", facts)
