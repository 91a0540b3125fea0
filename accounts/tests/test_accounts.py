import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_sign_up_logs_in_and_asks_for_an_organization(client):
    page = client.get(reverse("signup")).content.decode()
    assert ">Email</label>" in page and ">Password</label>" in page and ">Sign up</button>" in page

    response = client.post(reverse("signup"), {"email": "New@Example.com", "password": "a-long-passphrase-7"})
    assert response.status_code == 302
    assert User.objects.get().email == "new@example.com"

    landing = client.get(response["Location"], follow=True)
    assert landing.redirect_chain[-1][0] == reverse("organizations:create")
    text = landing.content.decode()
    assert ">Organization name</label>" in text and ">Create organization</button>" in text


def test_sign_up_errors_keep_the_entries(client, make_user):
    make_user("taken@example.com")
    response = client.post(reverse("signup"), {"email": "taken@example.com", "password": "123"})
    text = response.content.decode()
    assert response.status_code == 200
    assert "already exists" in text and 'value="taken@example.com"' in text
    assert "too short" in text


def test_log_in_and_log_out_by_post(client, make_user, password):
    make_user("ada@example.com")
    page = client.get(reverse("login")).content.decode()
    assert ">Email</label>" in page and ">Log in</button>" in page
    response = client.post(reverse("login"), {"username": "ADA@example.com", "password": password})
    assert response.status_code == 302
    confirm = client.get(reverse("logout"))
    assert confirm.status_code == 200 and ">Log out</button>" in confirm.content.decode()
    assert client.get(reverse("organizations:create")).status_code == 200  # a GET did not log out
    client.post(reverse("logout"))
    assert client.get(reverse("organizations:create")).status_code == 302


def test_wrong_password_says_so(client, make_user):
    make_user("ada@example.com")
    response = client.post(reverse("login"), {"username": "ada@example.com", "password": "nope"})
    assert "don&#x27;t match an account" in response.content.decode()


def test_login_is_throttled_after_repeated_failures(client, make_user, password):
    make_user("ada@example.com")
    for _ in range(5):
        client.post(reverse("login"), {"username": "ada@example.com", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "ada@example.com", "password": password})
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()


def test_lockout_counts_failures_per_account_whatever_the_letter_case(client, make_user, password):
    make_user("lockme@x.com")
    for _ in range(5):
        client.post(reverse("login"), {"username": "lockme@x.com", "password": "wrong"})
    response = client.post(reverse("login"), {"username": " LoCkMe@x.com ", "password": password})
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_failures_in_mixed_letter_case_add_up_to_a_lockout(client, make_user, password):
    make_user("lockme@x.com")
    for email in ["lockme@x.com", "LOCKME@x.com", "LockMe@X.com", "lockMe@x.COM", "LOCKme@x.com"]:
        client.post(reverse("login"), {"username": email, "password": "wrong"})
    response = client.post(reverse("login"), {"username": "lockme@x.com", "password": password})
    assert response.status_code == 429


def test_password_reset_by_email(client, make_user):
    make_user("ada@example.com")
    client.post(reverse("password_reset"), {"email": "ada@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-new-passphrase-42", "new_password2": "a-new-passphrase-42"},
    )
    assert User.objects.get(email="ada@example.com").check_password("a-new-passphrase-42")


def test_the_password_reset_link_uses_the_address_the_site_is_served_at(client, make_user, settings):
    settings.ATRIUM_BASE_URL = ""
    make_user("ada@example.com")
    client.post(reverse("password_reset"), {"email": "ada@example.com"}, HTTP_HOST="localhost:8302")
    assert "http://localhost:8302/accounts/reset/" in mail.outbox[0].body


def test_the_password_reset_link_uses_the_configured_base_url(client, make_user, settings):
    settings.ATRIUM_BASE_URL = "https://atrium.example.com"
    make_user("ada@example.com")
    client.post(reverse("password_reset"), {"email": "ada@example.com"}, HTTP_HOST="localhost:8302")
    assert "https://atrium.example.com/accounts/reset/" in mail.outbox[0].body
    assert "localhost" not in mail.outbox[0].body
