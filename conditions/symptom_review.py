"""A symptom's reviewed text (its description, red-flag advice and level) is content: a change
is a proposal kept beside the live text, and goes live only when a medical reviewer other
than its author approves it. Readers see the approved text until then.

`settings.ALLOW_SELF_REVIEW` (off by default) lets a reviewer's own change go live at once,
for a one-person site. Every proposal, approval and rejection is a revision of the symptom
and an audit event; an approval replaces the content version (conditions.signals), so every
article with the symptom shows it on the very next request.
"""

import reversion
from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format

from conditions import editorial
from conditions.models import AuditEvent, Symptom
from conditions.signals import atomic_change

REVIEWED_FIELDS = editorial.REVIEWED_SYMPTOM_FIELDS
LEVELS = dict(Symptom.RedFlagLevel.choices)


class ReviewRefused(Exception):
    """Why an approval or rejection can't be made; the message is for the person asking."""


def self_review_allowed() -> bool:
    # Read with a default: the setting is defined with the publish gate.
    return getattr(settings, "ALLOW_SELF_REVIEW", False)


def live_text(symptom: Symptom) -> dict[str, str]:
    return {name: getattr(symptom, name) for name in REVIEWED_FIELDS}


def proposed_text(symptom: Symptom) -> dict[str, str]:
    return {name: getattr(symptom, f"proposed_{name}") for name in REVIEWED_FIELDS}


def _who(user) -> str:
    if user is None:
        return "someone (a script)"
    return user.get_full_name() or user.get_username()


def describe(text: dict[str, str]) -> str:
    """The reviewed text in a few readable lines, for audit events and revisions."""
    return (
        f"Level: {LEVELS.get(text['red_flag_level'], text['red_flag_level'])}. "
        f"Red-flag advice: {text['red_flag_advice'] or '(none)'}. "
        f"Description: {text['description'] or '(none)'}"
    )


def take_proposal(symptom: Symptom, before: dict | None, user) -> str:
    """Before `symptom` is saved with reviewed text as a form or a restore set it: keep the
    live text on it, and make any change to that text a proposal (or, for a reviewer where
    self-review is allowed, live at once). `before` is its row as stored (None: a new
    symptom). Returns what happened: "", "proposed" or "approved".
    """
    wanted = live_text(symptom)
    if before is None:
        live = {
            "description": "",
            "red_flag_advice": "",
            "red_flag_level": Symptom._meta.get_field("red_flag_level").default,
        }
        pending = None
    else:
        live = {name: before[name] for name in REVIEWED_FIELDS}
        pending = (
            {name: before[f"proposed_{name}"] for name in REVIEWED_FIELDS}
            if before["proposed_at"]
            else None
        )
    if wanted in (live, pending):
        # Unchanged: the form showed the pending proposal, or nothing was proposed.
        for name, value in live.items():
            setattr(symptom, name, value)
        return ""
    if self_review_allowed() and editorial.can_publish(user):
        _clear_proposal(symptom)
        AuditEvent.record(
            AuditEvent.Action.RED_FLAGS_APPROVED,
            user=user,
            subject=symptom.name,
            detail=f"Written and approved by {_who(user)} (self-review is allowed on this "
            f"site). Before: {describe(live)}. Now: {describe(wanted)}",
        )
        return "approved"
    for name, value in wanted.items():
        setattr(symptom, f"proposed_{name}", value)
        setattr(symptom, name, live[name])
    symptom.proposed_by = user if user is not None and user.is_authenticated else None
    symptom.proposed_at = timezone.now()
    AuditEvent.record(
        AuditEvent.Action.RED_FLAGS_PROPOSED,
        user=user,
        subject=symptom.name,
        detail=f"Proposed: {describe(wanted)}. Live until approved: {describe(live)}",
    )
    return "proposed"


def approval_refusal(user, symptom: Symptom) -> str | None:
    """Why `user` may not approve `symptom`'s pending proposal, or None."""
    if not editorial.can_publish(user):
        return "Only medical reviewers can approve a change to a symptom's advice."
    if not symptom.has_proposal:
        return "There is no proposed change to approve: it was approved or rejected meanwhile."
    if symptom.proposed_by_id == user.pk and not self_review_allowed():
        return (
            "You proposed this change, so another medical reviewer must approve it "
            "(independent review)."
        )
    return None


def proposal_version(symptom: Symptom) -> str:
    """Names one proposal: an approval applies to the proposal the reviewer looked at."""
    return symptom.proposed_at.isoformat() if symptom.proposed_at else ""


@atomic_change()
def approve(symptom_id: int, user, seen_version: str) -> Symptom:
    """Make the pending proposal live (its author may not, unless self-review is allowed)."""
    symptom = _locked(symptom_id, seen_version)
    if refusal := approval_refusal(user, symptom):
        raise ReviewRefused(refusal)
    before, proposal = live_text(symptom), proposed_text(symptom)
    proposer, proposed_at = symptom.proposed_by, symptom.proposed_at
    for name, value in proposal.items():
        setattr(symptom, name, value)
    _clear_proposal(symptom)
    symptom.updated_by = user
    with reversion.create_revision():
        symptom.save()
        reversion.set_user(user)
        reversion.set_comment(f"Approved the change proposed by {_who(proposer)}")
    AuditEvent.record(
        AuditEvent.Action.RED_FLAGS_APPROVED,
        user=user,
        subject=symptom.name,
        detail=f"Proposed by {_who(proposer)} on {_when(proposed_at)}, approved by "
        f"{_who(user)}. Before: {describe(before)}. Now: {describe(proposal)}",
    )
    return symptom


@atomic_change()
def reject(symptom_id: int, user, seen_version: str) -> Symptom:
    """Drop the pending proposal; the live text stays as it is."""
    symptom = _locked(symptom_id, seen_version)
    if not editorial.can_publish(user):
        raise ReviewRefused("Only medical reviewers can reject a change to a symptom's advice.")
    if not symptom.has_proposal:
        raise ReviewRefused("There is no proposed change to reject.")
    proposal, proposer = proposed_text(symptom), symptom.proposed_by
    _clear_proposal(symptom)
    symptom.updated_by = user
    with reversion.create_revision():
        symptom.save()
        reversion.set_user(user)
        reversion.set_comment(f"Rejected the change proposed by {_who(proposer)}")
    AuditEvent.record(
        AuditEvent.Action.RED_FLAGS_REJECTED,
        user=user,
        subject=symptom.name,
        detail=f"Proposed by {_who(proposer)}, rejected by {_who(user)}: {describe(proposal)}",
    )
    return symptom


def _locked(symptom_id: int, seen_version: str) -> Symptom:
    symptom = Symptom.objects.select_for_update(no_key=True).filter(pk=symptom_id).first()
    if symptom is None:
        raise ReviewRefused("This symptom was deleted.")
    if symptom.has_proposal and proposal_version(symptom) != seen_version:
        raise ReviewRefused(
            "The proposed change was changed after you opened it. Read it again below."
        )
    return symptom


def _clear_proposal(symptom: Symptom) -> None:
    for name in REVIEWED_FIELDS:
        setattr(symptom, f"proposed_{name}", "")
    symptom.proposed_by = None
    symptom.proposed_at = None


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "j F Y, H:i:s") if moment else "an unknown time"
