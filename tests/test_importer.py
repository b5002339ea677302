"""`manage.py import_articles`: importing condition and FAQ articles from text files."""

import io
import os
import re
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from reversion.models import Version

from conditions import working_copies
from conditions.importer import MAX_QUESTIONS, paragraphs_after_summary, summarise
from conditions.models import Article, AuditEvent, ConditionArticle, FaqArticle, FaqItem
from conditions.search import search
from tests.factories import ready_to_publish

SAMPLES = Path(settings.BASE_DIR) / "conditions" / "sample_content"
CONDITION_SAMPLE = SAMPLES / "000_cf1e57f4803ac2d1.txt"
FAQ_SAMPLE = SAMPLES / "003_7b8f06cf41eee92d.txt"
CONDITION_TITLE = "What causes neck stiffness and dizziness in the back of the neck?"
FAQ_TITLE = "What causes muscle spasms in back of head?"
NUMBERED_SECTION = re.compile(r"^\d+\.\s+(.*)$")

pytestmark = pytest.mark.django_db


def run_import(*paths, **options) -> tuple[str, str]:
    """Run the command as a person would; return what it printed (stdout, stderr)."""
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("import_articles", *map(str, paths), stdout=stdout, stderr=stderr, **options)
    return stdout.getvalue(), stderr.getvalue()


def run_failing_import(*paths, **options) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_articles", *map(str, paths), stdout=stdout, stderr=stderr, **options)
    return stdout.getvalue(), stderr.getvalue()


def sample_lines(path: Path) -> list[str]:
    return [line.strip() for line in path.read_text().splitlines() if line.strip()]


def symptom_names(article: Article) -> set[str]:
    return {symptom.name for symptom in article.symptoms.all()}


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# The sample documents.


def test_condition_sample_keeps_every_section_and_sentence_word_for_word():
    run_import(CONDITION_SAMPLE)

    article = ConditionArticle.objects.get()
    assert article.title == CONDITION_TITLE
    lines = sample_lines(CONDITION_SAMPLE)
    headings = [match[1] for line in lines if (match := NUMBERED_SECTION.match(line))]
    assert headings == [
        "Muscle Tension and Fatigue",
        "Poor Posture",
        "Anemia",
        "Cervical Spondylosis",
        "Hypertension",
    ]
    for heading in headings:
        assert f"\n## {heading}\n" in article.body
        assert f">{heading}</h2>" in article.body_html
    # The summary, shown under the title, is the introduction's opening: the body goes on.
    page_text = f"{article.summary} {article.body}"
    for line in lines[1:]:
        if not NUMBERED_SECTION.match(line):
            assert line in page_text
    assert not re.search(r"^\d+\.", article.body, re.MULTILINE)


def test_condition_sample_says_its_summary_once():
    run_import(CONDITION_SAMPLE)

    article = ConditionArticle.objects.get()
    assert article.summary.startswith("Generally, stiffness and dizziness")
    assert "Generally, stiffness" not in article.body
    assert article.body.startswith("If discomfort occurs, seek medical attention promptly")


def test_summary_cut_short_leaves_the_introduction_whole():
    opening = "Neck pain " + "and more neck pain " * 30 + "is common."
    assert paragraphs_after_summary([opening], summarise(opening)) == [opening]
    assert paragraphs_after_summary(["One. Two. Three."], "One. Two.") == ["Three."]
    assert paragraphs_after_summary(["One. Two."], "One. Two.") == []


def test_condition_sample_closing_advice_gets_its_own_heading():
    run_import(CONDITION_SAMPLE)

    body = ConditionArticle.objects.get().body
    assert body.endswith(
        "## What you can do\n\nIt is recommended to maintain proper sitting posture during "
        "work and study, and to rotate the neck and stretch the shoulder muscles "
        "periodically, which can help relieve symptoms."
    )


def test_condition_sample_advice_to_see_a_doctor_is_copied_to_when_to_get_help():
    run_import(CONDITION_SAMPLE)

    article = ConditionArticle.objects.get()
    advice = "If discomfort occurs, seek medical attention promptly to avoid delaying treatment."
    # General advice: "promptly" is no urgency cue, so it isn't put under "call 111 if:".
    assert article.when_to_get_medical_help == advice
    assert article.urgent_help == "" and article.emergency_help == ""
    assert advice in article.body
    # Advice about taking medication is not advice to get help.
    assert "follow medical advice" not in article.medical_help_text


