"""Admin sign-in throttling (django-axes): who the client is, and how many wrong passwords
it may send before it is paused.

Two limits, both counted over the cool-off time: one username from one address
(SIGN_IN_FAILURES_PER_USERNAME, someone who forgot their password, or a guesser aiming at one
account), and one address whatever the usernames (SIGN_IN_FAILURES_PER_ADDRESS, a guesser
spraying one password across many accounts), higher, so that one person mistyping doesn't
pause a whole office behind one address.
"""

from django.conf import settings
from django.db.models import Sum


def client_address(request) -> str | None:
    """The address of whoever sent the request.

    Behind the proxy (DJANGO_BEHIND_TLS_PROXY=1), it is the entry DJANGO_PROXY_COUNT from the
    end of X-Forwarded-For: each proxy appends the address it received the connection from,
    and anything before that came from the client and could be anything. That header is
    only believed from the proxy itself (an address in FORWARDED_ALLOW_IPS, which gunicorn
    reads too): a client reaching gunicorn directly can't choose its own address.
    """
    direct = request.META.get("REMOTE_ADDR")
    if not settings.BEHIND_TLS_PROXY or not _is_trusted_proxy(direct):
        return direct
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
    if len(addresses) < settings.PROXY_COUNT:
        return direct  # not through every proxy: the last hop is what we know
    return addresses[-settings.PROXY_COUNT]


def _is_trusted_proxy(address: str | None) -> bool:
    trusted = settings.TRUSTED_PROXY_ADDRESSES
    return "*" in trusted or address in trusted


def failure_limit(request, credentials) -> int:
    """The number django-axes compares the failures it counts with.

    Axes counts, of each of its lockout parameters ([username and address], [address]), the
    failures in the cool-off time, and takes the largest: always the address's, as it
    includes the others. So this answers the per-address limit, unless this username has
    reached its own limit from this address, which then locks it.
    """
    from axes.helpers import get_client_username
    from axes.models import AccessAttempt

    own = AccessAttempt.objects.filter(
        username=get_client_username(request, credentials),
        ip_address=getattr(request, "axes_ip_address", None),
    ).aggregate(failures=Sum("failures_since_start"))["failures"]
    if own and own >= settings.SIGN_IN_FAILURES_PER_USERNAME:
        return own
    return settings.SIGN_IN_FAILURES_PER_ADDRESS
