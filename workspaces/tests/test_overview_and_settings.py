import pytest
from django.urls import reverse

from organizations.models import AuditEvent
from workspaces.models import Workspace, WorkspaceRoleAssignment
from workspaces.onboarding import CHECKLIST, checklist_for
from workspaces.permission_sync import sync_workspace_permissions

pytestmark = pytest.mark.django_db


def overview(client, slug):
    return client.get(reverse("workspaces:overview", args=[slug])).content.decode()


def made_available(slug):
    """As the worker leaves a workspace once provisioned (these tests run no worker)."""
    from workspaces.models import Workspace, WorkspaceStatus

    Workspace.objects.filter(slug=slug).update(status=WorkspaceStatus.AVAILABLE)


def test_overview_shows_identity_connection_and_a_fresh_checklist(owner_client, make_workspace):
    make_workspace("fraud-detection", display_name="Fraud detection", description="Catches fraud.")
    made_available("fraud-detection")
    page = overview(owner_client, "fraud-detection")
    assert "Fraud detection" in page and "Catches fraud." in page
    assert "http://testserver/w/fraud-detection/" in page
    assert (
        "export ZENML_PRO_API_URL=http://testserver/zenml-api\nzenml login fraud-detection --project default"
        in page
    )
    assert "0 of 5" in page
    for item in CHECKLIST:
        assert item.title in page


def test_the_workspace_url_and_login_command_use_the_address_the_site_is_served_at(
    owner_client, make_workspace, settings
):
    """`make run PORT=8302` serves at localhost:8302: the links a user copies must say so."""
    settings.ATRIUM_BASE_URL = ""
    make_workspace("port-ws")
    made_available("port-ws")
    url = reverse("workspaces:overview", args=["port-ws"])
    page = owner_client.get(url, HTTP_HOST="localhost:8302", SERVER_PORT="8302").content.decode()
    assert 'data-copy="http://localhost:8302/w/port-ws/"' in page
    assert 'data-copy="export ZENML_PRO_API_URL=http://localhost:8302/zenml-api"' in page
    assert 'data-copy="zenml login port-ws --project default"' in page
    assert ":8000" not in page


def test_the_workspace_url_and_login_command_use_the_configured_base_url(
    owner_client, make_workspace, settings
):
    settings.ATRIUM_BASE_URL = "https://atrium.example.com"
    make_workspace("public-ws")
    made_available("public-ws")
    url = reverse("workspaces:overview", args=["public-ws"])
    page = owner_client.get(url, HTTP_HOST="localhost:8302", SERVER_PORT="8302").content.decode()
    assert 'data-copy="https://atrium.example.com/w/public-ws/"' in page
    assert 'data-copy="export ZENML_PRO_API_URL=https://atrium.example.com/zenml-api"' in page
    assert 'data-copy="zenml login public-ws --project default"' in page
    assert "localhost:8302" not in page


def test_saving_a_readme_documents_the_workspace(owner_client, make_workspace):
    workspace = make_workspace("docs-ws")
    url = reverse("workspaces:settings", args=["docs-ws"])
    form = owner_client.get(url).content.decode()
    assert 'value="docs-ws" readonly' in form and "permanent" in form

    response = owner_client.post(
        url,
        {
            "display_name": "Documented",
            "description": "New words",
            "readme": "# Hello\n\n<script>alert(1)</script>\n\n* one",
            "slug": "hijacked",
        },
    )
    assert response.status_code == 302
    workspace = Workspace.objects.get(pk=workspace.pk)
    assert workspace.slug == "docs-ws" and workspace.display_name == "Documented"
    page = overview(owner_client, "docs-ws")
    assert "<h1>Hello</h1>" in page and "<li>one</li>" in page and "<script>alert" not in page
    assert "1 of 5" in page
    event = AuditEvent.objects.get(action="workspace.update")
    assert event.before["name"] == "Docs Ws" and event.after["name"] == "Documented"


def test_settings_validation_keeps_the_entries(owner_client, make_workspace):
    make_workspace("keep-ws")
    response = owner_client.post(
        reverse("workspaces:settings", args=["keep-ws"]), {"display_name": "", "readme": "draft text"}
    )
    assert response.status_code == 200
    assert "This field is required" in response.content.decode() and "draft text" in response.content.decode()


def test_a_second_member_with_a_role_ticks_invite_a_teammate(owner_client, make_workspace, add_member):
    from workspaces.services import RoleGrant

    teammate = add_member("member")
    make_workspace("team-ws", grants=[RoleGrant(role="developer", user=teammate)])
    page = overview(owner_client, "team-ws")
    assert "1 of 5" in page and "checklist__item is-done" in page