def test_advice_to_get_help_goes_into_the_level_it_asks_for(tmp_path):
    path = write(
        tmp_path,
        "a.txt",
        "Stiff neck\nIt is common. See a GP if it lasts more than two weeks.\n"
        "1. Meningitis\nCall 999 if you also have a rash and a fever. "
        "Call 111 if you feel very unwell.\n",
    )
    run_import(path)

    article = ConditionArticle.objects.get()
    assert article.when_to_get_medical_help == "See a GP if it lasts more than two weeks."
    assert article.urgent_help == "Call 111 if you feel very unwell."
    assert article.emergency_help == "Call 999 if you also have a rash and a fever."


def test_condition_without_advice_to_get_help_has_an_empty_callout(tmp_path):
    path = write(tmp_path, "a.txt", "Stiff neck\nIt is common.\n1. Posture\nSit up straight.\n")
    run_import(path)

    assert ConditionArticle.objects.get().when_to_get_medical_help == ""


def test_condition_summary_is_the_first_sentences_of_the_introduction():
    run_import(CONDITION_SAMPLE)

    assert ConditionArticle.objects.get().summary == (
        "Generally, stiffness and dizziness in the back of the neck may be caused by muscle "
        "tension and fatigue, poor posture, anemia, cervical spondylosis, hypertension, and "
        "other factors. Symptomatic treatment such as general therapy and medication may be "
        "needed."
    )


def test_summary_of_a_long_introduction_is_cut_short(tmp_path):
    intro = "Neck pain " + "and more " * 60 + "ends here. Second sentence."
    path = write(tmp_path, "long.txt", f"Title\n{intro}\n1. Section\nText.\n")
    run_import(path)

    summary = ConditionArticle.objects.get().summary
    assert len(summary) <= 300
    assert summary.startswith("Neck pain and more")
    assert summary.endswith("…")


def test_faq_sample_keeps_every_question_and_answer_word_for_word():
    run_import(FAQ_SAMPLE)

    faq = FaqArticle.objects.get()
    assert faq.title == FAQ_TITLE
    lines = sample_lines(FAQ_SAMPLE)
    questions = [line for line in lines if line.endswith("?")]
    items = list(faq.items.all())
    assert [item.question for item in items] == questions
    assert [item.position for item in items] == list(range(12))
    answers = "\n".join(item.answer for item in items)
    for line in lines:
        if not line.endswith("?"):
            assert line in answers
    why_spasming = faq.items.get(question="Why does the back of my neck keep spasming?")
    assert why_spasming.answer.startswith("Most neck spasms occur because of a sudden")
    assert why_spasming.answer.endswith("visit your doctor.")


def test_faq_summary_names_the_most_mentioned_symptoms():
    run_import(FAQ_SAMPLE)

    assert FaqArticle.objects.get().summary == (
        "Answers to 12 common questions about muscle spasm, headache "
        "and pain at the base of the skull."
    )


# Symptom tags.


def test_condition_sample_is_tagged_with_the_symptoms_it_mentions():
    run_import(CONDITION_SAMPLE)

    names = symptom_names(ConditionArticle.objects.get())
    assert {
        "Neck stiffness",
        "Dizziness",
        "Neck pain",
        "Shoulder pain",  # "shoulder discomfort"
        "Arm numbness",
        "Fatigue",
        "Palpitations",
        "Pale skin",  # "pale complexion"
        "Unsteady walking",  # "unsteady gait"
        "Muscle spasm",  # "neck muscle spasms"
        "Muscle tension",
    } <= names
    # "uneven stress on the neck muscles" is not anxiety; nothing mentions a headache.
    assert not names & {"Anxiety", "Headache", "Fever", "Nausea", "Jaw pain"}


def test_faq_sample_is_tagged_with_the_symptoms_it_mentions():
    run_import(FAQ_SAMPLE)

    names = symptom_names(FaqArticle.objects.get())
    assert {
        "Muscle spasm",
        "Headache",
        "Neck pain",
        "Tingling",
        "Numbness",
        "Weakness",
        "Anxiety",
        "Pain at the base of the skull",
        "Shooting pain",  # "sharp jabbing pains that radiate"
        "Pain behind the eyes",  # "pressure behind the eyes"
    } <= names
    assert not names & {"Dizziness", "Palpitations", "Fever", "Double vision"}


