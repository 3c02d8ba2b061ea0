from django import template
from django.utils.html import format_html

from kernel.json import isoformat

from ..formatting import number_text

register = template.Library()


@register.filter
def number(value) -> str:
    """An amount with separators and sensible rounding (compliance.formatting.number_text)."""
    return "" if value is None or value == "" else number_text(value)


@register.filter
def relative_time(value):
    """A <time> that admin.js shows as "5 minutes ago", with the exact time on hover."""
    if not value:
        return ""
    return format_html('<time class="relative" datetime="{}">{}</time>', isoformat(value), isoformat(value))
