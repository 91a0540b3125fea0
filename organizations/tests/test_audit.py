"""The audit log page: filters in the URL, htmx table swaps, CSV export, access, query budget."""

import csv
import html
import io
import re
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from organizations.audit import audit_record
from organizations.cursors import Cursor
from organizations.models import AuditEvent, Team
from organizations.roles import OrganizationRoleKey

pytestmark = pytest.mark.django_db

FRESH = {"Cache-Control": "no-cache"}
QUERIES_PER_PAGE = 10  # rendered (FRESH), not served by the page cache


def audit_url(organization):
    return reverse("organizations:audit", args=[organization.slug])


def record_at(when, *, organization, actor, action, label, before=None, after=None):
    with mock.patch("django.utils.timezone.now", return_value=when):
        return audit_record(
            organization=organization,
            acting_user=actor,
            action=action,
            target=Team(pk=len(label), name=label),
            before=before,
            after=after,
        )


@pytest.fixture
def history(organization, owner, add_member):
    """Four events by two people on three days (plus the events of creating the organization)."""
    admin = add_member(OrganizationRoleKey.ADMIN, "ada@example.com")
    events = {
        "old": record_at(
            datetime(2024, 1, 10, 9, tzinfo=UTC), organization=organization, actor=owner,
            action="team.create", label="Platform", after={"name": "Platform"},
        ),
        "rename": record_at(
            datetime(2024, 2, 1, 23, 59, tzinfo=UTC), organization=organization, actor=admin,
            action="team.update", label="Platform Core",
            before={"name": "Platform", "role": ""}, after={"name": "Platform Core", "role": "viewer"},
        ),
        "other": record_at(
            datetime(2024, 2, 2, 0, 1, tzinfo=UTC), organization=organization, actor=admin,
            action="team.create", label="Research", after={"name": "Research"},
        ),
        "evil": record_at(
            datetime(2024, 3, 5, 12, tzinfo=UTC), organization=organization, actor=owner,
            action="team.create", label="=HYPERLINK(1)", after={"name": "=HYPERLINK(1)"},
        ),
    }  # fmt: skip
    return events


def test_the_log_lists_events_with_actor_action_target_diff_and_exact_time(
    owner_client, organization, history
):
    response = owner_client.get(audit_url(organization))
    assert response.status_code == 200
    page = response.content.decode()
    assert "team.<wbr>update</td>" in page and "ada@example.com" in page and "Platform Core" in page
    # before → after, as compact JSON per key
    assert '<span class="audit-diff__key">role</span> <del title="">""</del>' in page
    assert '<ins title="viewer">viewer</ins>' in page
    assert "Platform</del>" in page and "Platform Core</ins>" in page
    assert 'datetime="2024-02-01T23:59:00+00:00" title="2024-02-01 23:59 UTC"' in page
    assert "organization.<wbr>create</td>" in page  # the organization's own creation is there too
    assert 'href="/orgs/acme-ml/settings/audit/?format=csv"' in page


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "ada@"}, ["Platform Core", "Research"]),
        ({"actor": "ADA@EXAMPLE.COM"}, ["Platform Core", "Research"]),
        ({"action": "team.update"}, ["Platform Core"]),
        ({"target": "platform"}, ["Platform Core", "Platform"]),
        ({"date_from": "2024-02-01", "date_to": "2024-02-01"}, ["Platform Core"]),
        ({"date_from": "2024-02-02", "date_to": "2024-03-05"}, ["Research", "=HYPERLINK(1)"]),
        ({"actor": "owner@example.com", "action": "team.create", "date_to": "2024-02-28"}, ["Platform"]),
    ],
)
def test_filters_narrow_the_table(owner_client, organization, history, query, expected):
    response = owner_client.get(audit_url(organization), query)
    assert response.status_code == 200
    page = response.content.decode()
    for label in ("Platform Core", "Research", "=HYPERLINK(1)", "Platform"):
        assert (f'<td data-label="Target">{label}<br>' in page) == (label in expected), (label, query)
    if "actor" in query or "action" in query:
        assert "organization.<wbr>create</td>" not in page