def test_synonyms_match_whatever_the_spacing_hyphens_plurals_and_capitals(tmp_path):
    text = (
        "Feeling LIGHT HEADED?\n"
        "Some people feel lightheaded, get Pins-and-Needles and stiff necks.\n"
        "1. Causes\n"
        "Headaches and migraines.\n"
    )
    run_import(write(tmp_path, "variants.txt", text))

    assert symptom_names(Article.objects.get()) == {
        "Dizziness",
        "Tingling",
        "Neck stiffness",
        "Headache",
    }


def test_generic_words_and_parts_of_words_do_not_tag(tmp_path):
    text = (
        "Is a stiff mattress bad?\n"
        "Stress on the spine from a stiff, tired old mattress is not a symptom.\n"
        "1. Comfort\n"
        "A spasmodic, fevered, numbed list of painful words.\n"
    )
    run_import(write(tmp_path, "generic.txt", text))

    assert symptom_names(Article.objects.get()) == set()


# Drafts and publishing.


def test_import_without_publish_makes_drafts():
    run_import(CONDITION_SAMPLE, FAQ_SAMPLE)

    assert Article.objects.count() == 2
    assert set(Article.objects.values_list("status", flat=True)) == {Article.Status.DRAFT}
    assert not Article.objects.published().exists()


def test_import_with_publish_makes_public_articles():
    run_import(CONDITION_SAMPLE, FAQ_SAMPLE, publish=True)

    assert Article.objects.published().count() == 2
    assert all(article.published_at for article in Article.objects.all())


# Importing again.


def test_reimport_updates_the_article_instead_of_adding_another(tmp_path):
    path = tmp_path / CONDITION_SAMPLE.name
    shutil.copy(CONDITION_SAMPLE, path)
    run_import(path)
    slug = ConditionArticle.objects.get().slug

    text = CONDITION_SAMPLE.read_text()
    text = text.replace(CONDITION_TITLE, "Why is my neck stiff?", 1)
    text = text.replace("2. Poor Posture", "2. Bad Posture")
    path.write_text(text)
    stdout, stderr = run_import(path)

    article = ConditionArticle.objects.get()
    assert Article.objects.count() == 1
    assert article.title == "Why is my neck stiff?"
    assert "## Bad Posture" in article.body
    assert "## Poor Posture" not in article.body
    assert article.slug == slug
    assert "updated: Why is my neck stiff?" in stdout
    assert stderr == ""


def test_reimport_of_the_same_file_is_idempotent():
    run_import(CONDITION_SAMPLE, FAQ_SAMPLE)
    before = {
        article.pk: (article.slug, article.title, article.summary, symptom_names(article))
        for article in Article.objects.all()
    }
    stdout, _ = run_import(CONDITION_SAMPLE, FAQ_SAMPLE)

    after = {
        article.pk: (article.slug, article.title, article.summary, symptom_names(article))
        for article in Article.objects.all()
    }
    assert after == before
    assert FaqItem.objects.count() == 12
    assert stdout.endswith("Imported 2 files: 0 created, 2 updated, 0 failed.\n")


def test_reimport_without_publish_keeps_a_published_article_published():
    run_import(CONDITION_SAMPLE, publish=True)
    published_at = Article.objects.get().published_at

    run_import(CONDITION_SAMPLE)

    article = Article.objects.get()
    assert article.status == Article.Status.PUBLISHED
    assert article.published_at == published_at


def test_reimport_with_publish_publishes_a_draft():
    run_import(CONDITION_SAMPLE)
    run_import(CONDITION_SAMPLE, publish=True)

    assert Article.objects.published().count() == 1