def test_checklist_items_are_independent(make_workspace):
    workspace = make_workspace("skip-ws")
    checklist = checklist_for(workspace, {"invite_teammate"})
    assert [entry.state for entry in checklist.entries] == [
        "pending",
        "pending",
        "pending",
        "done",
        "pending",
    ]
    done = checklist_for(workspace, {item.key for item in CHECKLIST})
    assert done.complete and done.done_count == 5


def test_a_fully_onboarded_workspace_says_so_once_and_folds_the_checklist(owner_client, make_workspace):
    from workspaces.models import OnboardingStep

    workspace = make_workspace("done-ws")
    OnboardingStep.objects.bulk_create(
        OnboardingStep(workspace=workspace, key=item.key) for item in CHECKLIST
    )
    page = overview(owner_client, "done-ws")
    assert "fully onboarded" in page
    assert '<details class="checklist-done"><summary>Onboarding: 5 of 5 done</summary>' in page
    again = overview(owner_client, "done-ws")
    assert "fully onboarded" not in again and "Onboarding: 5 of 5 done" in again


def test_the_first_pipeline_command_is_complete(make_workspace, owner_client):
    make_workspace("pipe-ws")
    made_available("pipe-ws")
    page = overview(owner_client, "pipe-ws")
    assert (
        "cat &gt; run.py &lt;&lt;&#x27;EOF&#x27;" in page and "@pipeline" in page and "python run.py" in page
    )


@pytest.mark.parametrize(
    ("status", "says"),
    [
        ("pending", "The login command appears here as soon as the workspace is ready."),
        ("failed", "Nobody can connect while provisioning has failed"),
        ("deactivated", "it must be reactivated first"),
    ],
)
def test_a_workspace_that_is_not_usable_offers_no_login_command(make_workspace, owner_client, status, says):
    from workspaces.models import Workspace

    make_workspace("idle-ws")
    Workspace.objects.filter(slug="idle-ws").update(status=status)
    page = overview(owner_client, "idle-ws")
    assert says in page and "zenml login" not in page and "python run.py" not in page


def test_workspace_viewers_see_the_overview_but_not_settings(client, make_workspace, add_member):
    workspace = make_workspace("viewer-ws")
    viewer = add_member("member")
    WorkspaceRoleAssignment.objects.create(workspace=workspace, user=viewer, role="viewer")
    sync_workspace_permissions(workspace)
    client.force_login(viewer)
    page = overview(client, "viewer-ws")
    assert "Viewer Ws" in page and f'href="{reverse("workspaces:settings", args=["viewer-ws"])}"' not in page
    assert client.get(reverse("workspaces:settings", args=["viewer-ws"])).status_code == 403


def test_members_without_a_role_and_outsiders_get_404(client, make_workspace, add_member, outsider):
    make_workspace("hidden-ws")
    for user in (add_member("member"), outsider):
        client.force_login(user)
        assert client.get(reverse("workspaces:overview", args=["hidden-ws"])).status_code == 404


def test_times_under_a_minute_read_just_now(owner_client, organization):
    from django.urls import reverse

    page = owner_client.get(reverse("organizations:members", args=[organization.slug])).content.decode()
    assert "just now" in page and "0\xa0minutes" not in page and "0 minutes" not in page


def test_the_login_command_arrives_with_the_last_status_poll(owner_client, make_workspace):
    make_workspace("polled-ws")
    status_url = reverse("workspaces:status", args=["polled-ws"])
    polling = owner_client.get(status_url, HTTP_HX_REQUEST="true").content.decode()
    assert "connect-panel" not in polling  # still provisioning: nothing to connect to yet
    made_available("polled-ws")
    last = owner_client.get(status_url, HTTP_HX_REQUEST="true").content.decode()
    assert (
        'id="connect-panel" hx-swap-oob="true"' in last and "zenml login polled-ws --project default" in last
    )


def test_the_checklist_leads_to_the_members_page_to_invite_a_teammate(owner_client, make_workspace):
    from django.urls import reverse

    workspace = make_workspace("invite-me")
    page = owner_client.get(reverse("workspaces:overview", args=[workspace.slug])).content.decode()
    assert f'href="/w/{workspace.slug}/settings/members/">Add or invite someone</a>' in page
    partial = owner_client.get(
        reverse("workspaces:onboarding", args=[workspace.slug]), headers={"HX-Request": "true"}
    ).content.decode()
    assert "Add or invite someone" in partial