def test_the_actor_filter_also_takes_a_member_id(owner_client, organization, history):
    ada = history["rename"].actor
    page = owner_client.get(audit_url(organization), {"actor": str(ada.pk)}).content.decode()
    assert "Platform Core" in page and "Research" in page and "=HYPERLINK(1)" not in page


def test_filter_choices_offer_members_and_the_actions_present(owner_client, organization, history):
    page = owner_client.get(audit_url(organization)).content.decode()
    assert '<datalist id="audit-actors">' in page and '<option value="ada@example.com">' in page
    assert '<option value="team.update">team.update</option>' in page
    assert '<option value="workspace.delete">' not in page


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"date_from": "2024-13-45"}, "From: Enter a date as YYYY-MM-DD."),
        ({"action": "rocket.launch"}, "Action: No event has the action “rocket.launch”."),
        ({"date_from": "2024-03-01", "date_to": "2024-02-01"}, "“From” is after “To”"),
    ],
)
def test_a_bad_filter_is_explained_kept_and_left_out(owner_client, organization, history, query, message):
    response = owner_client.get(audit_url(organization), {**query, "target": "Research"})
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page and "This filter is not applied." in page
    assert "Research" in page and "Platform Core" not in page  # the good filter still applies
    for value in query.values():
        if "-" in value and value != "rocket.launch":
            assert f'value="{value}"' in page


