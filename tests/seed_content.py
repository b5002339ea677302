"""The content a new site starts with, for tests that need the pages readers see after
`make run`: the shipped symptom vocabulary with its red flags, and the sample articles.

Transactional tests (the browser tests) empty every table between tests, the vocabulary the
data migrations added included, so these put it back the way the migrations did.
"""

import importlib
import io
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management import call_command

from conditions.models import Article

SAMPLE_CONTENT = Path(settings.BASE_DIR) / "conditions" / "sample_content"
# The sample condition article and the sample FAQ.
SEED_CONDITION = next(SAMPLE_CONTENT.glob("000_*.txt"))
SEED_FAQ = next(SAMPLE_CONTENT.glob("003_*.txt"))

_VOCABULARY_MIGRATIONS = [
    ("0002_symptom_vocabulary", "add_symptoms"),
    ("0007_care_levels_and_red_flags", "add_red_flags"),
]


def load_shipped_vocabulary() -> None:
    """The symptoms, synonyms and red-flag advice the data migrations ship, added again by
    the migrations' own functions (they skip what is already there)."""
    for module, function in _VOCABULARY_MIGRATIONS:
        migration = importlib.import_module(f"conditions.migrations.{module}")
        getattr(migration, function)(apps, None)


def import_seed_articles() -> tuple[Article, Article]:
    """The sample condition article and FAQ, imported and published as `make run` does;
    tagged with the shipped vocabulary, so load that first."""
    call_command(
        "import_articles", "--publish", str(SEED_CONDITION), str(SEED_FAQ), stdout=io.StringIO()
    )
    condition = Article.objects.get(kind=Article.Kind.CONDITION)
    faq = Article.objects.get(kind=Article.Kind.FAQ)
    return condition, faq
