"""/accounts/devices/: a person sees the command lines they logged in, and logs one out."""

import pytest
from django.urls import reverse

from control_plane.models import Device, DeviceStatus

pytestmark = pytest.mark.django_db

DEVICES = reverse("control_plane:devices")


def test_the_account_menu_leads_to_ones_devices_and_a_logout_takes_effect_at_once(
    logged_in_cli, client, workspace
):
    zenml, user_token = logged_in_cli
    page = client.get(reverse("profile")).content.decode()
    assert f'href="{DEVICES}"' in page and "Command-line logins" in page
    page = client.get(DEVICES).content.decode()
    device = Device.objects.get()
    assert "laptop-7" in page and workspace.slug in page and "Approved" in page
    assert zenml.workspace(user_token, workspace.slug).status_code == 200
    response = client.post(reverse("control_plane:device_logout", args=[device.pk]))
    assert response.status_code == 302 and response["Location"] == DEVICES
    device.refresh_from_db()
    assert device.status == DeviceStatus.REVOKED
    assert zenml.workspace(user_token, workspace.slug).status_code == 401
    page = client.get(DEVICES).content.decode()
    assert "is logged out of" in page and "Revoked" in page and "Log out laptop-7" not in page


def test_someone_elses_device_is_not_found(logged_in_cli, client, make_user):
    device = Device.objects.get()
    client.force_login(make_user("someone@example.com"))
    assert "laptop-7" not in client.get(DEVICES).content.decode()
    response = client.post(reverse("control_plane:device_logout", args=[device.pk]), follow=True)
    assert "No such device." in response.content.decode()
    device.refresh_from_db()
    assert device.status == DeviceStatus.APPROVED


def test_the_list_is_paginated(client, developer, workspace):
    from django.utils import timezone

    Device.objects.bulk_create(
        Device(
            client_id="00000000-0000-0000-0000-000000000001",
            device_code_digest=str(n),
            user_code=f"A{n:04d}",
            status=DeviceStatus.APPROVED,
            hostname=f"host-{n:02d}",
            workspace=workspace,
            user=developer,
            code_expires_at=timezone.now(),
        )
        for n in range(30)
    )
    client.force_login(developer)
    page = client.get(DEVICES).content.decode()
    assert page.count("<tr>") == 1 + 25 and "Page 1 of 2" in page
    assert client.get(DEVICES, {"page": 2}).content.decode().count("<tr>") == 1 + 5