def test_reimport_keeps_question_anchors_of_unchanged_questions(tmp_path):
    path = write(
        tmp_path,
        "faq.txt",
        "Why does my neck hurt?\nUsually strain.\n\n"
        "Is it serious?\nRarely.\n\n"
        "When should I see a doctor?\nIf it lasts more than a few weeks.\n",
    )
    run_import(path)
    anchors = {item.question: item.anchor for item in FaqItem.objects.all()}

    # A new first question whose anchor would clash with a kept one, an edited question,
    # and the others moved about.
    path.write_text(
        "Why does my neck hurt!?\nA new question.\n\n"
        "When should I see a doctor?\nIf it lasts more than a few weeks.\n\n"
        "Is it ever serious?\nRarely.\n\n"
        "Why does my neck hurt?\nUsually strain, sometimes posture.\n"
    )
    run_import(path)

    items = {item.question: item for item in FaqItem.objects.all()}
    assert items["Why does my neck hurt?"].anchor == anchors["Why does my neck hurt?"]
    assert items["Why does my neck hurt?"].answer == "Usually strain, sometimes posture."
    assert items["When should I see a doctor?"].anchor == anchors["When should I see a doctor?"]
    assert items["Is it ever serious?"].anchor == "is-it-ever-serious"
    assert items["Why does my neck hurt!?"].anchor == "why-does-my-neck-hurt-2"
    assert [item.question for item in FaqItem.objects.all()] == [
        "Why does my neck hurt!?",
        "When should I see a doctor?",
        "Is it ever serious?",
        "Why does my neck hurt?",
    ]


def test_new_article_with_a_taken_title_gets_its_own_address(tmp_path):
    for name in ["one.txt", "two.txt", "three.txt"]:
        write(tmp_path, name, "Neck pain\nIt is common.\n1. Posture\nSit up straight.\n")
    run_import(tmp_path)

    assert sorted(Article.objects.values_list("slug", flat=True)) == [
        "neck-pain",
        "neck-pain-2",
        "neck-pain-3",
    ]


# Bad input.


BAD_FILES = [
    pytest.param(b"", "file is empty", id="empty"),
    pytest.param(b"  \n\n\t\n", "file is empty", id="whitespace-only"),
    pytest.param(b"Neck pain\n\n", "only a title line, with no article text after it", id="title"),
    pytest.param(
        "Nacken\nSteifer Nacken tut weh.\n".encode("latin-1") + b"\xe9\xe8\n",
        "not UTF-8 text",
        id="latin-1",
    ),  # fmt: skip
    pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file, not text", id="binary"),
    pytest.param(
        b"Neck pain\nNeck pain is common.\nIt usually gets better.\n",
        "unknown format (expected a condition article with numbered sections, "
        "or questions each followed by an answer)",
        id="unknown-format",
    ),
    pytest.param(
        b"Why does my neck hurt?\nStrain.\nIs it serious?\n",
        "a question has no answer: Is it serious?",
        id="unanswered-question",
    ),
]


@pytest.mark.parametrize("content, reason", BAD_FILES)
def test_bad_file_gets_one_error_line_and_saves_nothing(tmp_path, content, reason):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)

    stdout, stderr = run_failing_import(path)

    assert stderr == f"error: {path}: {reason}\n"
    assert stdout == "Imported 1 file: 0 created, 0 updated, 1 failed.\n"
    assert not Article.objects.exists()


def test_missing_path_is_reported(tmp_path):
    missing = tmp_path / "nowhere.txt"
    stdout, stderr = run_failing_import(missing)

    assert stderr == f"error: {missing}: no such file or folder\n"
    assert stdout == "Imported 1 file: 0 created, 0 updated, 1 failed.\n"


def test_bad_reimport_leaves_the_existing_article_untouched(tmp_path):
    path = tmp_path / CONDITION_SAMPLE.name
    shutil.copy(CONDITION_SAMPLE, path)
    run_import(path, publish=True)
    before = ConditionArticle.objects.get()

    path.write_bytes(b"Neck pain\n\xff\xfe broken\n1. Section\ntext\n")
    _, stderr = run_failing_import(path, publish=True)

    after = ConditionArticle.objects.get()
    assert stderr == f"error: {path}: not UTF-8 text\n"
    assert (after.title, after.body, after.summary, after.updated_at) == (
        before.title,
        before.body,
        before.summary,
        before.updated_at,
    )
    assert symptom_names(after) == symptom_names(before)


