"""Middleware run before anything reads the request: the network allowlist and the request-size limit.

The client address is ``REMOTE_ADDR``; ``X-Forwarded-For`` is believed only when the request comes
from one of ``TRUSTED_PROXIES``, and then the client is the right-most address that is not itself a
trusted proxy (addresses further left could have been written by the client).
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

FORM_OVERHEAD_BYTES = 64 << 10  # multipart boundaries and the other fields of the upload form


@lru_cache(maxsize=16)
def _networks(cidrs: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in cidrs)


def _within(address: str, cidrs: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in _networks(tuple(cidrs)))


def client_address(request: HttpRequest) -> str:
    """The client's IP address, following ``X-Forwarded-For`` through trusted proxies only."""
    address = request.META.get("REMOTE_ADDR", "")
    if not _within(address, settings.TRUSTED_PROXIES):
        return address
    for hop in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        if hop.strip() and not _within(hop, settings.TRUSTED_PROXIES):
            return hop.strip()
    return address


class NetworkAllowlistMiddleware:
    """Answers 403 with a page saying why to clients outside ``ALLOWED_NETWORKS`` (when any are set)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.ALLOWED_NETWORKS:
            address = client_address(request)
            if not _within(address, settings.ALLOWED_NETWORKS):
                page = render_to_string("network_refused.html", {"address": address})
                return HttpResponse(page, status=403)
        return self.get_response(request)


class RequestSizeLimitMiddleware:
    """Answers 413 to a request whose declared body exceeds the upload limit, before anything reads it."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.MAX_UPLOAD_BYTES + FORM_OVERHEAD_BYTES:
            response = too_large()
            response["Connection"] = "close"  # the unread body must not be taken for the next request
            return response
        return self.get_response(request)


def too_large() -> HttpResponse:
    """The 413 page, saying what the limit is."""
    limit = settings.MAX_UPLOAD_BYTES / (1 << 20)
    return HttpResponse(render_to_string("too_large.html", {"limit_mib": f"{limit:g}"}), status=413)
