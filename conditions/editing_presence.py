"""Who else has an article open in the admin: "Rita Okafor is editing since 14:32".

Kept in the cache (Redis in production, so every app server sees everyone), one entry per
article holding each editor's name, since when and when their page last asked. A page asks
every POLL_SECONDS; someone whose page hasn't asked for EXPIRES_SECONDS has gone. This is a
courtesy, never a lock: the lost-update guard (conditions.forms) stays the final word on
saves. When the cache is down nobody is shown and every page works as before.

Two pages writing the article's entry at the same instant can drop one of them; each page
puts itself back at its next poll, so the notice is at most one poll behind.
"""

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

# A page that stops asking (closed, crashed, asleep) is forgotten after this.
EXPIRES_SECONDS = 60
# Kept a little longer than anyone in it, so the entry outlives a slow poll.
ENTRY_SECONDS = EXPIRES_SECONDS * 2


def poll_seconds() -> int:
    return settings.EDITING_PRESENCE_POLL_SECONDS


@dataclass
class Editor:
    user_id: int
    name: str
    since: float
    seen: float
    taken_over_by: str = ""
    taken_over_at: float = 0.0

    @property
    def since_text(self) -> str:
        return _clock(self.since)

    @property
    def taken_over_text(self) -> str:
        return _clock(self.taken_over_at)

    def as_json(self) -> dict:
        return {"id": self.user_id, "name": self.name, "since": self.since_text}


def _clock(moment: float) -> str:
    """A time as the site's editors read it: 14:32 (site time zone)."""
    return timezone.localtime(datetime.fromtimestamp(moment, tz=UTC)).strftime("%H:%M")


def display_name(user) -> str:
    return user.get_full_name() or user.get_username()


def _key(article_id: int) -> str:
    return f"editing:article:{article_id}"


def _editors(article_id: int, now: float) -> dict[str, Editor]:
    entry = cache.get(_key(article_id)) or {}
    return {
        user_id: Editor(**fields)
        for user_id, fields in entry.items()
        if now - fields["seen"] < EXPIRES_SECONDS
    }


def _store(article_id: int, editors: dict[str, Editor]) -> None:
    cache.set(_key(article_id), {k: vars(e) for k, e in editors.items()}, ENTRY_SECONDS)


def opened(article_id: int, user) -> list[Editor]:
    """`user` opened the article's page (again: a takeover of their earlier page is over).
    Returns the others editing it."""
    now = time.time()
    editors = _editors(article_id, now)
    mine = editors.get(str(user.pk))
    since = mine.since if mine and not mine.taken_over_by else now
    editors[str(user.pk)] = Editor(user.pk, display_name(user), since, now)
    _store(article_id, editors)
    return others(editors, user)


def still_here(article_id: int, user) -> tuple[list[Editor], Editor | None]:
    """`user`'s page asked again: the others editing it, and `user`'s own entry if someone
    took the edit over from them (their page then stops editing)."""
    now = time.time()
    editors = _editors(article_id, now)
    mine = editors.get(str(user.pk))
    if mine is not None and mine.taken_over_by:
        return others(editors, user), mine
    since = mine.since if mine else now
    editors[str(user.pk)] = Editor(user.pk, display_name(user), since, now)
    _store(article_id, editors)
    return others(editors, user), None


def take_over(article_id: int, user, from_user_id: int) -> bool:
    """`user` takes the edit over from `from_user_id`: the other page says so at its next
    poll. False when that person is no longer editing."""
    now = time.time()
    editors = _editors(article_id, now)
    theirs = editors.get(str(from_user_id))
    if theirs is None or from_user_id == user.pk:
        return False
    theirs.taken_over_by, theirs.taken_over_at = display_name(user), now
    _store(article_id, editors)
    return True


def left(article_id: int, user) -> None:
    """`user` saved or closed the article's page."""
    editors = _editors(article_id, time.time())
    if editors.pop(str(user.pk), None) is not None:
        _store(article_id, editors)


def others(editors: dict[str, Editor], user) -> list[Editor]:
    return sorted(
        (e for key, e in editors.items() if key != str(user.pk) and not e.taken_over_by),
        key=lambda e: e.since,
    )
