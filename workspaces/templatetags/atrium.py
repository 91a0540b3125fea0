from django import template
from django.utils.safestring import mark_safe

from ..markdown import render_markdown

register = template.Library()


@register.simple_tag(takes_context=True)
def can(context, permission, obj=None):
    """`{% can "workspaces.change_workspace" workspace as may_edit %}`: asks the request's Access."""
    access = context.get("access") or getattr(context.get("request"), "access", None)
    return bool(access and access.can(permission, obj))


@register.filter
def markdown(text):
    return mark_safe(render_markdown(text))


@register.filter
def ago(value) -> str:
    """ "just now" for the last minute, else Django's "3 hours ago" (timesince's largest units)."""
    from django.utils import timezone
    from django.utils.timesince import timesince

    if value is None:
        return ""
    if (timezone.now() - value).total_seconds() < 60:
        return "just now"
    return f"{timesince(value)} ago"


@register.simple_tag(takes_context=True)
def prefetch_access(context, objects) -> str:
    """`{% prefetch_access page.object_list %}` before a list whose rows ask `{% can %}` about each
    object: one query for the whole page instead of one per row."""
    access = context.get("access") or getattr(context.get("request"), "access", None)
    if access is not None:
        access.prefetch(list(objects))
    return ""


@register.simple_tag(takes_context=True)
def may_review_access(context, workspace):
    """`{% may_review_access workspace as may_review %}`: may the request's user review its access?"""
    access = context.get("access") or getattr(context.get("request"), "access", None)
    return bool(access and access.may_review_access(workspace))
