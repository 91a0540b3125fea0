"""The audit log of an organization: filter it, page through it, export what the filters select."""

import csv

from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from config.page_cache import cached_page

from ..audit_forms import AuditFilterForm
from ..cursors import Cursor, count_capped, cursor_page
from ..roles import VIEW_AUDIT_LOG
from ..scoping import organization_view
from ..selectors import (
    audit_action_list,
    audit_actor_options,
    audit_event_changes,
    audit_event_list,
    audit_value_json,
)

EVENTS_PER_PAGE = 50
# Counting further than this would read the whole log; above it the page says "10,000+".
COUNT_CAP = 10_000
CSV_COLUMNS = [
    "time", "actor type", "actor id", "actor", "action", "target type", "target", "target id",
    "principal type", "principal id", "principal", "before", "after", "ip",
]  # fmt: skip


class _Echo:
    """A file-like object whose write() hands the line back, so csv.writer can feed a stream."""

    def write(self, value):
        return value


def _csv_cell(value: str) -> str:
    # A spreadsheet would run a cell starting like a formula; a leading quote keeps it text.
    return f"'{value}" if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def _csv_lines(events):
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    for event in events.iterator(chunk_size=1000):
        yield writer.writerow(
            [
                event.created_at.isoformat(),
                event.actor_type,
                event.actor_id or "",
                _csv_cell(event.actor_email),
                _csv_cell(event.action),
                _csv_cell(event.target_type),
                _csv_cell(event.target_label),
                event.target_id,
                event.principal_type,
                event.principal_id,
                _csv_cell(event.principal_label),
                audit_value_json(event.before or {}),
                audit_value_json(event.after or {}),
                event.ip_address or "",
            ]
        )


def _csv_response(organization, events) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_lines(events.select_related(None)), content_type="text/csv")
    filename = f"audit-{organization.slug}-{timezone.now():%Y%m%d-%H%M}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _cursors(request) -> dict[str, Cursor]:
    """The page the URL asks for: `older` or `newer` than a cursor; a cursor not ours means the first."""
    for direction in ("older", "newer"):
        if text := request.GET.get(direction):
            try:
                return {direction: Cursor.decode(text)}
            except ValueError:
                return {}
    return {}


@cached_page
@organization_view(permission=f"organizations.{VIEW_AUDIT_LOG}")
def audit_log(request):
    """The filtered table, paged by cursor (`?older=` / `?newer=`, so a deep page costs what the first
    does); `?format=csv` streams every filtered event instead."""
    organization = request.organization
    form = AuditFilterForm(request.GET, actions=audit_action_list(organization=organization))
    events = audit_event_list(organization=organization, **form.filters())
    if request.GET.get("format") == "csv":
        return _csv_response(organization, events)
    page = cursor_page(events, size=EVENTS_PER_PAGE, **_cursors(request))
    count, more = count_capped(events, cap=COUNT_CAP)
    context = {
        "organization": organization,
        "nav": "audit",
        "audit_url": reverse("organizations:audit", args=[organization.slug]),
        "form": form,
        "filter_errors": form.error_list(),
        "filtered": bool(form.filters()),
        "count": count,
        "count_capped": more,
        "newer": page.newer.encode() if page.newer else None,
        "older": page.older.encode() if page.older else None,
        # (event, its changes, its action split after the first dot so a long one can wrap there)
        "rows": [(event, audit_event_changes(event), event.action.partition(".")) for event in page.rows],
    }
    template = "organizations/audit.html"
    if request.htmx and request.htmx.target == "audit-results":
        template += "#audit-results"
    else:
        context["actors"] = audit_actor_options(organization=organization)
    return render(request, template, context)
