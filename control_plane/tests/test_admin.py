"""Site operators see devices, tokens and usage counts in /admin/, read-only, without device codes."""

import pytest

from control_plane.models import Device

pytestmark = pytest.mark.django_db


def test_operators_see_devices_tokens_and_counts(client, logged_in_cli, make_user):
    operator = make_user("ops@example.com")
    operator.is_staff = operator.is_superuser = True
    operator.save()
    client.force_login(operator)
    devices = client.get("/admin/control_plane/device/").content.decode()
    assert "laptop-7" in devices
    for path in ("/admin/control_plane/accesstoken/", "/admin/control_plane/usagecount/"):
        assert client.get(path).status_code == 200
    detail = client.get(f"/admin/control_plane/device/{Device.objects.get().pk}/change/").content.decode()
    assert "device_code_digest" not in detail
