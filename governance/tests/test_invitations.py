import html
import re
import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from governance import services
from organizations.models import AuditEvent, Invitation, InvitationMail, Membership
from organizations.services import invitation_mails
from workspaces.models import WorkspaceRoleAssignment

# Invitation e-mails are sent by the background worker, which needs real transactions (see run_tasks).
pytestmark = pytest.mark.django_db(transaction=True)

LINK = re.compile(r"https?://[^/\s]+(/invitations/([^/\s]+)/)")
ACCEPT_URL = "/invitations/accept/"  # where a link leads, without its token


def _url(name, organization, *args):
    return reverse(f"organizations:{name}", args=[organization.slug, *args])


def _link_path(message) -> str:
    """The path of the invitation link in a mail (the token is only ever there)."""
    return LINK.search(message.body).group(1)


@pytest.fixture
def visitor():
    """Someone opening an invitation link in their own browser, not logged in."""
    return Client()


@pytest.fixture
def invite(organization, owner, run_tasks):
    """Invite an address as the owner and let the worker mail it; returns (invitation, the path of
    the link that was mailed)."""

    def make(email="new@example.com", role="member", **kwargs):
        invitation = services.invitation_create(
            organization=organization, email=email, role=role, acting_user=owner, **kwargs
        )
        run_tasks()
        invitation.refresh_from_db()
        return invitation, _link_path(mail.outbox[-1])

    return make


def test_inviting_someone_mails_a_link_and_records_an_event(owner_client, organization, run_tasks):
    response = owner_client.post(
        _url("invitations", organization), {"email": "Ada@Example.com", "role": "manager"}, follow=True
    )
    run_tasks()
    page = response.content.decode()
    assert "Invitation sent to ada@example.com." in page
    assert "ada@example.com" in page and "Pending" in page and "Manager" in page
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ada@example.com"] and "Acme ML" in message.subject
    token = LINK.search(message.body).group(2)
    event = AuditEvent.objects.get(action="invitation.create")
    assert event.after["email"] == "ada@example.com" and event.after["role"] == "manager"
    for event in AuditEvent.objects.all():  # the token is a secret: it is never written down
        assert token not in f"{event.target_label} {event.target_id} {event.before} {event.after}"
    assert owner_client.get(_link_path(message), follow=True).status_code == 200


def test_an_invitation_can_give_a_workspace_role(
    visitor, owner_client, organization, make_workspace, run_tasks
):
    workspace = make_workspace("fraud-detection")
    owner_client.post(
        _url("invitations", organization),
        {
            "email": "ws@example.com",
            "role": "member",
            "workspace": str(workspace.pk),
            "workspace_role": "developer",
        },
    )
    run_tasks()
    page = owner_client.get(_url("invitations", organization)).content.decode()
    assert "+ Developer on" in page and "fraud-detection" in page
    visitor.get(_link_path(mail.outbox[0]))
    response = visitor.post(ACCEPT_URL, {"password": "a-long-passphrase-7", "display_name": "Wes"})
    assert response.status_code == 302
    assert (
        WorkspaceRoleAssignment.objects.get(workspace=workspace, user__email="ws@example.com").role
        == "developer"
    )