def test_htmx_swaps_only_the_results_and_the_url_holds_the_state(owner_client, organization, history):
    response = owner_client.get(
        audit_url(organization),
        {"action": "team.update"},
        headers={"HX-Request": "true", "HX-Target": "audit-results"},
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="audit-results"')
    assert "<html" not in body and "Platform Core" in body and "Research" not in body
    assert "format=csv" in body and "action=team.update" in body
    assert "HX-Request" in response["Vary"]
    page = owner_client.get(audit_url(organization)).content.decode()
    assert 'hx-push-url="true"' in page and 'method="get"' in page


def _bulk_events(organization, owner, count, *, action="bulk.thing"):
    AuditEvent.objects.bulk_create(
        AuditEvent(organization=organization, actor=owner, actor_email=owner.email, action=action,
                   target_type="team", target_id=str(i), target_label=f"Thing {i:04}")
        for i in range(count)
    )  # fmt: skip


def _link(page, rel):
    found = re.search(rf'<a href="([^"]+)" rel="{rel}"', page)
    return found and html.unescape(found.group(1))


def test_pages_of_50_by_cursor_keep_the_filters(owner_client, organization, owner):
    _bulk_events(organization, owner, 120)  # created in one instant: the id breaks the ties
    page = owner_client.get(audit_url(organization), {"action": "bulk.thing"}).content.decode()
    assert "120 events match the filters" in page and page.count("<tr>") == 51
    assert _link(page, "prev") is None and '<span aria-disabled="true">← Newer</span>' in page
    seen = re.findall(r"Thing (\d{4})<br>", page)
    older = _link(page, "next")
    assert "action=bulk.thing" in older and "older=" in older and "page=" not in older
    second = owner_client.get(older).content.decode()
    third = owner_client.get(_link(second, "next")).content.decode()
    seen += re.findall(r"Thing (\d{4})<br>", second) + re.findall(r"Thing (\d{4})<br>", third)
    assert seen == [f"{i:04}" for i in reversed(range(120))]  # each once, newest first
    assert _link(third, "next") is None and third.count("<tr>") == 21
    # Newer from the third page is the second again, and from the second the first.
    back = owner_client.get(_link(third, "prev")).content.decode()
    assert re.findall(r"Thing (\d{4})<br>", back) == re.findall(r"Thing (\d{4})<br>", second)
    first = owner_client.get(_link(back, "prev")).content.decode()
    assert re.findall(r"Thing (\d{4})<br>", first)[0] == "0119" and _link(first, "prev") is None


def test_a_cursor_not_ours_shows_the_first_page(owner_client, organization, owner):
    _bulk_events(organization, owner, 60)
    page = owner_client.get(audit_url(organization), {"older": "not-a-cursor"}).content.decode()
    assert "Thing 0059<br>" in page and page.count("<tr>") == 51


def test_counts_past_ten_thousand_are_capped(owner_client, organization, owner):
    from organizations.views import audit

    with mock.patch.object(audit, "COUNT_CAP", 100):
        _bulk_events(organization, owner, 150)
        page = owner_client.get(audit_url(organization)).content.decode()
        assert "100+ events" in page
        page = owner_client.get(audit_url(organization), {"target": "Thing 000"}).content.decode()
        assert "10 events match the filters" in page
    # The cap changed, not the data: ask for the page afresh, as a hard reload does (page cache).
    page = owner_client.get(audit_url(organization), headers=FRESH).content.decode()
    assert "151 events" in page


def test_csv_export_streams_the_filtered_rows(owner_client, organization, history):
    response = owner_client.get(audit_url(organization), {"actor": "ada@", "format": "csv"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0] == [
        "time", "actor type", "actor id", "actor", "action", "target type", "target", "target id",
        "principal type", "principal id", "principal", "before", "after", "ip",
    ]  # fmt: skip
    records = [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
    assert [record["target"] for record in records] == ["Research", "Platform Core"]
    research, rename = records
    assert research["time"] == "2024-02-02T00:01:00+00:00" and research["actor"] == "ada@example.com"
    assert research["actor type"] == "user" and research["actor id"].isdigit()
    assert research["action"] == "team.create" and research["target type"] == "team"
    assert research["target id"].isdigit()
    assert (
        rename["before"] == '{"name":"Platform","role":""}'
        and rename["after"] == '{"name":"Platform Core","role":"viewer"}'
    )


def test_csv_cells_cannot_become_spreadsheet_formulas(owner_client, organization, history):
    response = owner_client.get(audit_url(organization), {"target": "HYPERLINK", "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[1][rows[0].index("target")] == "'=HYPERLINK(1)"


@pytest.mark.parametrize(
    "role", [OrganizationRoleKey.MANAGER, OrganizationRoleKey.VIEWER, OrganizationRoleKey.MEMBER]
)
def test_only_holders_of_view_audit_log_may_read_it(client, organization, add_member, role):
    client.force_login(add_member(role))
    assert client.get(audit_url(organization)).status_code == 403
    assert client.get(audit_url(organization), {"format": "csv"}).status_code == 403


def test_admins_may_read_it_outsiders_get_404_and_anonymous_users_log_in(
    client, organization, add_member, outsider
):
    client.force_login(add_member(OrganizationRoleKey.ADMIN))
    assert client.get(audit_url(organization)).status_code == 200
    client.force_login(outsider)
    assert client.get(audit_url(organization)).status_code == 404
    assert client.get(audit_url(organization), {"format": "csv"}).status_code == 404
    client.logout()
    assert client.get(audit_url(organization))["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("count", [20, 2000])
def test_every_page_costs_the_same_queries_at_20_and_2000_events(
    owner_client, organization, owner, count, django_assert_num_queries, django_assert_max_num_queries
):
    AuditEvent.objects.bulk_create(
        AuditEvent(organization=organization, actor=owner, actor_email=owner.email, action=f"thing.{i % 7}",
                   target_type="team", target_id=str(i), target_label=f"Thing {i}",
                   before={"n": i}, after={"n": i + 1}, ip_address="10.0.0.1")
        for i in range(count)
    )  # fmt: skip
    # The same number of queries whatever the size and however deep the page (the capped count included).
    with django_assert_num_queries(QUERIES_PER_PAGE):
        first = owner_client.get(audit_url(organization), headers=FRESH).content.decode()
    with django_assert_num_queries(QUERIES_PER_PAGE):
        owner_client.get(_link(first, "next") or audit_url(organization), headers=FRESH)
    deepest = AuditEvent.objects.filter(organization=organization).order_by("created_at", "pk")[1]
    with django_assert_num_queries(QUERIES_PER_PAGE):
        deep = owner_client.get(
            audit_url(organization), {"older": Cursor.of(deepest).encode()}, headers=FRESH
        )
    assert deep.content.decode().count("<tr>") == 2  # the header and the organization's creation
    with django_assert_num_queries(QUERIES_PER_PAGE):
        owner_client.get(audit_url(organization), {"actor": "owner", "target": "Thing 4"}, headers=FRESH)
    with django_assert_max_num_queries(12):
        response = owner_client.get(audit_url(organization), {"format": "csv"})
        lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 1 + count + 1  # header, the events, and the organization's creation


def test_audit_events_are_append_only(organization):
    event = AuditEvent.objects.filter(organization=organization).first()
    event.action = "tampered"
    with pytest.raises(ValidationError):
        event.save()
    with pytest.raises(ValidationError):
        event.delete()
    with pytest.raises(ValidationError):
        AuditEvent.objects.filter(pk=event.pk).update(action="tampered")
    with pytest.raises(ValidationError):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with pytest.raises(ValidationError):
        AuditEvent.objects.all().delete()
    event.refresh_from_db()
    assert event.action == "organization.create"


def test_events_keep_actor_target_and_principal_as_references(
    organization, owner, add_member, make_workspace
):
    from organizations.models import AuditEvent
    from workspaces.services import workspace_role_assign

    workspace = make_workspace("joinable")
    dana = add_member("member", "dana@example.com")
    dana.display_name = "Dana Renamed Later"
    dana.save()
    workspace_role_assign(workspace=workspace, user=dana, role="viewer", acting_user=owner)
    event = AuditEvent.objects.get(action="workspace_role.assign", principal_id=str(dana.pk))
    assert (event.actor_type, event.actor_id) == ("user", owner.pk)
    assert (event.target_type, event.target_id) == ("workspace", str(workspace.pk))
    assert event.principal_type == "user"
    # "Last activity of X in this organization" is one indexed question.
    latest = AuditEvent.objects.filter(organization=organization, actor=owner).order_by("-created_at").first()
    assert latest == event


def test_actions_come_from_one_registry(organization, owner):
    from organizations.audit import audit_record

    with pytest.raises(ValueError, match="AuditAction"):
        audit_record(organization=organization, acting_user=owner, action="made.up", target=organization)


def test_the_log_names_target_types_in_words(owner_client, organization, owner):
    from workspaces.services import custom_role_create

    custom_role_create(organization=organization, name="Auditor", base_role="viewer", acting_user=owner)
    page = owner_client.get(audit_url(organization)).content.decode()
    assert "custom role" in page and "workspacecustomrole" not in page and "custom_role" not in page


def test_the_action_filter_offers_the_actions_that_occur_here_only(organization, owner, make_user):
    from organizations.selectors import audit_action_list
    from organizations.services import organization_create

    other = organization_create(name="Other", acting_user=make_user("other@example.com"))
    AuditEvent.objects.bulk_create(
        AuditEvent(organization=organization, actor=owner, actor_email=owner.email, action=action,
                   target_type="team", target_id="1", target_label="T")
        for action in ["team.create", "zz.last", "team.create", "aa.first"]
    )  # fmt: skip
    AuditEvent.objects.bulk_create(
        [AuditEvent(organization=other, actor=owner, actor_email=owner.email, action="only.there",
                    target_type="team", target_id="1", target_label="T")]
    )  # fmt: skip
    expected = sorted(
        set(AuditEvent.objects.filter(organization=organization).values_list("action", flat=True))
    )
    assert audit_action_list(organization=organization) == expected
    assert "aa.first" in expected and "zz.last" in expected and "only.there" not in expected
