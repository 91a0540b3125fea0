from workspaces.models import WorkspaceServer
from workspaces.server_secrets import ENROLLMENT, JWT_KEY, enrollment_secret_matches, server_secret
from workspaces.services.servers import workspace_server_ensure, workspace_server_reported_in


def test_server_secrets_are_derived_stable_and_rotate_with_the_salt(make_workspace):
    server = workspace_server_ensure(make_workspace("secretive"))
    jwt, enrollment = server_secret(server, JWT_KEY), server_secret(server, ENROLLMENT)
    assert len(jwt) == 64 and jwt != enrollment
    reread = WorkspaceServer.objects.get(pk=server.pk)
    assert server_secret(reread, JWT_KEY) == jwt  # the same after a restart: tokens survive it
    assert enrollment_secret_matches(reread, enrollment) and not enrollment_secret_matches(reread, jwt)
    assert not enrollment_secret_matches(reread, "")
    for field in WorkspaceServer._meta.get_fields():  # nothing stored is one of them
        assert getattr(reread, field.name, None) not in {jwt, enrollment}
    reread.secret_salt = "rotated"
    assert server_secret(reread, JWT_KEY) != jwt


def test_a_status_report_is_recorded(make_workspace):
    workspace = make_workspace("reporting")
    server = workspace_server_reported_in(workspace=workspace, version="0.98.0", server_url="http://x")
    assert WorkspaceServer.objects.get(pk=server.pk).version == "0.98.0" and server.reported_at