def test_reimport_as_the_other_kind_of_article_fails_and_changes_nothing(tmp_path):
    path = tmp_path / "neck.txt"
    path.write_text("Neck pain\nIt is common.\n1. Posture\nSit up straight.\n")
    run_import(path)
    path.write_text("Why does my neck hurt?\nStrain.\n\nIs it serious?\nRarely.\n")

    _, stderr = run_failing_import(path)

    assert stderr.startswith(f"error: {path}: an earlier import of neck.txt made the Condition")
    assert stderr.count("\n") == 1
    assert ConditionArticle.objects.get().title == "Neck pain"
    assert not FaqArticle.objects.exists()


def test_mixed_run_imports_the_good_files_and_exits_with_an_error(tmp_path):
    empty = write(tmp_path, "empty.txt", "")

    stdout, stderr = run_failing_import(CONDITION_SAMPLE, empty, FAQ_SAMPLE)

    assert Article.objects.count() == 2
    # The FAQ sample's scraped leftovers are warned about too (see test_needs_editing.py).
    errors = [line for line in stderr.splitlines() if not line.startswith("warning: ")]
    assert errors == [f"error: {empty}: file is empty"]
    assert stdout.startswith(f"created: {CONDITION_TITLE}\ncreated: {FAQ_TITLE}\n")
    assert stdout.endswith("Imported 3 files: 2 created, 0 updated, 1 failed.\n")


def test_two_files_with_the_same_name_in_one_run_do_not_overwrite_each_other(tmp_path):
    first = write(tmp_path / "a", "neck.txt", "Neck pain\nCommon.\n1. Posture\nSit up.\n")
    second = write(tmp_path / "b", "neck.txt", "Neck ache\nCommon.\n1. Posture\nSit up.\n")

    _, stderr = run_failing_import(first, second)

    assert Article.objects.get().title == "Neck pain"
    assert stderr.startswith(f"error: {second}: same file name as {first}")


# Folders and --only-if-empty.


def test_folder_imports_its_txt_files_and_subfolders_in_order(tmp_path):
    article = "{title}\nIt is common.\n1. Posture\nSit up straight.\n"
    write(tmp_path, "b.txt", article.format(title="Second"))
    write(tmp_path, "a.txt", article.format(title="First"))
    (tmp_path / "more").mkdir()
    write(tmp_path / "more", "c.txt", article.format(title="Third"))
    write(tmp_path, "notes.md", "not an article")

    stdout, stderr = run_import(tmp_path)

    assert stdout == (
        "created: First\ncreated: Second\ncreated: Third\n"
        "Imported 3 files: 3 created, 0 updated, 0 failed.\n"
    )
    assert stderr == ""
    assert set(Article.objects.values_list("import_source", flat=True)) == {
        "a.txt",
        "b.txt",
        "c.txt",
    }


def test_sample_folder_imports_both_samples():
    stdout, _ = run_import(SAMPLES, publish=True)

    assert stdout.endswith("Imported 2 files: 2 created, 0 updated, 0 failed.\n")
    assert ConditionArticle.objects.published().count() == 1
    assert FaqArticle.objects.published().count() == 1


def test_only_if_empty_imports_into_an_empty_database():
    stdout, _ = run_import(SAMPLES, publish=True, only_if_empty=True)

    assert Article.objects.published().count() == 2
    assert "2 created" in stdout


def test_only_if_empty_does_nothing_when_articles_exist(tmp_path):
    run_import(CONDITION_SAMPLE)
    shutil.copy(FAQ_SAMPLE, tmp_path / "changed.txt")

    stdout, _ = run_import(tmp_path, CONDITION_SAMPLE, publish=True, only_if_empty=True)

    assert stdout == "Articles exist already, so nothing was imported (--only-if-empty).\n"
    assert Article.objects.get().status == Article.Status.DRAFT


# Hostile files: names, links, sizes and lengths cost little and are reported on one line.

GOOD = "{title}\nIt is common.\n1. Posture\nSit up straight.\n"


def write_named(folder: Path, name: bytes, text: str) -> None:
    """A file whose name is any bytes, as another program could make it."""
    descriptor = os.open(os.fsencode(folder) + b"/" + name, os.O_WRONLY | os.O_CREAT, 0o644)
    os.write(descriptor, text.encode())
    os.close(descriptor)


