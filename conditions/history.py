"""An article's revisions (stored by django-reversion): reading, comparing, restoring."""

import difflib
import re
from dataclasses import dataclass
from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from reversion.models import Version

from conditions import image_references
from conditions.fields import normalised_line_endings
from conditions.models import (
    Article,
    ConditionName,
    FaqItem,
    Image,
    Source,
    Symptom,
    TaggedArticle,
)

# What an editor sees compared, in this order: (label, field name) of the article's fields.
ARTICLE_FIELDS = [
    ("Title", "title"),
    ("Slug", "slug"),
    ("Summary", "summary"),
    ("Condition name", "condition_name"),
    ("Status", "status"),
    ("Publish time", "published_at"),
    ("Body", "body"),
    ("Non-urgent: see a GP if", "when_to_get_medical_help"),
    ("Urgent: urgent GP appointment or 111 if", "urgent_help"),
    ("Emergency: 999 or A&E if", "emergency_help"),
    ("Introduction", "intro"),
    ("Medically reviewed by", "reviewed_by"),
    ("Last reviewed", "last_reviewed_on"),
    ("Next review due", "next_review_due"),
]
STATUS_LABELS = dict(Article.Status.choices)
STATUS_BY_LABEL = {label: status for status, label in Article.Status.choices}
# How a revision's time is shown: to the second, so two saves a minute apart are told apart.
REVISION_TIME_FORMAT = "j F Y, H:i:s"
# A word with the space after it: diffing these keeps a change of several words together.
WORD = re.compile(r"\s*\S+\s*")


def article_snapshot(version: Version) -> dict[str, str]:
    """The article as it was in `version`'s revision: readable text for each part."""
    article_id = int(version.object_id)
    fields = version.field_dict  # includes the shared Article fields (parent link followed)
    snapshot = {}
    for label, name in ARTICLE_FIELDS:
        if name in fields:
            snapshot[label] = readable_value(name, fields[name])

    related = version.revision.version_set.all()
    symptom_ids = [
        v.field_dict["tag_id"]
        for v in _versions_of(related, TaggedArticle)
        if v.field_dict["content_object_id"] == article_id
    ]
    names = Symptom.objects.in_bulk(symptom_ids)
    snapshot["Symptoms"] = ", ".join(
        sorted(names[i].name if i in names else f"(deleted symptom {i})" for i in symptom_ids)
    )

    if version.content_type.model_class()._meta.model_name == "faqarticle":
        items = sorted(
            (v.field_dict for v in _versions_of(related, FaqItem)),
            key=lambda item: (item["position"] or 0, item["id"]),
        )
        snapshot["Questions and answers"] = "\n\n".join(
            f"Q: {item['question']}\nA: {item['answer']}"
            for item in items
            if item["faq_id"] == article_id
        )
    if version.content_type.model_class()._meta.model_name == "conditionarticle":
        names = sorted(
            (v.field_dict for v in _versions_of(related, ConditionName)),
            key=lambda name: (name["position"], name["id"]),
        )
        snapshot["Other names"] = other_names_text(
            name for name in names if name["article_id"] == article_id
        )
    snapshot.update(images_snapshot(fields, questions=snapshot.get("Questions and answers", "")))
    sources = sorted(
        (v.field_dict for v in _versions_of(related, Source)),
        key=lambda source: (source["position"], source["id"]),
    )
    snapshot["Sources"] = "\n".join(
        " · ".join(str(part) for part in [s["title"], s["publisher"], s["url"]] if part)
        for s in sources
        if s["article_id"] == article_id
    )
    return snapshot


