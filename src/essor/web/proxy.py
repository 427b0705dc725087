"""What a request says about where it came from, believing forwarded headers only from the
reverse proxies listed in ``ESSOR_TRUSTED_PROXIES``.

Anyone can send ``X-Forwarded-For`` or ``X-Forwarded-Email``; they mean something only when
the TCP peer is a proxy we run. Run uvicorn with ``proxy_headers=False`` so that the peer it
reports is the real one (Essor reads the forwarded headers itself, here).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from starlette.requests import HTTPConnection

from essor.settings import Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=16)
def trusted_networks(value: str) -> tuple[Network, ...]:
    """``ESSOR_TRUSTED_PROXIES`` parsed: IPs or CIDR ranges; invalid entries are ignored."""
    networks: list[Network] = []
    for item in value.split(","):
        try:
            networks.append(ipaddress.ip_network(item.strip(), strict=False))
        except ValueError:
            continue
    return tuple(networks)


def _is_trusted(ip: str, networks: tuple[Network, ...]) -> bool:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address in network for network in networks)


def peer_ip(conn: HTTPConnection) -> str:
    return conn.client.host if conn.client else ""


def from_trusted_proxy(conn: HTTPConnection, settings: Settings) -> bool:
    networks = trusted_networks(settings.trusted_proxies)
    return bool(networks) and _is_trusted(peer_ip(conn), networks)


def client_ip(conn: HTTPConnection, settings: Settings) -> str:
    """The browser's address: the peer, or behind trusted proxies the nearest untrusted hop
    of ``X-Forwarded-For`` (the leftmost entries can be forged by the client)."""
    peer = peer_ip(conn)
    if not from_trusted_proxy(conn, settings):
        return peer
    networks = trusted_networks(settings.trusted_proxies)
    hops = [h.strip() for h in conn.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer  # a garbled header: fall back to what we know
        if not _is_trusted(hop, networks):
            return hop
    return hops[0] if hops else peer


def is_https(conn: HTTPConnection, settings: Settings) -> bool:
    if conn.url.scheme in ("https", "wss"):
        return True
    if not from_trusted_proxy(conn, settings):
        return False
    proto = conn.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return proto == "https"


def trusted_email(conn: HTTPConnection, settings: Settings) -> str | None:
    """The email a trusted reverse proxy vouches for, or None."""
    if not settings.trusted_header or not from_trusted_proxy(conn, settings):
        return None
    value = conn.headers.get(settings.trusted_header, "").strip().lower()
    return value or None
