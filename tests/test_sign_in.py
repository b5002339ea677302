"""Signing in to the admin: wrong passwords pause it, per username and per address, and the
address is the client's own even behind the proxy, whatever the client claims."""

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

BEHIND_THE_PROXY = {"BEHIND_TLS_PROXY": True, "TRUSTED_PROXY_ADDRESSES": ["127.0.0.1"]}


def login(password, address="203.0.113.7", username="eve", **headers):
    return Client().post(
        "/admin/login/?next=/admin/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        **headers,
    )


def test_repeated_wrong_passwords_lock_out_that_user_from_that_address(superuser):
    for _ in range(4):
        assert login("wrong").status_code == 200
    assert login("wrong").status_code == 429  # the fifth wrong password locks
    locked = login(PASSWORD)

    assert locked.status_code == 429
    assert "Signing in is paused" in locked.content.decode()
    # The same person from another address is not locked out, nor someone else from this one.
    assert login(PASSWORD, address="198.51.100.2").status_code == 302


def test_one_password_sprayed_across_many_usernames_pauses_that_address(superuser):
    for number in range(19):
        assert login("Summer2026!", username=f"user{number}").status_code == 200
    assert login("Summer2026!", username="user19").status_code == 429  # the twentieth

    sprayer = login(PASSWORD)  # even a right password, from that address
    elsewhere = login(PASSWORD, address="198.51.100.2")

    assert sprayer.status_code == 429
    assert elsewhere.status_code == 302


def test_a_few_mistakes_by_different_people_at_one_address_pause_nobody(superuser):
    User.objects.create_user("ed", password=PASSWORD, is_staff=True)
    for username in ("eve", "ed", "rita", "eve", "ed", "raj"):
        login("wrong", username=username)

    assert login(PASSWORD).status_code == 302


@override_settings(**BEHIND_THE_PROXY)
def test_behind_the_proxy_the_lockout_uses_the_real_client_address(superuser):
    proxy = "127.0.0.1"
    for _ in range(5):
        # The client claims to be someone else; the proxy appends the real address.
        login("wrong", address=proxy, HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7")

    attacker = login(PASSWORD, proxy, HTTP_X_FORWARDED_FOR="203.0.113.7")
    someone_else = login(PASSWORD, proxy, HTTP_X_FORWARDED_FOR="198.51.100.2")

    assert attacker.status_code == 429
    assert someone_else.status_code == 302


@override_settings(**BEHIND_THE_PROXY)
def test_a_client_reaching_the_app_server_directly_cannot_choose_its_address(superuser):
    for number in range(5):
        # Not through the proxy: a new made-up address each time.
        login("wrong", address="203.0.113.7", HTTP_X_FORWARDED_FOR=f"10.0.0.{number}")

    again = login(PASSWORD, address="203.0.113.7", HTTP_X_FORWARDED_FOR="10.0.0.99")

    assert again.status_code == 429


@override_settings(**BEHIND_THE_PROXY, PROXY_COUNT=2)
def test_behind_two_proxies_the_client_is_the_address_the_first_one_saw(superuser):
    for _ in range(5):
        login("wrong", "127.0.0.1", HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7, 192.0.2.1")

    attacker = login(PASSWORD, "127.0.0.1", HTTP_X_FORWARDED_FOR="1.1.1.1, 203.0.113.7, 192.0.2.1")
    someone_else = login(PASSWORD, "127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.2, 192.0.2.1")

    assert attacker.status_code == 429
    assert someone_else.status_code == 302