def test_a_file_name_that_is_not_utf8_is_reported_escaped_and_the_others_import(tmp_path):
    write(tmp_path, "a.txt", GOOD.format(title="First"))
    write_named(tmp_path, b"bad\xff\xfe.txt", GOOD.format(title="Bad name"))
    write(tmp_path, "c.txt", GOOD.format(title="Third"))

    stdout, stderr = run_failing_import(tmp_path)

    assert stderr == (
        f"error: {tmp_path}/bad\\xff\\xfe.txt: the file name isn't UTF-8 text; rename the file\n"
    )
    assert stdout == (
        "created: First\ncreated: Third\nImported 3 files: 2 created, 0 updated, 1 failed.\n"
    )
    assert sorted(Article.objects.values_list("title", flat=True)) == ["First", "Third"]


def test_a_line_break_in_a_file_name_cannot_forge_a_line_of_output(tmp_path):
    write_named(tmp_path, b"x\nerror: all is fine.txt", "")
    write(tmp_path, "good.txt", GOOD.format(title="Good"))

    stdout, stderr = run_failing_import(tmp_path)

    assert stderr == (
        f"error: {tmp_path}/x\\nerror: all is fine.txt: "
        "the file name has a line break or other control character in it; rename the file\n"
    )
    assert stdout.splitlines()[0] == "created: Good"


def test_control_characters_in_a_name_on_the_command_line_are_escaped(tmp_path):
    missing = f"{tmp_path}/\x1b[2Jgone\r.txt"

    _, stderr = run_failing_import(missing)

    assert stderr == f"error: {tmp_path}/\\x1b[2Jgone\\r.txt: no such file or folder\n"


def test_a_symbolic_link_in_a_folder_is_reported_and_not_followed(tmp_path):
    outside = write(tmp_path / "outside", "secret.txt", GOOD.format(title="Secret"))
    folder = tmp_path / "articles"
    write(folder, "good.txt", GOOD.format(title="Good"))
    (folder / "link.txt").symlink_to(outside)
    (folder / "passwd.txt").symlink_to("/etc/passwd")
    (folder / "linked-folder").symlink_to(outside.parent, target_is_directory=True)

    stdout, stderr = run_failing_import(folder)

    assert stderr.splitlines() == [
        f"error: {folder}/link.txt: a symbolic link; not followed",
        f"error: {folder}/linked-folder: a symbolic link; not followed",
        f"error: {folder}/passwd.txt: a symbolic link; not followed",
    ]
    assert stdout.endswith("Imported 4 files: 1 created, 0 updated, 3 failed.\n")
    assert list(Article.objects.values_list("title", flat=True)) == ["Good"]


def test_a_symbolic_link_named_on_the_command_line_is_not_followed(tmp_path):
    outside = write(tmp_path, "secret.txt", GOOD.format(title="Secret"))
    link = tmp_path / "link.txt"
    link.symlink_to(outside)
    folder_link = tmp_path / "folder-link"
    folder_link.symlink_to(tmp_path, target_is_directory=True)

    _, stderr = run_failing_import(link, folder_link)

    assert stderr == (
        f"error: {link}: a symbolic link; not followed\n"
        f"error: {folder_link}: a symbolic link; not followed\n"
    )
    assert not Article.objects.exists()


def test_a_file_over_one_megabyte_is_refused_without_reading_it_all(tmp_path):
    huge = tmp_path / "huge.txt"
    with huge.open("wb") as file:
        file.truncate(50 * 1024 * 1024)  # 50 MB of holes: size without the disk space

    _, stderr = run_failing_import(huge)

    assert stderr == f"error: {huge}: file too large (52,428,800 bytes, at most 1,000,000)\n"


def test_a_file_of_one_megabyte_is_read(tmp_path):
    text = GOOD.format(title="Long") + "Sit up straight. " * 58_823
    path = write(tmp_path, "long.txt", text[:1_000_000])

    _, stderr = run_failing_import(path)

    # Read and parsed: what stops it is the length of its text, as one paragraph.
    assert re.fullmatch(
        rf"error: {path}: the article's text: This text is 1,000,\d\d\d characters long; "
        r"the most a field can hold is 50,000\.\n",
        stderr,
    )


def faq_text(questions: int, word: str = "strain") -> str:
    return "\n\n".join(
        f"Why does my neck hurt after thing {number}?\nUsually {word} from thing {number}."
        for number in range(questions)
    )


