"""Which network addresses a tool may reach: the server-side request forgery policy.

A model (or a group's editor) picks the URLs tools contact, so every address a host resolves
to must be public (loopback, private, link-local, multicast, reserved and other non-global
ranges are refused unless the operator allows private addresses), and the connection goes to
the checked address, so a DNS answer cannot change between check and connect. Crewai-free:
the API process applies the same policy to the MCP servers a group registers.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

from kasal.engine.tools.base import ToolError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
AddressPolicy = Callable[[IPAddress], str | None]


def address_refusal(ip: IPAddress) -> str | None:
    """Why `ip` may not be contacted (e.g. 'loopback'), or None when it is public."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    checks = (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("unspecified", ip.is_unspecified),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("non-public", not ip.is_global),
    )
    return next((label for label, hit in checks if hit), None)


def allow_all(ip: IPAddress) -> str | None:
    return None


def policy(allow_private: bool) -> AddressPolicy:
    """The operator's policy (`KASAL_TOOLS_HTTP_ALLOW_PRIVATE`)."""
    return allow_all if allow_private else address_refusal


def checked_address(host: str, port: int, address_policy: AddressPolicy) -> IPAddress:
    """An address of `host` to connect to; ToolError when any of them is refused.

    Every address is checked, not only the first: a name resolving to one public and one
    private address would otherwise reach the private one on a retry.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise ToolError(f"Cannot resolve host {host!r}.") from None
    addresses = [ipaddress.ip_address(info[4][0]) for info in infos]
    for ip in addresses:
        if (reason := address_policy(ip)) is not None:
            raise ToolError(
                f"Refused: {host!r} resolves to {ip}, a {reason} address. "
                "Only public addresses may be requested."
            )
    return addresses[0]
