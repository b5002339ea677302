"""Scraped leftovers ("Read More", "…" where text was cut, lists run together on one line):
warned about per file by `import_articles`, and an article with any is marked "needs editing"
in the admin until its text is fixed (conditions/leftovers.py)."""

import importlib
import re

import pytest
from django.apps import apps as django_apps

from conditions.leftovers import is_removable_line, leftovers_in_text
from conditions.models import Article, ConditionArticle, FaqArticle
from tests.browser_forms import admin_change_form
from tests.factories import make_condition, make_faq
from tests.test_importer import FAQ_SAMPLE, run_import, write

pytestmark = pytest.mark.django_db

CONDITIONS = "/admin/conditions/conditionarticle/"
FAQS = "/admin/conditions/faqarticle/"
SCRAPED_CONDITION = (
    "Stiff neck\n"
    "A stiff neck is common. It usually gets better in a few days.\n"
    "1. Posture\n"
    "Sit up straight when you work at a desk for a long time, and take a brea…\n"
    "Read More\n"
    "2. Sleep\n"
    "Use one firm pillow. Read More Can a pillow help? Yes, often.\n"
    "Advertisement\n"
    "Rest and gentle movement help most people.\n"
)


def row_of(html: str, title: str) -> str:
    """The change list's row for `title`."""
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*?{re.escape(title)}(?:(?!</tr>).)*</tr>", html, re.S)
    assert row, f"no row for {title}"
    return row[0]


# The importer's warnings.


def test_import_warns_per_file_naming_the_line_and_the_leftover():
    stdout, stderr = run_import(FAQ_SAMPLE)

    warnings = stderr.splitlines()
    assert all(line.startswith(f"warning: {FAQ_SAMPLE}: line ") for line in warnings)
    assert any(
        line.startswith(f"warning: {FAQ_SAMPLE}: line 35: text cut off") and "3 times" in line
        for line in warnings
    )
    assert any("line 35: a numbered list run together on one line" in line for line in warnings)
    assert any("line 39: “Read more” or other button text" in line for line in warnings)
    assert "1 file with scraped leftovers" in stdout
    assert "marked “needs editing” in the admin" in stdout


def test_a_line_that_is_only_read_more_is_left_out_and_leftovers_inside_lines_are_kept(
    tmp_path,
):
    path = write(tmp_path, "stiff-neck.txt", SCRAPED_CONDITION)
    stdout, stderr = run_import(path)

    assert f"warning: {path}: line 5: left out “Read More”" in stderr
    assert f"warning: {path}: line 8: left out “Advertisement”" in stderr
    assert f"warning: {path}: line 4: text cut off" in stderr
    assert f"warning: {path}: line 7: “Read more” or other button text" in stderr
    article = ConditionArticle.objects.get()
    # Never a word of the article lost: the cut sentence and the inline "Read More" stay,
    # for an editor to fix; only the lines that were nothing but a label are gone.
    assert "and take a brea…" in article.body
    assert "Use one firm pillow. Read More Can a pillow help?" in article.body
    assert "\n\nRead More\n\n" not in f"\n\n{article.body}\n\n"
    assert "Advertisement" not in article.body
    assert len(article.needs_editing) == 2


def test_a_file_whose_only_leftover_was_left_out_is_not_marked(tmp_path):
    path = write(
        tmp_path, "a.txt", "Stiff neck\nIt is common.\n1. Posture\nSit up straight.\nRead more »\n"
    )
    stdout, stderr = run_import(path)

    assert "left out “Read more »”" in stderr
    assert "scraped leftovers" not in stdout
    assert ConditionArticle.objects.get().needs_editing == []


def test_a_dry_run_warns_too_and_saves_nothing():
    stdout, stderr = run_import(FAQ_SAMPLE, dry_run=True)

    assert "line 39: “Read more” or other button text" in stderr
    assert "would be marked “needs editing”" in stdout
    assert not Article.objects.exists()


def test_a_clean_file_gets_no_warnings(tmp_path):
    path = write(tmp_path, "a.txt", "Stiff neck\nRead more about it below.\n1. Rest\nRest it.\n")
    stdout, stderr = run_import(path)

    assert stderr == ""
    assert ConditionArticle.objects.get().needs_editing == []


# What counts as a leftover.


@pytest.mark.parametrize(
    "text",
    [
        "Read more about posture on the NHS website.",
        "People with type 1 diabetes and type 2 diabetes can get neck pain.",
        "1. Rest your neck.\n2. Use a warm compress.",  # a Markdown list, an item a line
        "Turn your head slowly - left, then right.",
        "See more than one doctor if you need to.",
    ],
)
def test_ordinary_text_is_not_a_leftover(text):
    assert leftovers_in_text(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "It may be caused by poor posture or a trapped nerve in the uppe…",
        "It may be caused by poor posture or...",
        "Neck pain: 1 Tension headache. Very common. 2 Upper neck strain. Also common.",
        "Please click here to book.",
        "We use cookies to improve your experience on this site.",
        "Advertisement Neck pain is common.",
        "Continue reading",
    ],
)
def test_scraped_leftovers_are_found(text):
    assert leftovers_in_text(text)


@pytest.mark.parametrize(
    "text",
    [
        *["1 A. " * 40_000 + "2", "." * 200_000, "… " * 100_000, "Read " * 100_000],
        *["a" * 200_000, "![" * 100_000 + "](x)", '![](image:1 "' * 20_000],
    ],
    ids=["numbers", "dots", "ellipses", "reads", "letters", "image-openings", "image-options"],
)
def test_a_long_hostile_line_is_checked_without_backtracking(text):
    # A pattern with a repetition inside a repetition would take minutes here.
    leftovers_in_text(text)
    assert not is_removable_line(text)


