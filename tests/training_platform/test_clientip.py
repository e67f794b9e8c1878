"""One client address for the rate limit, the logs and sign-in throttling (issue 9 item 11).

X-Forwarded-For is anyone's to send: it counts only when the peer is a configured proxy.
"""

import pytest
from django.test import RequestFactory, override_settings

from tests.certificates.test_verify import make_certificate, verify_path
from training_platform.clientip import client_ip

rf = RequestFactory()


def request(remote="203.0.113.9", forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return rf.get("/", **extra)


def test_without_trusted_proxies_a_spoofed_forwarded_for_is_ignored():
    assert client_ip(request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_forwarded_for_is_ignored_when_the_peer_is_not_a_trusted_proxy():
    assert client_ip(request("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


@override_settings(TRUSTED_PROXIES=["10.0.0.5"])
def test_forwarded_for_is_honoured_from_a_trusted_proxy():
    assert client_ip(request("10.0.0.5", "198.51.100.1")) == "198.51.100.1"


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8", "172.16.0.1"])
def test_the_header_is_read_from_the_right_skipping_trusted_hops():
    # The client put a fake address first; the proxies appended what they saw.
    forwarded = "1.2.3.4, 198.51.100.7, 172.16.0.1, 10.1.2.3"
    assert client_ip(request("10.0.0.5", forwarded)) == "198.51.100.7"


@override_settings(TRUSTED_PROXIES=["10.0.0.5"])
def test_garbage_in_the_header_stops_at_the_last_trusted_hop():
    assert client_ip(request("10.0.0.5", "not-an-address")) == "10.0.0.5"
    assert client_ip(request("10.0.0.5", "")) == "10.0.0.5"
    assert client_ip(request("10.0.0.5", "198.51.100.1:4431")) == "198.51.100.1"


def test_no_usable_peer_address_gives_none():
    assert client_ip(request("")) is None
    assert client_ip(None) is None


@pytest.mark.django_db
@override_settings(CERTIFICATE_VERIFY_RATE="2/60")
def test_rate_limit_is_not_reset_by_a_spoofed_forwarded_for(client):
    """Each request claims a new address; without a trusted proxy they share one bucket."""
    from django.core.cache import cache

    cache.clear()
    codes = [
        client.get(
            "/verify/nope/",
            REMOTE_ADDR="203.0.113.50",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n in range(4)
    ]
    assert codes[-1] == 429


@pytest.mark.django_db
@override_settings(CERTIFICATE_VERIFY_RATE="2/60", TRUSTED_PROXIES=["10.0.0.5"])
def test_behind_the_proxy_each_client_has_its_own_bucket(client):
    from django.core.cache import cache

    cache.clear()
    codes = [
        client.get(
            "/verify/nope/",
            REMOTE_ADDR="10.0.0.5",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{n}",
        ).status_code
        for n in range(4)
    ]
    assert 429 not in codes


@pytest.mark.django_db
def test_the_verification_log_records_the_client_not_a_spoofed_header(client):
    from certificates.models import VerificationLog

    certificate = make_certificate()
    client.get(
        verify_path(certificate),
        REMOTE_ADDR="203.0.113.9",
        HTTP_X_FORWARDED_FOR="198.51.100.66",
    )
    with override_settings(TRUSTED_PROXIES=["203.0.113.9"]):
        client.get(
            verify_path(certificate),
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR="198.51.100.66",
        )
    assert list(
        VerificationLog.objects.order_by("id").values_list("client_ip", flat=True)
    ) == [
        "203.0.113.9",
        "198.51.100.66",
    ]
