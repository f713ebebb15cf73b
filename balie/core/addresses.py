"""Where a request comes from: the client's address, and whether it came from this machine."""

from __future__ import annotations

import ipaddress

from allauth.account.adapter import get_adapter
from django.core.exceptions import PermissionDenied

# Headers a proxy adds: a request carrying one came through a proxy, even from 127.0.0.1.
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_FORWARDED", "HTTP_X_REAL_IP")


def is_loopback(address: str | None) -> bool:
    """True for 127.0.0.0/8 and ::1 (also written as an IPv4-mapped IPv6 address)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def is_local_request(request) -> bool:
    """The request came straight from this machine: the connection's own address (REMOTE_ADDR,
    never X-Forwarded-For, which anyone can send) is loopback and no proxy says it forwarded it."""
    if any(request.META.get(header) for header in PROXY_HEADERS):
        return False
    return is_loopback(request.META.get("REMOTE_ADDR"))


def user_agent(request) -> str:
    """The browser's User-Agent header as evidence keeps it (at most 300 characters)."""
    return request.headers.get("User-Agent", "")[:300]


def client_ip(request) -> str | None:
    """The client's address as the trusted-proxy settings say (allauth's adapter), or None when a
    request claims to come through a proxy that is not trusted."""
    try:
        return get_adapter(request).get_client_ip(request)
    except PermissionDenied:
        return None
