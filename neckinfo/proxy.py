"""Who the client is when NeckInfo runs behind its TLS proxy."""


def client_ip_behind_proxy(request) -> str | None:
    """The client's address as the proxy saw it: the last X-Forwarded-For entry.

    Earlier entries come from the client itself and could be anything; the proxy appends
    the address it received the connection from. Used by django-axes (login throttling)
    when DJANGO_BEHIND_TLS_PROXY=1.
    """
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    addresses = [address.strip() for address in forwarded.split(",") if address.strip()]
    return addresses[-1] if addresses else request.META.get("REMOTE_ADDR")