# The admin.


def test_the_list_marks_and_filters_articles_that_need_editing(editor_client, tmp_path):
    run_import(write(tmp_path, "stiff-neck.txt", SCRAPED_CONDITION))
    make_condition("Whiplash")

    listed = editor_client.get(CONDITIONS).content.decode()
    filtered = editor_client.get(f"{CONDITIONS}?needs_editing=yes").content.decode()

    assert "Needs editing" in listed  # the column and the filter
    assert "2 leftovers to fix" in row_of(listed, "Stiff neck")
    assert "leftover" not in row_of(listed, "Whiplash")
    assert "Stiff neck" in filtered and "Whiplash" not in filtered


def test_the_change_form_lists_the_problems_at_the_top_and_hides_nothing(reviewer_client):
    article = make_condition(
        "Stiff neck",
        status=Article.Status.IN_REVIEW,
        body="It may be caused by a trapped <b>nerve</b> in the uppe…",
        emergency_help="Call 999 if you can't breathe. Read More",
    )

    html = reviewer_client.get(f"{CONDITIONS}{article.pk}/change/").content.decode()

    notice = html[html.index('id="needs-editing"') : html.index('id="moderation"')]
    assert "Body: text cut off" in notice
    assert "Emergency advice: “Read more” or other button text" in notice
    assert "<b>nerve</b>" not in notice and "&lt;b&gt;nerve&lt;/b&gt;" in notice
    # The reviewer still has the whole form, text and review box included.
    assert "Call 999 if you can&#x27;t breathe. Read More" in html
    assert 'id="moderation"' in html and 'name="emergency_help"' in html


def test_fixing_the_text_in_the_admin_clears_the_mark(editor_client):
    article = make_condition(
        "Stiff neck", status=Article.Status.DRAFT, body="Rest it and take a brea…"
    )
    url = f"{CONDITIONS}{article.pk}/change/"
    form = admin_change_form(editor_client, url)
    form["body"] = "Rest it and take a break every hour."

    response = editor_client.post(url, form)

    assert response.status_code == 302
    assert ConditionArticle.objects.get().needs_editing == []
    assert 'id="needs-editing"' not in editor_client.get(url).content.decode()
    assert "Stiff neck" not in editor_client.get(f"{CONDITIONS}?needs_editing=yes").content.decode()


def test_fixing_an_faq_answer_in_the_admin_clears_the_mark(editor_client):
    faq = make_faq(
        "Why is my neck stiff?",
        items=[("Why is my neck stiff?", "Often posture. Read More")],
        status=Article.Status.DRAFT,
    )
    assert FaqArticle.objects.get().needs_editing == [
        "Answer to “Why is my neck stiff?”: “Read more” or other button text from a web page: "
        "“Often posture. Read More”"
    ]
    url = f"{FAQS}{faq.pk}/change/"
    form = admin_change_form(editor_client, url)
    form["items-0-answer"] = "Often posture."

    response = editor_client.post(url, form)

    assert response.status_code == 302
    assert FaqArticle.objects.get().needs_editing == []


def test_a_live_article_whose_working_copy_needs_editing_is_marked_in_the_list(
    editor_client, tmp_path
):
    path = write(tmp_path, "stiff-neck.txt", "Stiff neck\nIt is common.\n1. Rest\nRest it.\n")
    run_import(path, publish=True)
    write(tmp_path, "stiff-neck.txt", SCRAPED_CONDITION)
    run_import(path)  # into the live article's working copy

    live = ConditionArticle.objects.get(live_article__isnull=True)
    assert live.needs_editing == [] and live.is_public
    listed = editor_client.get(f"{CONDITIONS}?needs_editing=yes").content.decode()
    assert "2 leftovers to fix in its working copy" in row_of(listed, "Stiff neck")


def test_the_admin_home_counts_articles_that_need_editing(editor_client, tmp_path):
    run_import(FAQ_SAMPLE)
    make_condition("Whiplash")

    html = editor_client.get("/admin/").content.decode()

    attention = html[html.index('id="needs-attention"') :]
    assert re.search(r"<strong>1</strong> article needing editing", attention)
    assert f"{FAQS}?needs_editing=yes" in attention


def test_the_migration_marks_articles_imported_before_the_mark_existed():
    run_import(FAQ_SAMPLE)
    make_condition("Whiplash", body="Rest it and take a brea…")
    make_condition("Neck pain")
    Article.objects.update(editing_problems="")  # as they were before migration 0016
    migration = importlib.import_module("conditions.migrations.0016_needs_editing")

    migration.find_leftovers(django_apps, None)

    # Worked out as a save works it out.
    faq = FaqArticle.objects.get()
    migrated = faq.needs_editing
    faq.save()
    assert len(migrated) == 4 and FaqArticle.objects.get().needs_editing == migrated
    assert ConditionArticle.objects.get(title="Whiplash").needs_editing == [
        "Body: text cut off (a truncation mark, … or ...): “Rest it and take a brea…”"
    ]
    assert ConditionArticle.objects.get(title="Neck pain").needs_editing == []


def test_a_warning_quoting_a_direction_mark_cannot_reverse_the_terminal_line(tmp_path):
    path = write(tmp_path, "a.txt", "Stiff neck\nIt is common.\n1. Rest\nRest it \u202eRead More\n")

    _, stderr = run_import(path)

    assert "\u202e" not in stderr
    assert "Rest it \\u202eRead More" in stderr
