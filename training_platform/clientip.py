"""The client's address, read the same way by the rate limit, the logs and sign-in throttling.

``REMOTE_ADDR`` is the peer that opened the connection. Behind a reverse proxy that is the
proxy, so every client would share one address. ``X-Forwarded-For`` names the client, but
anyone can send that header: it is believed only when the peer is one of the proxies named
in ``settings.TRUSTED_PROXIES`` (addresses or CIDR networks). The header is then read from
the right (each proxy appends the address it received from): trusted proxies are skipped
and the first address that is not a trusted proxy is the client. With no trusted proxy
configured, the header is never read.
"""

import functools
import ipaddress

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@functools.lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]):
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in proxies)


def trusted_networks():
    """The configured proxies as networks (raises ValueError on a malformed entry)."""
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


def parse_address(value: str) -> IPAddress | None:
    value = (value or "").strip().strip('"')
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        # "203.0.113.7:52100" or "[2001:db8::1]:443": an address with a port.
        host = value
        if value.startswith("["):
            host = value[1:].partition("]")[0]
        elif value.count(":") == 1:
            host = value.partition(":")[0]
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address


def _is_trusted(address: IPAddress, networks) -> bool:
    return any(
        address.version == network.version and address in network
        for network in networks
    )


def client_ip(request) -> str | None:
    """The client's address as text, or None when the request gives none that parses."""
    if request is None:
        return None
    peer = parse_address(request.META.get("REMOTE_ADDR", ""))
    if peer is None:
        return None
    networks = trusted_networks()
    if not networks or not _is_trusted(peer, networks):
        return str(peer)
    client = peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    for item in reversed(forwarded.split(",")):
        hop = parse_address(item)
        if hop is None:
            # A hop we cannot read: stop at the last address a trusted proxy vouched for.
            break
        client = hop
        if not _is_trusted(hop, networks):
            break
    return str(client)