def test_a_workspace_role_needs_its_workspace(owner_client, organization, make_workspace):
    make_workspace("churn-model")
    response = owner_client.post(
        _url("invitations", organization),
        {"email": "x@example.com", "role": "member", "workspace_role": "viewer"},
    )
    assert "Choose the workspace for this role" in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_refused_invitation_keeps_what_was_typed(owner_client, organization, add_member):
    add_member("member", "taken@example.com")
    response = owner_client.post(
        _url("invitations", organization), {"email": "taken@example.com", "role": "viewer"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "taken@example.com is already a member of Acme ML." in page
    assert 'value="taken@example.com"' in page and '<option value="viewer" selected>' in page
    assert not Invitation.objects.exists() and not mail.outbox


def test_a_second_pending_invitation_is_refused(owner_client, organization, invite):
    invite("twice@example.com")
    response = owner_client.post(
        _url("invitations", organization), {"email": "twice@example.com", "role": "member"}
    )
    assert "already has a pending invitation. Resend it instead." in response.content.decode()


def test_admins_cannot_invite_owners(client, organization, add_member):
    admin = add_member("admin", "admin@example.com")
    client.force_login(admin)
    page = client.get(_url("invitations", organization)).content.decode()
    assert '<option value="admin"' in page and '<option value="owner"' not in page
    response = client.post(_url("invitations", organization), {"email": "boss@example.com", "role": "owner"})
    assert "Select a valid choice" in response.content.decode() and not Invitation.objects.exists()


def test_bulk_invites_the_good_lines_and_reports_each_bad_one(
    owner_client, organization, add_member, run_tasks
):
    add_member("viewer", "already@example.com")
    lines = "good1@example.com\nnot-an-address\ngood2@example.com, already@example.com\ngood1@example.com"
    response = owner_client.post(
        _url("invitation_bulk", organization), {"bulk-emails": lines, "bulk-role": "viewer"}
    )
    run_tasks()
    page = response.content.decode()
    assert response.status_code == 200
    assert sorted(Invitation.objects.values_list("email", flat=True)) == [
        "good1@example.com",
        "good2@example.com",
    ]
    assert set(Invitation.objects.values_list("role", flat=True)) == {"viewer"}
    assert sorted(m.to[0] for m in mail.outbox) == ["good1@example.com", "good2@example.com"]
    assert "2 invitations sent: good1@example.com, good2@example.com." in page
    assert "3 lines could not be invited" in page
    assert "not-an-address</span>: This is not a valid e-mail address." in page
    assert "already@example.com</span>: already@example.com is already a member of Acme ML." in page
    assert "This address appears twice; it was invited once." in page
    # The lines to fix stay in the box; the invited ones (and the repeated one) are gone from it.
    textarea = re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S).group(1)
    assert textarea.split() == ["not-an-address", "already@example.com"]


def test_a_bulk_invite_answers_at_once_and_the_worker_sends_the_mails(owner_client, organization, run_tasks):
    addresses = [f"person{n}@example.com" for n in range(50)]
    response = owner_client.post(
        _url("invitation_bulk", organization), {"bulk-emails": "\n".join(addresses), "bulk-role": "member"}
    )
    assert response.status_code == 302 and Invitation.objects.count() == 50
    assert not mail.outbox  # the request only queued them
    assert DBTaskResult.objects.count() == 50

    run_tasks()

    assert sorted(message.to[0] for message in mail.outbox) == sorted(addresses)
    tokens = {LINK.search(message.body).group(2) for message in mail.outbox}
    assert len(tokens) == 50
    # The task table keeps the tasks' arguments and results: the links' tokens are in neither.
    stored = " ".join(f"{task.args_kwargs} {task.return_value}" for task in DBTaskResult.objects.all())
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert not any(token in stored for token in tokens)
    invitation = Invitation.objects.get(email="person7@example.com")
    assert invitation.send_count == 1 and invitation.last_sent_at is not None
    link = next(_link_path(message) for message in mail.outbox if message.to == ["person7@example.com"])
    assert "Join Acme ML on Atrium" in Client().get(link, follow=True).content.decode()


def test_an_invitation_revoked_before_its_mail_goes_out_sends_nothing(
    visitor, owner_client, organization, run_tasks
):
    owner_client.post(_url("invitations", organization), {"email": "oops@example.com", "role": "member"})
    invitation = Invitation.objects.get(email="oops@example.com")
    owner_client.post(_url("invitation_revoke", organization, invitation.pk))

    run_tasks()

    assert not mail.outbox
    skipped = AuditEvent.objects.get(action="invitation.mail_skipped", target_id=str(invitation.pk))
    assert skipped.actor is None and skipped.after["invitation_status"] == "revoked"
    assert not AuditEvent.objects.filter(action="invitation.mail_sent").exists()
    assert Invitation.objects.get(pk=invitation.pk).send_count == 0


def test_bulk_with_only_good_lines_returns_to_the_page(owner_client, organization):
    response = owner_client.post(
        _url("invitation_bulk", organization),
        {"bulk-emails": "a@example.com\nb@example.com, c@example.com", "bulk-role": "member"},
    )
    assert response.status_code == 302 and Invitation.objects.count() == 3


def test_bulk_needs_addresses(owner_client, organization):
    response = owner_client.post(
        _url("invitation_bulk", organization), {"bulk-emails": "", "bulk-role": "member"}
    )
    assert response.status_code == 200 and "This field is required." in response.content.decode()


def test_resend_replaces_the_link(visitor, owner_client, organization, invite, run_tasks):
    invitation, old_link = invite("again@example.com")
    response = owner_client.post(_url("invitation_resend", organization, invitation.pk), follow=True)
    run_tasks()
    assert "A new link was sent to again@example.com" in response.content.decode()
    assert len(mail.outbox) == 2
    new_link = _link_path(mail.outbox[1])
    assert new_link != old_link
    assert visitor.get(old_link, follow=True).status_code == 404
    assert "Join Acme ML on Atrium" in visitor.get(new_link, follow=True).content.decode()
    assert AuditEvent.objects.filter(action="invitation.resend").exists()


def test_resending_twenty_times_in_a_row_sends_three_mails(
    visitor, owner_client, organization, invite, run_tasks
):
    invitation, _ = invite("again@example.com")  # the first of the 3 mails an address gets an hour
    first_queued = InvitationMail.objects.get(invitation=invitation).queued_at
    toasts = []
    for _ in range(20):
        hash_before = Invitation.objects.get(pk=invitation.pk).token_hash
        page = owner_client.post(_url("invitation_resend", organization, invitation.pk), follow=True)
        toast = re.search(
            r'class="toast toast--(\w+)"[^>]*>\s*<span>(.*?)</span>', page.content.decode(), re.S
        )
        toasts.append((toast.group(1), html.unescape(toast.group(2))))
        if toast.group(1) == "error":  # refused: the invitation's link is left as it was
            assert Invitation.objects.get(pk=invitation.pk).token_hash == hash_before

    assert [kind for kind, _ in toasts] == ["success"] * 2 + ["error"] * 18
    again_at = timezone.localtime(first_queued + timedelta(hours=1))
    assert re.fullmatch(
        "again@example.com has already been sent 3 invitation e-mails in the last hour, the most one "
        rf"address gets\. You can send another after {again_at:%H:%M} UTC \(in \d+ minutes?\)\.",
        toasts[-1][1],
    )
    assert AuditEvent.objects.filter(action="invitation.resend").count() == 2

    run_tasks()

    assert [message.to for message in mail.outbox] == [["again@example.com"]] * 3
    links = [_link_path(message) for message in mail.outbox]
    assert (
        visitor.get(links[0], follow=True).status_code
        == visitor.get(links[1], follow=True).status_code
        == 404
    )
    assert "Join Acme ML on Atrium" in visitor.get(links[2], follow=True).content.decode()

    # An hour after the first mail, one more may go.
    InvitationMail.objects.filter(queued_at=first_queued).update(queued_at=first_queued - timedelta(hours=1))
    owner_client.post(_url("invitation_resend", organization, invitation.pk))
    run_tasks()
    assert len(mail.outbox) == 4


def test_an_organization_sends_a_limited_number_of_invitation_mails_an_hour(
    owner_client, organization, run_tasks, monkeypatch
):
    assert invitation_mails.MAILS_PER_ORGANIZATION_PER_HOUR >= 2 * services.BULK_INVITE_LIMIT
    monkeypatch.setattr(invitation_mails, "MAILS_PER_ORGANIZATION_PER_HOUR", 5)
    addresses = [f"person{n}@example.com" for n in range(8)]
    response = owner_client.post(
        _url("invitation_bulk", organization), {"bulk-emails": "\n".join(addresses), "bulk-role": "member"}
    )
    page = html.unescape(response.content.decode())
    assert "5 invitations sent: person0@example.com" in page
    assert (
        "Acme ML has sent 5 invitation e-mails in the last hour, the most an organization may send." in page
    )
    textarea = re.search(r"<textarea[^>]*>(.*?)</textarea>", page, re.S).group(1)
    assert textarea.split() == addresses[5:]  # to send again later

    run_tasks()

    assert len(mail.outbox) == 5 and Invitation.objects.count() == 5


def test_revoke_makes_the_link_say_so(visitor, owner_client, organization, invite):
    invitation, link = invite("gone@example.com")
    response = owner_client.post(_url("invitation_revoke", organization, invitation.pk), follow=True)
    page = response.content.decode()
    assert "Invitation to gone@example.com revoked." in page and "Revoked" in page
    answer = visitor.get(link, follow=True).content.decode()
    assert "This invitation was revoked" in answer
    assert visitor.post(ACCEPT_URL, {"password": "a-long-passphrase-7"}).status_code == 200
    assert not User.objects.filter(email="gone@example.com").exists()


def test_an_invitation_expires_after_seven_days(visitor, owner_client, organization, invite):
    invitation, link = invite("late@example.com")
    assert timedelta(days=6, hours=23) < invitation.expires_at - timezone.now() <= timedelta(days=7)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert "This invitation has expired" in visitor.get(link, follow=True).content.decode()
    page = owner_client.get(_url("invitations", organization)).content.decode()
    assert "badge--failed" in page and "Expired" in page


def test_accepting_as_a_new_user_signs_up_with_the_invited_address(client, organization, invite):
    invitation, link = invite("newbie@example.com", role="viewer")
    token = link.split("/")[2]
    first = client.get(link)  # the token goes into the session and leaves the URL
    assert first.status_code == 302 and first["Location"] == ACCEPT_URL
    response = client.get(link, follow=True)
    page = response.content.decode()
    assert response.redirect_chain == [(ACCEPT_URL, 302)] and response.request["PATH_INFO"] == ACCEPT_URL
    assert token not in page and token not in str(dict(client.session))
    assert "Join Acme ML on Atrium" in page and "Olivia Owner invited you" in page
    assert 'value="newbie@example.com"' in page and "readonly" in page
    assert f'action="{ACCEPT_URL}"' in page
    response = client.post(
        ACCEPT_URL,
        {"email": "someone-else@example.com", "password": "a-long-passphrase-7", "display_name": "Newbie"},
    )
    assert response.status_code == 302 and response["Location"] == f"/orgs/{organization.slug}/"
    user = User.objects.get(display_name="Newbie")
    assert user.email == "newbie@example.com"
    assert not User.objects.filter(email="someone-else@example.com").exists()
    assert Membership.objects.get(organization=organization, user=user).role == "viewer"
    home = client.get(response["Location"]).content.decode()  # logged in
    assert "Welcome to Acme ML! You joined as Viewer." in home
    assert Invitation.objects.get(pk=invitation.pk).status == "accepted"
    assert "This invitation was already used" in client.get(link, follow=True).content.decode()


def test_simultaneous_sign_ups_through_one_link_make_one_account_and_no_error(
    organization, invite, monkeypatch
):
    """Both sign-ups pass the form's "no such account yet" check before either commits; the second
    then waits on the address's uniqueness and loses. It gets a page, not a server error."""
    if connection.vendor != "postgresql":
        pytest.skip("Real concurrent transactions need PostgreSQL (SQLite serializes writers).")
    _, link = invite("twin@example.com")
    browsers = {name: Client(raise_request_exception=False) for name in ("first", "second")}
    for browser in browsers.values():
        browser.get(link)
    first_joined = threading.Event()
    accept = services.invitation_accept

    def accept_and_hold(**kwargs):
        membership = accept(**kwargs)
        if threading.current_thread().name == "first":
            first_joined.set()
            time.sleep(0.5)  # keep the new account uncommitted while the other sign-up inserts its own
        return membership

    monkeypatch.setattr(services, "invitation_accept", accept_and_hold)
    responses = {}

    def sign_up(name):
        try:
            responses[name] = browsers[name].post(ACCEPT_URL, {"password": "a-long-passphrase-7"})
        finally:
            first_joined.set()
            connection.close()

    threads = {name: threading.Thread(target=sign_up, args=(name,), name=name) for name in browsers}
    threads["first"].start()
    first_joined.wait(5)
    threads["second"].start()
    for thread in threads.values():
        thread.join(10)

    assert responses["first"].status_code == 302
    assert responses["first"]["Location"] == f"/orgs/{organization.slug}/"
    assert responses["second"].status_code == 302 and responses["second"]["Location"] == ACCEPT_URL
    page = browsers["second"].get(ACCEPT_URL).content.decode()
    assert "An account for twin@example.com was created through this link a moment ago." in page
    assert "This invitation was already used" in page
    assert User.objects.filter(email="twin@example.com").count() == 1
    assert Membership.objects.filter(organization=organization, user__email="twin@example.com").count() == 1


def test_sign_up_validates_the_password(client, organization, invite):
    _, link = invite("weak@example.com")
    client.get(link)
    response = client.post(ACCEPT_URL, {"password": "123"})
    assert response.status_code == 200 and "This password is too short" in response.content.decode()
    assert not User.objects.filter(email="weak@example.com").exists()


def test_an_existing_account_logs_in_and_comes_back_to_accept(
    client, organization, invite, make_user, password
):
    make_user("known@example.com")
    _, link = invite("known@example.com")
    page = client.get(link, follow=True).content.decode()
    assert "Log in to accept" in page and f'href="/accounts/login/?next={ACCEPT_URL}"' in page
    response = client.post(
        reverse("login"), {"username": "known@example.com", "password": password, "next": ACCEPT_URL}
    )
    assert response["Location"] == ACCEPT_URL  # the session (and the invitation in it) survives the login
    page = client.get(ACCEPT_URL).content.decode()
    assert "Accept invitation" in page and "You are logged in as known@example.com" in page
    assert client.post(ACCEPT_URL)["Location"] == f"/orgs/{organization.slug}/"
    assert Membership.objects.filter(organization=organization, user__email="known@example.com").exists()


def test_a_link_opened_later_replaces_the_first(client, organization, invite):
    _, first = invite("first@example.com")
    _, second = invite("second@example.com")
    assert "first@example.com" in client.get(first, follow=True).content.decode()
    page = client.get(second, follow=True).content.decode()
    assert 'value="second@example.com"' in page and "first@example.com" not in page
    client.post(ACCEPT_URL, {"password": "a-long-passphrase-7"})
    assert User.objects.filter(email="second@example.com").exists()
    assert not User.objects.filter(email="first@example.com").exists()


def test_without_a_link_the_accept_page_is_not_found(client):
    response = client.get(ACCEPT_URL)
    assert response.status_code == 404 and "This invitation link is not valid" in response.content.decode()


def test_accepting_as_the_logged_in_invitee(client, organization, invite, make_user):
    user = make_user("invitee@example.com")
    invitation, link = invite("invitee@example.com", role="manager")
    client.force_login(user)
    page = client.get(link, follow=True).content.decode()
    assert "Accept invitation" in page and "You are logged in as invitee@example.com" in page
    response = client.post(ACCEPT_URL)
    assert response["Location"] == f"/orgs/{organization.slug}/"
    assert Membership.objects.get(organization=organization, user=user).role == "manager"
    assert AuditEvent.objects.filter(action="invitation.accept", actor=user).exists()
    assert "Go to Acme ML" in client.get(link, follow=True).content.decode()


def test_another_logged_in_user_is_refused(client, organization, invite, make_user):
    stranger = make_user("stranger@example.com")
    _, link = invite("intended@example.com")
    client.force_login(stranger)
    page = client.get(link, follow=True).content.decode()
    assert (
        "This invitation is for intended@example.com, but you are logged in as stranger@example.com." in page
    )
    assert "Log out" in page
    client.post(ACCEPT_URL)
    assert not Membership.objects.filter(organization=organization, user=stranger).exists()
    assert Invitation.objects.get(email="intended@example.com").status == "pending"
    # Logging out from the page keeps the invitation: it is then offered to its invitee.
    response = client.post(ACCEPT_URL, {"action": "log_out"}, follow=True)
    page = response.content.decode()
    assert response.request["PATH_INFO"] == ACCEPT_URL and "_auth_user_id" not in client.session
    assert 'value="intended@example.com"' in page and "Accept invitation" in page


def test_an_unknown_token_is_not_found_and_not_logged(client, caplog):
    link = reverse("invitation_link", args=["not-a-real-token"])
    response = client.get(link, follow=True)
    assert response.status_code == 404 and "This invitation link is not valid" in response.content.decode()
    assert Client(enforce_csrf_checks=True).post(link).status_code == 405
    assert "not-a-real-token" not in caplog.text


@pytest.mark.parametrize("role", ["member", "viewer", "manager"])
def test_members_without_manage_members_get_403(client, organization, add_member, invite, role):
    invitation, _ = invite("someone@example.com")
    member = add_member(role, "colleague@example.com")
    client.force_login(member)
    assert client.get(_url("invitations", organization)).status_code == 403
    assert (
        client.post(
            _url("invitations", organization), {"email": "x@example.com", "role": "member"}
        ).status_code
        == 403
    )
    assert (
        client.post(_url("invitation_bulk", organization), {"bulk-emails": "y@example.com"}).status_code
        == 403
    )
    assert client.post(_url("invitation_resend", organization, invitation.pk)).status_code == 403
    assert client.post(_url("invitation_revoke", organization, invitation.pk)).status_code == 403
    assert Invitation.objects.get().status == "pending" and Invitation.objects.count() == 1


def test_outsiders_get_404(client, organization, outsider, invite):
    invitation, _ = invite("someone@example.com")
    client.force_login(outsider)
    assert client.get(_url("invitations", organization)).status_code == 404
    assert client.post(_url("invitation_revoke", organization, invitation.pk)).status_code == 404
    assert client.post(_url("invitation_resend", organization, invitation.pk)).status_code == 404
    assert Invitation.objects.get().status == "pending"


def test_resend_and_revoke_are_post_only(owner_client, organization, invite):
    invitation, _ = invite()
    for name in ("invitation_resend", "invitation_revoke"):
        assert owner_client.get(_url(name, organization, invitation.pk)).status_code == 405
    assert owner_client.get(_url("invitation_bulk", organization)).status_code == 405


def test_bulk_invite_reads_lines_with_names_and_reports_whole_lines(owner_client, organization, run_tasks):
    from django.core import mail
    from django.urls import reverse

    response = owner_client.post(
        reverse("organizations:invitation_bulk", args=[organization.slug]),
        {
            "bulk-emails": "Ada Lovelace <ada@example.com>\nbad line here\ngrace@example.com",
            "bulk-role": "member",
        },
    )
    run_tasks()
    text = response.content.decode()
    assert sorted(m.to[0] for m in mail.outbox) == ["ada@example.com", "grace@example.com"]
    assert "bad line here" in text and "Lovelace" not in text.split("bad line here")[0][-200:]


def test_the_mailed_link_uses_the_address_the_site_was_served_at(client, owner, organization, run_tasks):
    """The mail is written by a background task with no request: it still links to the address the
    inviter used (make run PORT=8302 shows :8302)."""
    client.force_login(owner)
    client.post(
        _url("invitations", organization),
        {"email": "porty@example.com", "role": "member"},
        HTTP_HOST="localhost:8302",
    )
    run_tasks()
    assert LINK.search(mail.outbox[-1].body).group(0).startswith("http://localhost:8302/invitations/")
