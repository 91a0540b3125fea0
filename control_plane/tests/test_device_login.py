"""`zenml login <workspace>` through Atrium: the CLI asks, a member approves on Atrium's page, the CLI
gets a token, finds the workspace by name, and its server learns who the user is."""

from datetime import timedelta
from urllib.parse import unquote

import pytest
from django.utils import timezone

from control_plane.models import Device
from organizations.models import AuditEvent
from workspaces import onboarding
from workspaces.models import OnboardingStep

from .conftest import query, verification_path

pytestmark = pytest.mark.django_db


def test_the_whole_device_login_gives_the_cli_a_token_for_the_workspace(zenml, client, developer, workspace):
    started = zenml.device_authorization()
    assert started.status_code == 200
    codes = started.json()
    assert set(codes) >= {"device_code", "user_code", "verification_uri", "expires_in", "interval"}
    assert codes["verification_uri"].startswith("http://testserver/devices/verify/")
    assert codes["expires_in"] > 500 and codes["interval"] == 5

    waiting = zenml.poll(codes["device_code"])
    assert waiting.status_code == 400 and waiting.json()["error"] == "authorization_pending"

    # The CLI opens the page with `&workspace=<name>`; a logged-in member sees the device and approves.
    client.force_login(developer)
    path = verification_path(codes, workspace.slug)
    page = client.get(path)
    assert page.status_code == 200
    for shown in (codes["user_code"], "laptop-7", "Linux", "ZenML 0.98.0", workspace.display_name):
        assert shown in page.content.decode()
    approved = client.post(path, query(path) | {"decision": "approve"})
    assert "Your terminal is logged in" in approved.content.decode()

    granted = zenml.poll(codes["device_code"])
    assert granted.status_code == 200
    body = granted.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 3600
    assert body["device_metadata"] == {"tenant_id": str(workspace.pk)}
    token = body["access_token"]

    found = zenml.workspaces(token, workspace_name=workspace.slug, member_only="True", offset=0, limit=20)
    assert [ws["id"] for ws in found.json()] == [str(workspace.pk)]
    assert zenml.workspace(token, body["device_metadata"]["tenant_id"]).json()["name"] == workspace.slug

    user = zenml.authorize_server(token, workspace)
    assert user.status_code == 200
    assert user.json()["username"] == developer.email and user.json()["is_superuser"] is False
    assert OnboardingStep.objects.filter(workspace=workspace, key=onboarding.CLI_LOGIN).exists()
    actions = list(AuditEvent.objects.filter(target_type="device").values_list("action", flat=True))
    assert sorted(actions) == ["device.approve", "device.first_use"]


def test_a_device_code_gives_one_token(logged_in_cli):
    zenml, _ = logged_in_cli
    device = Device.objects.get()
    assert device.device_code_digest == "" and device.token_issued_at


def test_a_denied_login_tells_the_cli_and_is_audited(zenml, client, developer, workspace):
    codes = zenml.device_authorization().json()
    client.force_login(developer)
    path = verification_path(codes, workspace.slug)
    denied = client.post(path, query(path) | {"decision": "deny"})
    assert "Login denied" in denied.content.decode()
    answer = zenml.poll(codes["device_code"])
    assert answer.status_code == 400 and answer.json()["error"] == "access_denied"
    assert AuditEvent.objects.filter(action="device.deny", actor=developer).exists()


def test_an_unapproved_login_expires(zenml, client, developer, workspace):
    codes = zenml.device_authorization().json()
    Device.objects.update(code_expires_at=timezone.now() - timedelta(seconds=1))
    assert zenml.poll(codes["device_code"]).json()["error"] == "expired_token"
    client.force_login(developer)
    path = verification_path(codes, workspace.slug)
    assert "has expired" in client.get(path).content.decode()
    client.post(path, query(path) | {"decision": "approve"})
    assert Device.objects.get().status == "pending"


def test_a_cli_polling_too_fast_is_asked_to_slow_down(zenml):
    codes = zenml.device_authorization().json()
    assert zenml.poll(codes["device_code"]).json()["error"] == "authorization_pending"
    assert zenml.poll(codes["device_code"]).json()["error"] == "slow_down"
    assert Device.objects.get().interval == 10