def test_an_faq_of_more_than_100_questions_is_refused(tmp_path):
    path = write(tmp_path, "faq.txt", faq_text(101))

    _, stderr = run_failing_import(path)

    assert stderr == f"error: {path}: too many questions (101, at most 100)\n"
    assert not Article.objects.exists()


def test_an_faq_of_100_questions_is_imported(tmp_path):
    run_import(write(tmp_path, "faq.txt", faq_text(100)))

    assert FaqItem.objects.count() == 100
    assert MAX_QUESTIONS == 100


def test_markdown_that_would_be_too_costly_to_render_is_refused_naming_the_part(tmp_path):
    faq = write(
        tmp_path,
        "faq.txt",
        "Is it serious?\nRarely.\n\nWhy does it hurt?\n" + "[" * 50_000 + "\n",
    )
    condition = write(tmp_path, "condition.txt", GOOD.format(title="Long") + "x" * 60_000)

    _, stderr = run_failing_import(faq, condition)

    answer_problem, body_problem = stderr.splitlines()
    assert answer_problem.startswith(
        f"error: {faq}: the answer to “Why does it hurt?”: This text has too much formatting "
        "to show quickly: 50,001 paragraphs, list items, headings, table cells, links and "
        "other marks in 50,000 characters (50,000 of them “[”), about "
    )
    assert body_problem == (
        f"error: {condition}: the article's text: This text is 60,050 characters long; the "
        "most a field can hold is 50,000."
    )
    assert not Article.objects.exists()


# Cost: an FAQ's questions are written in bulk, so importing costs the same whatever their
# number (receivers on each question re-read the whole FAQ: a cost growing as its square).


# Reviewed content: a published article's re-import goes into its working copy.


def test_reimport_of_a_published_article_leaves_it_live_and_unchanged(client, tmp_path):
    path = write(tmp_path, "whiplash.txt", "Whiplash\nIntro text.\n1. Causes\nA fall.\n")
    run_import(path, publish=True)
    live = ConditionArticle.objects.get()
    page = client.get(live.get_absolute_url()).content
    revisions = Version.objects.get_for_object(live).count()

    path.write_text("Whiplash\nNew intro text.\n1. Causes\nA fall on ice.\n")
    stdout, _ = run_import(path, publish=True)

    assert stdout.startswith("updated the working copy of: Whiplash\n")
    assert client.get(live.get_absolute_url()).content == page
    after = ConditionArticle.objects.get(pk=live.pk)
    assert (after.body, after.updated_at) == (live.body, live.updated_at)
    assert Version.objects.get_for_object(live).count() == revisions
    copy = ConditionArticle.objects.get(live_article=live)
    assert copy.summary == "New intro text." and "A fall on ice." in copy.body
    assert copy.status == Article.Status.DRAFT  # --publish never publishes reviewed content
    assert Version.objects.get_for_object(copy).first().revision.comment == (
        "Imported from whiplash.txt"
    )
    event = AuditEvent.objects.filter(action=AuditEvent.Action.IMPORTED).first()
    assert (event.article_id, event.detail) == (
        live.pk,
        "Imported from whiplash.txt into its working copy",
    )

    # Importing it again finds the working copy already holds it.
    stdout, _ = run_import(path)
    assert stdout.startswith("unchanged: Whiplash\n")
    assert ConditionArticle.objects.filter(live_article=live).count() == 1


def test_reimport_of_a_draft_updates_it_as_a_new_revision(tmp_path):
    path = write(tmp_path, "whiplash.txt", "Whiplash\nIntro text.\n1. Causes\nA fall.\n")
    run_import(path)
    path.write_text("Whiplash\nNew intro text.\n1. Causes\nA fall.\n")
    run_import(path)

    draft = ConditionArticle.objects.get()
    assert draft.summary == "New intro text."
    assert [v.revision.comment for v in Version.objects.get_for_object(draft)] == [
        "Imported from whiplash.txt",
        "Imported from whiplash.txt",
    ]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.IMPORTED, article=draft).count() == 2


