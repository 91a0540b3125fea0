"""The profile page, /accounts/profile/: one's name, e-mail and password, changed in place."""

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from accounts import services
from accounts.models import User

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-brand-new-passphrase-4"


@pytest.fixture
def ada(make_user):
    return make_user("ada@example.com", "Ada Lovelace")


@pytest.fixture
def ada_client(client, ada):
    client.force_login(ada)
    return client


def _profile(client, **fields):
    data = {"form": "profile", "profile-current_password": ""}
    data.update({f"profile-{name}": value for name, value in fields.items()})
    return client.post(reverse("profile"), data)


def _password(client, current, new, again=None):
    return client.post(
        reverse("profile"),
        {
            "form": "password",
            "password-current_password": current,
            "password-new_password": new,
            "password-new_password_again": new if again is None else again,
        },
    )


def test_the_account_menu_leads_to_the_profile(ada_client):
    home = ada_client.get(reverse("organizations:create")).content.decode()
    assert f'href="{reverse("profile")}">Profile</a>' in home
    page = ada_client.get(reverse("profile")).content.decode()
    assert "<h1>Profile</h1>" in page
    assert 'value="Ada Lovelace"' in page and 'value="ada@example.com"' in page
    assert ">Save profile</button>" in page and ">Change password</button>" in page


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("profile"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_editing_the_name(ada_client, ada):
    response = _profile(ada_client, display_name="  Ada   King ", email="ada@example.com")
    assert response.status_code == 302 and response["Location"] == reverse("profile")
    ada.refresh_from_db()
    assert ada.display_name == "Ada King"
    page = ada_client.get(reverse("profile")).content.decode()
    assert "Profile saved." in page and 'value="Ada King"' in page


def test_changing_the_email_needs_the_current_password(ada_client, ada, password):
    response = _profile(ada_client, display_name="Ada Lovelace", email="ada@new.example")
    assert response.status_code == 200
    assert "Enter your current password to change your e-mail." in response.content.decode()
    assert 'value="ada@new.example"' in response.content.decode()

    response = _profile(
        ada_client, display_name="Ada Lovelace", email="Ada@New.Example", current_password=password
    )
    assert response.status_code == 302
    ada.refresh_from_db()
    assert ada.email == "ada@new.example"
    # The new address is the one to log in with.
    fresh = Client()
    assert fresh.login(request=HttpRequest(), username="ada@new.example", password=password)


def test_an_email_in_use_is_refused_and_the_entries_stay(ada_client, ada, make_user, password):
    make_user("grace@example.com", "Grace Hopper")
    response = _profile(
        ada_client, display_name="Ada K", email="GRACE@example.com", current_password=password
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "Another account already uses this e-mail address." in text
    assert 'value="Ada K"' in text and 'value="GRACE@example.com"' in text  # as typed
    assert 'class="field field--invalid"' in text
    ada.refresh_from_db()
    assert (ada.display_name, ada.email) == ("Ada Lovelace", "ada@example.com")
    assert "Account menu for ada@example.com" in text  # the header shows the account as it is


def test_an_invalid_email_is_refused(ada_client):
    response = _profile(ada_client, display_name="Ada", email="not-an-address")
    text = response.content.decode()
    assert response.status_code == 200
    assert "Enter a valid e-mail address, like ada@example.com." in text
    assert 'value="not-an-address"' in text


def test_a_wrong_current_password_is_refused(ada_client, ada, password):
    response = _password(ada_client, "not-my-password", NEW_PASSWORD)
    assert response.status_code == 200
    assert "That is not your current password." in response.content.decode()
    ada.refresh_from_db()
    assert ada.check_password(password)


def test_new_passwords_must_match_and_pass_the_validators(ada_client, ada, password):
    response = _password(ada_client, password, NEW_PASSWORD, again=NEW_PASSWORD + "x")
    assert "The two new passwords don&#x27;t match." in response.content.decode()
    response = _password(ada_client, password, "12345")
    assert "too short" in response.content.decode()
    ada.refresh_from_db()
    assert ada.check_password(password)


def test_changing_the_password_keeps_this_session_and_ends_the_others(ada_client, ada, password):
    elsewhere = Client()
    elsewhere.force_login(ada)

    response = _password(ada_client, password, NEW_PASSWORD)
    assert response.status_code == 302 and response["Location"] == reverse("profile")

    page = ada_client.get(reverse("profile"))
    assert page.status_code == 200 and "Password changed." in page.content.decode()
    assert SESSION_KEY not in elsewhere.get(reverse("profile")).wsgi_request.session
    ada.refresh_from_db()
    assert ada.check_password(NEW_PASSWORD) and not ada.check_password(password)
    fresh = Client()
    assert fresh.login(request=HttpRequest(), username="ada@example.com", password=NEW_PASSWORD)


def test_no_one_changes_someone_else_s_account(ada, make_user, password):
    mallory = make_user("mallory@example.com")
    with pytest.raises(PermissionDenied):
        services.user_profile_update(
            user=ada, display_name="Pwned", email="ada@example.com", acting_user=mallory
        )
    with pytest.raises(PermissionDenied):
        services.user_password_change(
            user=ada, current_password=password, new_password=NEW_PASSWORD, acting_user=mallory
        )
    ada.refresh_from_db()
    assert ada.display_name == "Ada Lovelace" and ada.check_password(password)
    assert User.objects.filter(email="ada@example.com").exists()


def test_refusals_name_the_field_with_a_stable_code(ada, make_user, password):
    make_user("grace@example.com")
    with pytest.raises(ValidationError) as taken:
        services.user_profile_update(
            user=ada,
            display_name="Ada",
            email="Grace@example.com",
            current_password=password,
            acting_user=ada,
        )
    assert [error.code for error in taken.value.error_dict["email"]] == ["conflict"]
    with pytest.raises(ValidationError) as too_long:
        services.user_profile_update(user=ada, display_name="x" * 151, email=ada.email, acting_user=ada)
    assert [error.code for error in too_long.value.error_dict["display_name"]] == ["invalid"]
