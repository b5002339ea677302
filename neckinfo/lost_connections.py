"""A request whose database connection is lost part-way is answered again, once, on a new
connection, instead of with a 500.

Connections are kept between requests (CONN_MAX_AGE) and checked before reuse, but the
database can still drop one in the middle of a request: a failover, a restart, an operator
ending sessions. A reader would get an error page; worse, an editor pressing Save would get
one and lose the form. Whatever the request did on the lost connection was rolled back by the
database with the connection (an admin save is one transaction), so answering it again is
safe, for a save too: if, in the rare case, the first attempt's commit did reach the
database, the second is refused by the lost-update guard with the text kept in the form.
"""

import logging
import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError, connections

logger = logging.getLogger(__name__)

# Answering again more than this means the database is really down: then the error page.
RETRIES = 2


def _lost_connection(error: BaseException | None) -> bool:
    while error is not None:
        if isinstance(error, (OperationalError, InterfaceError)):
            return True
        error = error.__cause__ or error.__context__
    return False


def _note_lost_connection(sender, request=None, **kwargs):
    # Sent while the exception is being handled: it is the one in sys.exc_info().
    if request is not None and _lost_connection(sys.exc_info()[1]):
        request.lost_database_connection = True


got_request_exception.connect(_note_lost_connection, dispatch_uid="note-lost-connection")


class RetryAfterLostConnectionMiddleware:
    """First in the chain, so the retry covers every middleware that reads the database."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        for _ in range(RETRIES):
            if response.status_code < 500 or not getattr(request, "lost_database_connection", 0):
                break
            request.lost_database_connection = False
            for connection in connections.all(initialized_only=True):
                connection.close_if_unusable_or_obsolete()
            logger.warning("Lost the database connection during %s %s; answering it again.",
                           request.method, request.path)  # fmt: skip
            response = self.get_response(request)
        return response