def test_dry_run_reports_each_file_and_saves_nothing(tmp_path):
    changed = write(tmp_path, "whiplash.txt", "Whiplash\nIntro text.\n1. Causes\nA fall.\n")
    same = write(tmp_path, "same.txt", "Stiff neck\nIntro text.\n1. Causes\nA draught.\n")
    run_import(changed, same, publish=True)
    changed.write_text("Whiplash\nNew intro text.\n1. Causes\nA fall.\n")
    new = write(tmp_path, "new.txt", "Wry neck\nIntro text.\n1. Causes\nSleeping.\n")
    before = (Article.objects.count(), Version.objects.count(), AuditEvent.objects.count())

    stdout, _ = run_import(changed, same, new, dry_run=True)

    assert stdout == (
        "changed (summary): Whiplash\n"
        "unchanged: Stiff neck\n"
        "new: Wry neck\n"
        "Dry run, nothing saved. 3 files: 1 new, 1 changed, 1 unchanged, 0 failed.\n"
    )
    assert (Article.objects.count(), Version.objects.count(), AuditEvent.objects.count()) == before
    assert "New intro" not in ConditionArticle.objects.get(title="Whiplash").body


def test_publish_does_not_republish_an_article_a_reviewer_took_down(tmp_path):
    path = write(tmp_path, "whiplash.txt", "Whiplash\nIntro text.\n1. Causes\nA fall.\n")
    run_import(path, publish=True)
    Article.objects.get().unpublish()

    run_import(path, publish=True)

    assert Article.objects.get().status == Article.Status.UNPUBLISHED


def import_queries(path: Path) -> int:
    with CaptureQueriesContext(connection) as queries:
        run_import(path)
    return len(queries)


def test_importing_100_questions_costs_the_same_queries_as_10(tmp_path):
    ten = import_queries(write(tmp_path / "a", "ten.txt", faq_text(10)))
    hundred = import_queries(write(tmp_path / "b", "hundred.txt", faq_text(100)))

    assert hundred <= ten
    assert FaqItem.objects.count() == 110


def test_importing_100_questions_again_costs_the_same_queries_as_10(tmp_path):
    ten, hundred = tmp_path / "ten.txt", tmp_path / "hundred.txt"
    ten.write_text(faq_text(10))
    hundred.write_text(faq_text(100))
    run_import(ten, hundred)
    ten.write_text(faq_text(10, word="posture"))
    hundred.write_text(faq_text(100, word="posture"))

    assert import_queries(hundred) <= import_queries(ten)
    assert FaqItem.objects.filter(answer__contains="posture").count() == 110


def test_imported_questions_are_searchable_graded_and_shown_once_published(
    client, tmp_path, reviewer
):
    path = write(tmp_path, "faq.txt", faq_text(30))
    run_import(path, publish=True)
    faq = FaqArticle.objects.get()
    assert client.get(faq.get_absolute_url()).status_code == 200  # now cached
    grade = faq.reading_grade

    path.write_text(faq_text(30, word="whiplash, a sudden jolt of the head") + "\n")
    run_import(path)
    # The live page is reviewed content: the import went into its working copy, which a
    # medical reviewer publishes.
    assert search("whiplash").hits == []
    assert "whiplash" not in client.get(faq.get_absolute_url()).content.decode()
    copy = working_copies.working_copy_of(faq)
    ready_to_publish(copy)  # signed off by Sam: the publish gate is tested on its own
    working_copies.publish(copy, reviewer)

    faq.refresh_from_db()
    assert [hit.article.pk for hit in search("whiplash").hits] == [faq.pk]
    assert search("strain").hits == []
    assert faq.reading_grade == faq.readability().overall != grade
    assert "whiplash" in client.get(faq.get_absolute_url()).content.decode()
    assert [item.position for item in faq.items.all()] == list(range(30))
    assert all(item.answer_html.startswith("<p>Usually whiplash") for item in faq.items.all())


def test_publishing_unreviewed_imports_is_refused_outside_sample_sites(settings):
    # A production site: only a medical reviewer's sign-off puts an import in front of readers.
    settings.PUBLISH_UNREVIEWED_IMPORTS = False

    with pytest.raises(CommandError, match="no medical reviewer has signed off"):
        run_import(CONDITION_SAMPLE, publish=True)
    assert not Article.objects.exists()

    run_import(CONDITION_SAMPLE)  # as drafts, for a reviewer
    assert Article.objects.get().status == Article.Status.DRAFT
    assert not Article.objects.published().exists()