def images_snapshot(fields: dict, questions: str = "") -> dict[str, str]:
    """The library images a revision shows, by what they show (their alt text) rather than
    their numbers: "Images" a line each, in the order the text places them, and "Lead image".
    One query, for the library's alt text of those placed with empty brackets."""
    texts = [str(fields.get(name) or "") for name in MARKDOWN_FIELDS] + [questions]
    references = [ref for text in texts for ref in image_references.references_in(text)]
    lead_image_id = fields.get("lead_image_id")
    ids = {ref.image_id for ref in references if ref.image_id is not None}
    library = (
        dict(Image.objects.filter(pk__in=ids | {lead_image_id}).values_list("pk", "alt_text"))
        if ids or lead_image_id
        else {}
    )

    def described(image_id: int | None, alt: str = "") -> str:
        if image_id is None or image_id not in library:
            return f"(no image {image_id} in the library)" if image_id else "(not an image)"
        return f"“{alt or library[image_id]}” (image {image_id})"

    snapshot = {}
    if references:
        snapshot["Images"] = "\n".join(
            described(ref.image_id, ref.alt.strip())
            + (f", {' '.join(ref.size_and_alignment())}" if ref.size_and_alignment() else "")
            for ref in references
        )
    if lead_image_id is not None:
        snapshot["Lead image"] = described(lead_image_id)
    return snapshot


# The Markdown fields an image can be placed in (an FAQ's answers are read with its questions).
MARKDOWN_FIELDS = ["body", "when_to_get_medical_help", "urgent_help", "emergency_help", "intro"]


def revision_time(version: Version) -> str:
    """When `version`'s revision was saved, in the site's time zone."""
    return date_format(timezone.localtime(version.revision.date_created), REVISION_TIME_FORMAT)


# What a change of state is called in History, by the state the revision holds.
STATE_CHANGES = {
    Article.Status.PUBLISHED: "published this article",
    Article.Status.IN_REVIEW: "submitted this article for review",
    Article.Status.DRAFT: "moved this article back to draft",
    Article.Status.UNPUBLISHED: "unpublished this article (took it off the site)",
}
# Comments written in words by NeckInfo itself (see reversion.set_comment), and how History
# says them after the person's name.
COMMENT_WORDS = [
    (re.compile(r"^Status changed to (.+)$"), None),  # said from the revision's state
    (re.compile(r"^Changes requested$"), "asked for changes"),
    (re.compile(r"^Imported from (.+)$"), "imported this article from {0}"),
    (re.compile(r"^Started as a copy of the live page$"), "started this working copy"),
    (re.compile(r"^Added\.?$"), "created this {noun}"),
    (re.compile(r"^Changed\.?$"), "changed this {noun}"),
]


def person(user) -> str:
    """Who saved a revision, by name: the importer and scripts save with no person."""
    if user is None:
        return "An import or a script"
    return user.get_full_name() or user.get_username()


# The admin's record of a save, as django-reversion keeps it (Django's change message in
# words): "Changed Summary and Status. Added question “Why?”. Changed Answer for question “Is
# it serious?”. Deleted source “NHS”." One match per sentence.
ADMIN_CHANGE = re.compile(
    r"(?P<created>Added\.)"
    r"|Added (?P<added_name>[\w -]+?) “(?P<added>.*?)”\."
    r"|Changed (?P<part_fields>[^.“”]+?) for (?P<part_name>[\w -]+?) “(?P<part>.*?)”\."
    r"|Changed (?P<fields>[^.“”]+?)\."
    r"|Deleted (?P<deleted_name>[\w -]+?) “(?P<deleted>.*?)”\."
    r"|(?P<unchanged>No fields changed\.)"
)


def revision_in_words(version: Version, noun: str = "article") -> str:
    """Who did what in `version`'s revision, as a sentence: "Rita Okafor published this
    article", "Ed Writer changed the answer to “Is it serious?”"."""
    who = person(version.revision.user)
    comment = version.revision.get_comment().strip()
    for pattern, words in COMMENT_WORDS:
        if match := pattern.match(comment):
            if words is None:  # the new state's name is in the comment: no query for it
                status = STATUS_BY_LABEL.get(match.group(1))
                return f"{who} {STATE_CHANGES.get(status, 'changed its state')}"
            return f"{who} {words.format(*match.groups(), noun=noun)}"
    changes = _admin_changes(comment)
    if changes is not None:
        return f"{who} {_changes_in_words(changes, version, noun)}"
    if not comment:
        return f"{who} saved this {noun}"
    # NeckInfo's other comments start with what was done: "Published the working copy".
    return f"{who} {comment[0].lower()}{comment[1:]}"


