"""Which "when to get medical help" level an imported sentence goes into (care_levels.py).

Only clear cues put a sentence under "call 111 if:" or "call 999 or go to A&E if:"; vague haste
and general advice go under "see a GP if:", and advice that help isn't needed stays in the body.
"""

from pathlib import Path

import pytest
from django.conf import settings

from conditions.care_levels import EMERGENCY, NON_URGENT, URGENT, care_level
from conditions.importer import parse_article, split_sentences
from tests.test_importer import run_import, write

# The seed documents as shipped, and the team's shared copy beside the checkout where there is
# one (as test_markdown reads them).
SHARED_SEEDS = Path(settings.BASE_DIR).parent / "shared" / "seeds"
SEED_FOLDERS = [
    pytest.param(Path(settings.BASE_DIR) / "conditions" / "sample_content", id="sample content"),
    *([pytest.param(SHARED_SEEDS, id="shared seeds")] if SHARED_SEEDS.is_dir() else []),
]
CONDITION_SEED = "000_cf1e57f4803ac2d1.txt"
PROMPTLY = "If discomfort occurs, seek medical attention promptly to avoid delaying treatment."


@pytest.mark.parametrize(
    "sentence",
    [
        "Call 999 if you also have a rash and a fever.",
        "Go to A&E if you lose consciousness, even briefly.",
        "Get medical help if the headache is sudden and severe.",
        "Seek emergency medical attention if you cannot breathe.",
        "Do not hesitate to call 999 if your speech is slurred.",
        "See a doctor straight away if you have a seizure: this is a medical emergency.",
    ],
)
def test_clear_emergency_cues_go_under_call_999(sentence):
    assert care_level(sentence) == EMERGENCY


@pytest.mark.parametrize(
    "sentence",
    [
        "Call 111 if you feel very unwell.",
        "If it doesn't stop, call 111.",
        "See a GP today if you also have a fever.",
        "Seek medical help within a few hours if your arm goes numb.",
        "See a doctor if the pain is severe.",
        "Get medical advice urgently if the stiffness came on suddenly.",
        "See a GP if the pain is getting worse quickly.",
        # The author named 111: a sudden, severe sign doesn't move it to 999.
        "Call 111 if the pain is sudden and severe.",
    ],
)
def test_clear_urgent_cues_go_under_call_111(sentence):
    assert care_level(sentence) == URGENT


@pytest.mark.parametrize(
    "sentence",
    [
        PROMPTLY,
        "See a GP if it doesn't improve within two weeks.",
        "Consult a healthcare professional as soon as possible if symptoms persist.",
        "Seek medical advice in time to avoid complications.",
        "See a GP if the pain lasts: 112 people in one study needed no more than that.",
        # Negated cues.
        "This is not an emergency, but see a GP if it lasts more than a week.",
        "See a GP if the pain is not severe but keeps coming back.",
        "It is rarely an emergency, so see a GP if you are worried.",
        "Visit your doctor if it is non-urgent.",
        "See a GP if the pain isn't sudden but has lasted for months.",
        "Do not call 999 for a stiff neck alone; see a GP if it lasts.",
    ],
)
def test_general_advice_goes_under_see_a_gp_never_urgent(sentence):
    assert care_level(sentence) == NON_URGENT


@pytest.mark.parametrize(
    "sentence",
    [
        "You don't need to see a GP for most neck pain.",
        "There is no need to seek medical attention for a mild stiff neck.",
        "Sudden severe pain can be a sign of a bleed.",  # no advice to get help
        "Follow medical advice and use medications to relieve symptoms.",
    ],
)
def test_sentences_that_do_not_advise_getting_help_stay_in_the_body_only(sentence):
    assert care_level(sentence) is None


@pytest.mark.parametrize("folder", SEED_FOLDERS)
def test_the_seed_condition_has_no_urgent_or_emergency_advice(folder):
    parsed = parse_article((folder / CONDITION_SEED).read_text())

    levels = parsed.medical_help_by_level
    assert levels == {"emergency": "", "urgent": "", "non_urgent": PROMPTLY}


@pytest.mark.parametrize("folder", SEED_FOLDERS)
def test_no_sentence_of_either_seed_is_urgent_or_an_emergency(folder):
    # The FAQ seed's answers aren't sorted into levels (an FAQ has none), but none of its
    # sentences has a clear cue either: "a sudden muscle strain" advises nothing.
    for path in sorted(folder.glob("*.txt")):
        for sentence in split_sentences(path.read_text()):
            assert care_level(sentence) in (None, NON_URGENT), sentence


@pytest.mark.django_db
def test_imported_article_page_reads_see_a_gp_for_general_advice(client, tmp_path):
    path = write(
        tmp_path,
        "a.txt",
        f"Stiff neck\n{PROMPTLY}\n1. Meningitis\nCall 999 if you also have a rash and a fever.\n"
        "It is common.\n",
    )
    run_import(path, publish=True)

    page = client.get("/conditions/stiff-neck/").content.decode()
    care = page[page.index('id="care-title"') :]
    see_a_gp = care[care.index("See a GP if:") : care.index("Call <a")]
    assert PROMPTLY in see_a_gp
    assert "call <a" not in see_a_gp.lower()
    emergency = care[care.index("Immediate action required") :]
    assert "Call 999 if you also have a rash and a fever." in emergency
    assert PROMPTLY not in emergency


@pytest.mark.parametrize(
    "piece", ["not an ", "seek ", "sudden, ", "within ", "getting worse ", "n't ", "a ", "see a "]
)
def test_a_long_hostile_sentence_is_sorted_without_backtracking(piece):
    # Cues, negations and near-misses repeated: a pattern with a repetition inside a
    # repetition would take minutes here, not milliseconds.
    assert care_level(piece * 20_000) is None
    assert care_level(piece * 20_000 + ". Call 999.") == EMERGENCY
