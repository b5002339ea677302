"""Content and people for tests, made the way the site makes them (the fixtures that name
the people are in conftest.py)."""

import importlib
import io
from pathlib import Path

import PIL.Image
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone

from conditions.models import Article, ConditionArticle, FaqArticle, FaqItem, Image, Symptom

PUBLISHED = Article.Status.PUBLISHED
DRAFT = Article.Status.DRAFT
MIGRATIONS = Path(__file__).resolve().parent.parent / "conditions" / "migrations"
# Every test person's password.
PASSWORD = "correct horse battery"


def make_symptom(name: str, **fields) -> Symptom:
    symptom, _ = Symptom.objects.get_or_create(name__iexact=name, defaults={"name": name, **fields})
    return symptom


def make_condition(title: str, symptoms=(), status=PUBLISHED, **fields) -> ConditionArticle:
    fields.setdefault("summary", f"What could cause {title.lower()} and what to do.")
    fields.setdefault("body", f"## About {title}\n\nSome plain words about {title.lower()}.")
    article = ConditionArticle.objects.create(title=title, status=status, **fields)
    article.symptoms.set([make_symptom(name) for name in symptoms])
    return article


def make_faq(title: str, items=(), symptoms=(), status=PUBLISHED, **fields) -> FaqArticle:
    fields.setdefault("summary", f"Common questions about {title.lower()}.")
    article = FaqArticle.objects.create(title=title, status=status, **fields)
    for question, answer in items:
        FaqItem.objects.create(faq=article, question=question, answer=answer)
    article.symptoms.set([make_symptom(name) for name in symptoms])
    return article


def ready_to_publish(article: Article, reviewer: User | None = None) -> Article:
    """`article` as the publish gate wants it, for tests whose subject is something else: a
    symptom, care advice (a condition), and a medical sign-off of its content as it is now by
    a reviewer who didn't write it (Sam, unless `reviewer` is given)."""
    from conditions import editorial

    article = Article.objects.get(pk=article.pk).specific()  # as saved, not as the caller had it
    if not article.symptoms.exists():
        article.symptoms.add(make_symptom("Neck pain"))
    if article.kind == Article.Kind.CONDITION and not article.medical_help_text:
        article.when_to_get_medical_help = "- the pain lasts more than a few weeks"
    article.reviewed_by = article.reviewed_by or "Dr Sam Signer, MRCGP"
    article.last_reviewed_on = article.last_reviewed_on or timezone.localdate()
    article.save()
    editorial.sign_off(article, reviewer or independent_reviewer())
    return article


def independent_reviewer() -> User:
    """Sam, a medical reviewer who signs off what tests publish and wrote none of it."""
    existing = User.objects.filter(username="sam").first()
    return existing or make_staff("sam", "Medical reviewer", "Sam Signer")


def roles() -> None:
    """The Editor and Medical reviewer groups, as their migration makes them: a test that
    commits (transaction=True) empties the database afterwards, groups included."""
    migration = importlib.import_module("conditions.migrations.0004_editor_and_reviewer_roles")
    # Later migrations that grant both roles more say so in BOTH_ROLES_PERMISSIONS.
    later = [
        getattr(importlib.import_module(f"conditions.migrations.{path.stem}"), name)
        for path in sorted(MIGRATIONS.glob("0*.py"))
        for name in ["BOTH_ROLES_PERMISSIONS"]
        if hasattr(importlib.import_module(f"conditions.migrations.{path.stem}"), name)
    ]
    for name, codenames in [
        (migration.EDITOR, migration.EDITOR_PERMISSIONS + sum(later, [])),
        (migration.MEDICAL_REVIEWER, migration.REVIEWER_PERMISSIONS + sum(later, [])),
    ]:
        group, created = Group.objects.get_or_create(name=name)
        if created:
            group.permissions.set(
                Permission.objects.filter(
                    content_type__app_label="conditions", codename__in=codenames
                )
            )


def make_staff(username: str, group: str, full_name: str) -> User:
    roles()
    first, last = full_name.split(" ", 1)
    user = User.objects.create_user(
        username, f"{username}@example.org", PASSWORD, is_staff=True,
        first_name=first, last_name=last,
    )  # fmt: skip
    user.groups.add(Group.objects.get(name=group))
    return user


def picture_bytes(
    width: int = 800, height: int = 600, format: str = "PNG", mode: str = "RGB", **save
) -> bytes:
    """An image file made with Pillow: a gradient (so it compresses like a real picture)."""
    picture = PIL.Image.linear_gradient("L").resize((width, height)).convert(mode)
    output = io.BytesIO()
    picture.save(output, format, **save)
    return output.getvalue()


def make_image(
    alt_text: str = "Diagram of the neck", content: bytes | None = None, **fields
) -> Image:
    """A library image uploaded the way the admin uploads one, with its renditions made (the
    admin makes them on commit, which a test's transaction never reaches)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from conditions import images

    upload = SimpleUploadedFile("picture.png", content or picture_bytes())
    image = Image(alt_text=alt_text, **fields)
    images.store_file(image, images.prepare_upload(upload))
    image.save()
    images.make_renditions(image)
    return image