def _admin_changes(comment: str) -> list[dict] | None:
    """The admin's change message as a list of changes (as Django stores it in JSON), or None
    when `comment` is something else."""
    changes, end = [], 0
    for match in ADMIN_CHANGE.finditer(comment):
        if comment[end : match.start()].strip():
            return None  # words between the sentences: not the admin's message
        end = match.end()
        found = match.groupdict()
        if found["created"]:
            changes.append({"added": {}})
        elif found["added"] is not None:
            changes.append({"added": {"name": found["added_name"], "object": found["added"]}})
        elif found["part"] is not None:
            fields = _field_list(found["part_fields"])
            changes.append(
                {"changed": {"name": found["part_name"], "object": found["part"], "fields": fields}}
            )
        elif found["fields"] is not None:
            changes.append({"changed": {"fields": _field_list(found["fields"])}})
        elif found["deleted"] is not None:
            changes.append({"deleted": {"name": found["deleted_name"], "object": found["deleted"]}})
    if end == 0 or comment[end:].strip():
        return None
    return changes


def _field_list(text: str) -> list[str]:
    """ "Title, Summary and Body" → ["Title", "Summary", "Body"]."""
    return [field for field in re.split(r", | and ", text) if field]


def _changes_in_words(changes: list, version: Version, noun: str) -> str:
    """The admin's record of a save (its change message) as a phrase after a name."""
    phrases, moved = [], set()
    for change in changes:
        kind, detail = next(iter(change.items()))
        name, thing = detail.get("name"), detail.get("object")
        fields = [field.lower() for field in detail.get("fields", [])]
        if name is None:  # the article itself
            if kind == "added":
                phrases.append(f"created this {noun}")
                continue
            if "status" in fields:
                fields.remove("status")
                status = version.field_dict.get("status")
                phrases.append(STATE_CHANGES.get(status, "changed its state"))
            if fields:
                phrases.append(f"changed the {joined(fields)}")
        elif kind == "added":
            phrases.append(f"added the {name} “{thing}”")
        elif kind == "deleted":
            phrases.append(f"removed the {name} “{thing}”")
        elif fields == ["position"]:
            moved.add(name)
        elif name == "question" and fields == ["answer"]:
            phrases.append(f"changed the answer to “{thing}”")
        else:
            fields = [field for field in fields if field != "position"]
            phrases.append(f"changed the {joined(fields)} of the {name} “{thing}”")
    phrases += [f"reordered the {name}s" for name in sorted(moved)]
    return joined(phrases) if phrases else f"saved this {noun} without changes"