def test_an_unknown_device_code_is_refused(zenml):
    zenml.device_authorization()
    assert zenml.poll("made-up").json()["error"] == "invalid_grant"


def test_the_verification_page_sends_visitors_to_log_in_and_back(zenml, client, workspace):
    codes = zenml.device_authorization().json()
    path = verification_path(codes, workspace.slug)
    response = client.get(path)
    assert response.status_code == 302
    login, _, next_url = response["Location"].partition("?next=")
    assert login == "/accounts/login/"
    assert unquote(next_url) == path


def test_someone_outside_the_workspace_cannot_approve_for_it(zenml, client, outsider, add_member, workspace):
    codes = zenml.device_authorization().json()
    path = verification_path(codes, workspace.slug)
    client.force_login(outsider)
    assert client.get(path).status_code == 404
    assert client.post(path, query(path) | {"decision": "approve"}).status_code == 404
    client.force_login(add_member("member"))  # in the organization, without a role on the workspace
    assert client.post(path, query(path) | {"decision": "approve"}).status_code == 404
    client.force_login(add_member("viewer"))  # lists every workspace, may open none
    assert client.post(path, query(path) | {"decision": "approve"}).status_code == 403
    assert Device.objects.get().status == "pending"
    assert zenml.poll(codes["device_code"]).json()["error"] == "authorization_pending"


def test_without_a_workspace_in_the_link_the_member_chooses_one(
    zenml, client, developer, workspace, make_workspace
):
    make_workspace("not-theirs")
    codes = zenml.device_authorization().json()
    path = verification_path(codes)
    client.force_login(developer)
    page = client.get(path).content.decode()
    assert "ml-team" in page and "not-theirs" not in page
    client.post(path, query(path) | {"decision": "approve", "workspace_choice": str(workspace.pk)})
    assert zenml.poll(codes["device_code"]).json()["device_metadata"]["tenant_id"] == str(workspace.pk)


def test_a_person_can_type_the_code_instead(zenml, client, developer, workspace):
    codes = zenml.device_authorization().json()
    client.force_login(developer)
    assert "Type the code" in client.get("/devices/verify/").content.decode()
    typed = codes["user_code"].replace("-", "").lower()
    page = client.get("/devices/verify/", {"user_code": typed, "workspace": workspace.slug})
    assert "Approve" in page.content.decode()


def test_a_workspace_servers_browser_login_lands_in_atrium(client, developer):
    anonymous = client.get("/api/auth/login?redirect=/w/ml-team/")
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/?next=")
    client.force_login(developer)
    assert client.get("/api/auth/login?redirect=/w/ml-team/")["Location"] == "/w/ml-team/"
    assert client.get("/api/auth/login?redirect=https://evil.example/")["Location"] == "/"


def test_an_approval_the_cli_never_collected_expires_too(zenml, client, developer, workspace):
    codes = zenml.device_authorization().json()
    client.force_login(developer)
    path = verification_path(codes, workspace.slug)
    client.post(path, query(path) | {"decision": "approve"})
    Device.objects.update(code_expires_at=timezone.now() - timedelta(seconds=1))
    assert zenml.poll(codes["device_code"]).json()["error"] == "expired_token"


def test_wrong_codes_are_limited_per_person(client, developer):
    from django.core.cache import cache

    cache.clear()
    client.force_login(developer)
    for _ in range(10):
        assert (
            "No login request waits"
            in client.get("/devices/verify/", {"user_code": "BCDF-GHJK"}).content.decode()
        )
    refused = client.get("/devices/verify/", {"user_code": "BCDF-GHJK"})
    assert refused.status_code == 429 and "Too many codes" in refused.content.decode()
    cache.clear()


def test_one_address_cannot_flood_login_requests(zenml, settings):
    from control_plane.services import devices

    settings.ATRIUM_TRUSTED_PROXIES = 0
    for _ in range(devices.PENDING_REQUESTS_PER_ADDRESS):
        assert zenml.device_authorization().status_code == 200
    refused = zenml.device_authorization()
    assert refused.status_code == 429 and refused.json()["error"] == "slow_down"