def joined(words: list[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def other_names_text(names) -> str:
    """A condition's other names as Compare shows them, a line each: "Anaemia (#anaemia)"
    for a condition a section explains."""
    return "\n".join(
        f"{name['name']} (#{name['section']})" if name["section"] else name["name"]
        for name in names
    )


def readable_value(name: str, value) -> str:
    """A field's value as Compare shows it."""
    if value is None:
        return ""
    if name == "status":
        return STATUS_LABELS.get(value, value)
    if isinstance(value, datetime):
        return date_format(timezone.localtime(value), "j F Y, H:i")
    if isinstance(value, date):
        return date_format(value, "j F Y")
    # Revisions saved before line endings were normalised still hold the browser's CRLF.
    return normalised_line_endings(str(value))


def _versions_of(versions, model) -> list[Version]:
    return [v for v in versions if v.content_type.model_class() is model]


# Restoring.

# The rows that make up one article, and the field of each that names the article.
ARTICLE_PARTS = {
    TaggedArticle: "content_object_id",
    Source: "article_id",
    FaqItem: "faq_id",
    ConditionName: "article_id",
}


class RestoreError(Exception):
    """Why a revision can't be written back; the message is for the editor."""


def revert_article(version: Version) -> None:
    """Write the article of `version` back as it was in that revision: its own rows, and its
    symptoms, sources, questions and other names (those added since are removed).

    Only this article's rows: a revision may hold other articles too (a list action saves
    every selected article in one revision), and restoring one article must never touch
    another. The caller runs this inside the transaction that saves or discards it.
    """
    article_id = int(version.object_id)
    versions = list(version.revision.version_set.select_related("content_type"))
    own = [
        v for v in versions if _model(v) in (Article, *Article.__subclasses__())
        and int(v.object_id) == article_id
    ]  # fmt: skip
    parts = {
        model: [v for v in _versions_of(versions, model) if v.field_dict[field] == article_id]
        for model, field in ARTICLE_PARTS.items()
    }
    try:
        with transaction.atomic():
            for model, field in ARTICLE_PARTS.items():
                kept = [int(v.object_id) for v in parts[model]]
                model.objects.filter(**{field: article_id}).exclude(pk__in=kept).delete()
            # The shared Article row before the row of its kind, then what hangs off them.
            own.sort(key=lambda v: _model(v) is not Article)
            rows = [*parts[Source], *parts[FaqItem], *parts[ConditionName]]
            for part in [*own, *rows, *parts[TaggedArticle]]:
                part.revert()
            # A lead image deleted from the library since: the article goes without one
            # (image references in the text stay as text, and the form warns about them).
            Article.objects.filter(pk=article_id, lead_image__isnull=False).exclude(
                lead_image__in=Image.objects.all()
            ).update(lead_image=None)
    except IntegrityError as error:
        raise RestoreError(
            "This revision can't be restored as it is: part of it (its address, or a "
            "question's link) is now used by something else. Copy what you need from it "
            "by hand instead."
        ) from error


def _model(version: Version):
    return version.content_type.model_class()


@dataclass
class PartComparison:
    label: str
    changed: bool
    html: SafeString  # the newer text, with removed words in <del> and added ones in <ins>


def compare_snapshots(older: dict[str, str], newer: dict[str, str]) -> list[PartComparison]:
    labels = list(dict.fromkeys([*older, *newer]))
    return [
        PartComparison(
            label=label,
            changed=older.get(label, "") != newer.get(label, ""),
            html=(line_diff if label in WHOLE_LINE_PARTS else word_diff)(
                older.get(label, ""), newer.get(label, "")
            ),
        )
        for label in labels
    ]


# Parts compared a line at a time: an image is changed as a whole ("Side view" → "Front view"),
# and half a description marked changed would say nothing.
WHOLE_LINE_PARTS = {"Images", "Lead image"}


def line_diff(older: str, newer: str) -> SafeString:
    """`newer` as HTML, a line each, marking the lines removed from and added to `older`."""
    old_lines, new_lines = older.splitlines(), newer.splitlines()
    lines = []
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        if operation == "equal":
            lines += [escape(line) for line in new_lines[new_start:new_end]]
            continue
        lines += [f"<del>{escape(line)}</del>" for line in old_lines[old_start:old_end]]
        lines += [f"<ins>{escape(line)}</ins>" for line in new_lines[new_start:new_end]]
    return mark_safe("<br>".join(lines))  # every line was escaped above


def word_diff(older: str, newer: str) -> SafeString:
    """`newer` as HTML, marking the words removed from and added to `older`."""
    old_words = WORD.findall(older)
    new_words = WORD.findall(newer)
    parts = []
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    for operation, old_start, old_end, new_start, new_end in matcher.get_opcodes():
        removed = escape("".join(old_words[old_start:old_end]))
        added = escape("".join(new_words[new_start:new_end]))
        if operation == "equal":
            parts.append(added)
            continue
        if removed.strip():
            parts.append(f"<del>{removed}</del>")
        if added.strip():
            parts.append(f"<ins>{added}</ins>")
        elif added:
            parts.append(added)
    return mark_safe("".join(parts))  # every piece of text was escaped above
