"""`manage.py generate_demo_content N [--symptoms S] [--seed 1] [--faq-share 0.3]`.

Fills a database with many realistic, published articles for benchmarks and load tests. It
writes rows in bulk (no save(), no signals, no revisions), so it must never run against a
database with real content.
"""

import multiprocessing
import os
import random
import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.text import slugify

from conditions import search
from conditions.content_version import new_content_version
from conditions.importer import lowercase_name
from conditions.markdown import render_markdown
from conditions.models import (
    Article,
    ConditionArticle,
    FaqArticle,
    FaqItem,
    SlugRedirect,
    Symptom,
    TaggedArticle,
    first_free,
    review_due_after,
)
from conditions.narrowing import recount_shared_symptoms

# Rows per INSERT: well under SQLite's and PostgreSQL's limits on query parameters.
BATCH_SIZE = 500


@dataclass(frozen=True)
class Condition:
    name: str  # as written mid-sentence
    about: str  # completes "<name> is …"
    symptoms: tuple[str, ...]  # names from the shipped vocabulary
    causes: tuple[str, ...]
    treatments: tuple[str, ...]


# British spellings on purpose (anaemia, oedema, tumour, haemorrhage, manoeuvre, orthopaedic):
# the search benchmark measures whether "anemia" still finds "anaemia".
CONDITIONS = [
    Condition(
        "cervical spondylosis",
        "age-related wear and tear of the discs and joints in the neck",
        ("Neck pain", "Neck stiffness", "Reduced neck movement", "Headache", "Arm numbness"),
        ("the discs between the neck bones slowly losing water", "small bony growths"),
        ("physiotherapy", "a short course of stronger painkillers"),
    ),
    Condition(
        "whiplash",
        "a neck injury caused by the head being jolted forwards and backwards",
        ("Neck pain", "Neck stiffness", "Headache", "Shoulder pain", "Dizziness"),
        ("a car accident", "a fall", "a sudden blow during contact sport"),
        ("physiotherapy", "gentle exercises to keep the neck moving"),
    ),
    Condition(
        "tension headache",
        "a common headache that feels like a tight band around the head",
        ("Headache", "Muscle tension", "Neck pain", "Pain behind the eyes", "Sleep problems"),
        ("stress", "poor posture", "missed meals", "not drinking enough water"),
        ("regular exercise", "relaxation techniques", "a short course of painkillers"),
    ),
    Condition(
        "occipital neuralgia",
        "irritation of the nerves that run from the top of the neck over the scalp",
        ("Pain at the base of the skull", "Shooting pain", "Headache", "Sensitivity to light"),
        ("tight neck muscles pressing on a nerve", "an old neck injury"),
        ("a nerve block injection", "physiotherapy", "heat and massage"),
    ),
    Condition(
        "torticollis",
        "a twisted neck, where tight muscles pull the head to one side",
        ("Neck pain", "Muscle spasm", "Reduced neck movement", "Neck stiffness"),
        ("sleeping in an awkward position", "a draught on the neck", "a minor strain"),
        ("heat packs", "gentle stretches", "muscle-relaxing medicine for a few days"),
    ),
    Condition(
        "anaemia",
        "having fewer healthy red blood cells than usual, often because of low iron",
        ("Fatigue", "Pale skin", "Dizziness", "Palpitations", "Headache", "Weakness"),
        ("heavy periods", "a diet low in iron", "bleeding in the gut", "pregnancy"),
        ("iron tablets", "a change of diet", "treating the cause of blood loss"),
    ),
    Condition(
        "migraine",
        "a moderate or severe headache, often a throbbing pain on one side of the head",
        ("Headache", "Nausea", "Sensitivity to light", "Blurred vision", "Dizziness"),
        ("hormonal changes", "tiredness", "certain foods and drinks", "bright lights"),
        ("triptan medicines", "anti-sickness medicine", "keeping a headache diary"),
    ),
    Condition(
        "TMJ disorder",
        "a problem with the jaw joint and the muscles that move it",
        ("Jaw pain", "Headache", "Ringing in the ears", "Muscle tension"),
        ("grinding your teeth at night", "clenching your jaw when stressed", "an uneven bite"),
        ("a mouth guard", "jaw exercises", "soft foods for a while"),
    ),
    Condition(
        "herniated disc",
        "a disc between the neck bones bulging out and pressing on a nerve",
        ("Neck pain", "Arm numbness", "Tingling", "Weakness", "Shooting pain"),
        ("lifting something heavy", "twisting awkwardly", "age-related wear of the discs"),
        ("physiotherapy", "a steroid injection", "surgery, in a small number of people"),
    ),
    Condition(
        "cervical radiculopathy",
        "a trapped nerve in the neck",
        ("Arm numbness", "Tingling", "Shooting pain", "Weakness", "Shoulder pain"),
        ("a herniated disc", "narrowing of the space the nerve passes through"),
        ("physiotherapy", "nerve pain medicine", "a referral to an orthopaedic specialist"),
    ),
    Condition(
        "poor posture",
        "sitting or standing in a way that strains the muscles of the neck and back",
        ("Neck pain", "Upper back pain", "Muscle tension", "Headache"),
        ("looking down at a phone for hours", "a screen set too low", "slouching at a desk"),
        ("a better desk set-up", "regular breaks", "strengthening exercises"),
    ),
    Condition(
        "neck muscle strain",
        "an overstretched or slightly torn muscle in the neck",
        ("Neck pain", "Muscle spasm", "Neck stiffness", "Reduced neck movement"),
        ("a sudden movement", "carrying a heavy bag on one shoulder", "a long drive"),
        ("rest for a day or two", "heat packs", "gentle stretches"),
    ),
    Condition(
        "anxiety",
        "a feeling of worry or fear that can be hard to control",
        ("Anxiety", "Palpitations", "Dizziness", "Muscle tension", "Sleep problems"),
        ("stress at work or at home", "a frightening experience", "too much caffeine"),
        ("talking therapy", "breathing exercises", "self-help courses"),
    ),
    Condition(
        "benign paroxysmal positional vertigo (BPPV)",
        "brief spinning dizziness set off by moving the head",
        ("Dizziness", "Nausea", "Unsteady walking"),
        ("tiny crystals moving into the wrong part of the inner ear", "a head injury"),
        ("the Epley manoeuvre", "balance exercises"),
    ),
    Condition(
        "labyrinthitis",
        "an inner ear infection that affects balance and hearing",
        ("Dizziness", "Nausea", "Ringing in the ears", "Unsteady walking"),
        ("a cold or flu virus", "a bacterial infection"),
        ("rest", "anti-sickness medicine", "balance exercises"),
    ),
    Condition(
        "meningitis",
        "an infection of the layers that protect the brain and spinal cord",
        ("Fever", "Neck stiffness", "Headache", "Sensitivity to light", "Confusion"),
        ("a viral infection", "a bacterial infection"),
        ("urgent treatment in hospital",),
    ),
    Condition(
        "glandular fever",
        "a viral infection that is most common in teenagers and young adults",
        ("Swollen glands", "Fever", "Fatigue", "Difficulty swallowing"),
        ("the Epstein-Barr virus",),
        ("rest", "plenty of fluids", "paracetamol for pain and fever"),
    ),
    Condition(
        "an underactive thyroid",
        "the thyroid gland in the neck not making enough hormones",
        ("Fatigue", "Weakness", "Swollen glands", "Difficulty swallowing"),
        ("an autoimmune condition", "treatment for an overactive thyroid"),
        ("daily hormone tablets", "regular blood tests"),
    ),
    Condition(
        "fibromyalgia",
        "a long-term condition that causes pain all over the body",
        ("Fatigue", "Sleep problems", "Neck pain", "Muscle tension", "Confusion"),
        ("problems with how the brain handles pain signals", "a stressful event"),
        ("regular gentle exercise", "talking therapy", "pain medicine"),
    ),
    Condition(
        "polymyalgia rheumatica",
        "a condition that causes pain and stiffness in the shoulders, neck and hips",
        ("Shoulder pain", "Neck stiffness", "Fatigue", "Fever"),
        ("inflammation of the tissues around the joints",),
        ("steroid tablets", "regular check-ups"),
    ),
    Condition(
        "vertebral artery dissection",
        "a rare tear in one of the arteries in the neck",
        ("Neck pain", "Headache", "Dizziness", "Double vision", "Unsteady walking"),
        ("a neck injury", "sudden, forceful neck movements"),
        ("urgent treatment in hospital", "blood-thinning medicine"),
    ),
    Condition(
        "subarachnoid haemorrhage",
        "bleeding on the surface of the brain, which needs emergency treatment",
        ("Headache", "Neck stiffness", "Sensitivity to light", "Confusion", "Nausea"),
        ("a burst blood vessel in the brain", "a head injury"),
        ("emergency treatment in hospital",),
    ),
    Condition(
        "a tumour in the neck",
        "a lump of abnormal cells, which is usually not cancer",
        ("Swollen glands", "Difficulty swallowing", "Neck pain"),
        ("cells growing when they should not",),
        ("tests at a hospital clinic", "surgery or other treatment, depending on the type"),
    ),
    Condition(
        "lymphoedema",
        "swelling caused by a build-up of fluid, sometimes after cancer treatment",
        ("Swollen glands", "Difficulty swallowing", "Reduced neck movement"),
        ("damage to the lymph nodes", "radiotherapy to the head and neck"),
        ("special massage", "compression garments", "skin care"),
    ),
    Condition(
        "postural hypotension",
        "a drop in blood pressure when you stand up",
        ("Dizziness", "Blurred vision", "Fatigue", "Confusion"),
        ("dehydration", "some blood pressure medicines", "standing up too quickly"),
        ("a change of medicine", "drinking more fluids", "getting up slowly"),
    ),
    Condition(
        "sinusitis",
        "swelling of the sinuses, usually after a cold",
        ("Headache", "Pain behind the eyes", "Fever", "Fatigue"),
        ("a cold", "allergies"),
        ("saltwater nasal rinses", "painkillers", "steroid nasal sprays"),
    ),
    Condition(
        "thoracic outlet syndrome",
        "pressure on the nerves or blood vessels between the collarbone and first rib",
        ("Arm numbness", "Tingling", "Shoulder pain", "Weakness"),
        ("poor posture", "repetitive overhead work", "an extra rib"),
        ("physiotherapy", "posture exercises"),
    ),
    Condition(
        "cluster headache",
        "severe attacks of pain on one side of the head, often around the eye",
        ("Headache", "Pain behind the eyes", "Sleep problems"),
        ("smoking", "alcohol during a cluster period"),
        ("oxygen therapy", "injections of a triptan medicine"),
    ),
]

TRIGGERS = [
    "a long day at a desk",
    "sleeping in an awkward position",
    "a sudden jolt, such as a car accident",
    "lifting something heavy",
    "a stressful few weeks",
    "hours of looking down at a phone",
    "a cold or flu",
    "not drinking enough water",
    "carrying a heavy bag on one shoulder",
    "a long drive",
    "a new exercise routine",
]

CONTEXTS = [
    " at night",
    " in the morning",
    " when turning your head",
    " after sitting at a desk",
    " when lying down",
    " after exercise",
]

ADVICE = [
    "Keep your neck moving gently: resting it for too long can make stiffness worse.",
    "Take paracetamol or ibuprofen for a few days if you need to.",
    "Hold a heat pack or a hot water bottle wrapped in a towel on the sore area for "
    "15 minutes at a time.",
    "Set up your screen at eye level and take a short break every 30 minutes.",
    "Try gentle neck stretches: tilt your ear towards your shoulder and hold for 10 seconds.",
    "Sleep on a low, firm pillow.",
    "Drink plenty of fluids and eat regular meals.",
    "Keep a diary of when your symptoms start, so you can spot a pattern.",
    "Do not drive or use machinery while you feel dizzy.",
    "Get up slowly from sitting or lying down.",
    "Try to relax your shoulders and unclench your jaw during the day.",
    "Cut down on caffeine and alcohol, especially in the evening.",
    "Go for a short walk every day: gentle movement often helps more than rest.",
    "A pharmacist can suggest painkillers or creams that may help.",
]

SEE_A_GP_IF = [
    "{symptom} has not improved after 2 weeks",
    "{symptom} keeps coming back",
    "painkillers are not helping",
    "you are worried about {symptom}",
    "you also have {symptom2}",
    "{symptom} stops you doing your usual activities",
]

URGENT = [
    "a severe headache that came on suddenly, like a blow to the head",
    "a stiff neck with a high temperature and a rash that does not fade under a glass",
    "weakness or numbness on one side of your face or body",
    "slurred speech or difficulty finding words",
    "pain, tingling or weakness in both arms or both legs",
    "loss of bladder or bowel control",
    "sudden double vision or loss of sight",
]

REVIEWERS = [
    "Dr Asha Patel, MRCGP (general practitioner)",
    "Dr Tom Hughes, FRCP (neurologist)",
    "Sarah Mensah, MCSP (physiotherapist)",
    "Dr Ioana Radu, FRCS (orthopaedic surgeon)",
    "Dr Liam O'Connor, MRCGP (general practitioner)",
    "Dr Mei Chen, FRCP (haematologist)",
]

# Generated symptoms are "<sensation> <site>". A sensation is offered only for the kinds of
# site it makes sense for ("weakness" in the fingers, not in the forehead).
HEAD = [
    "at the back of the head", "at the top of the head", "across the forehead",
    "in the temples", "behind the left eye", "behind the right eye", "around the eyes",
    "behind the left ear", "behind the right ear", "in the jaw joint", "in the face",
    "in the scalp", "in the cheekbones", "under the chin",
]  # fmt: skip
NECK = [
    "in the left side of the neck", "in the right side of the neck", "at the front of the neck",
    "at the back of the neck", "in the left shoulder blade", "in the right shoulder blade",
    "between the shoulder blades", "in the left shoulder", "in the right shoulder",
    "along the collarbone", "in the throat", "at the top of the spine",
]  # fmt: skip
LIMBS = [
    "in the left arm", "in the right arm", "down the left arm", "down the right arm",
    "in the upper arm", "in the elbow", "in the forearm", "in the wrist", "in the hands",
    "in the left hand", "in the right hand", "in the fingers", "in the thumb",
    "in the little finger", "in the fingertips",
]  # fmt: skip

# sensation: (where it makes sense, other words readers use for it)
SENSATIONS = {
    "Pain": (HEAD + NECK + LIMBS, ["ache", "soreness"]),
    "Aching": (HEAD + NECK + LIMBS, ["dull ache"]),
    "Tingling": (HEAD + NECK + LIMBS, ["pins and needles", "prickling"]),
    "Numbness": (HEAD + NECK + LIMBS, ["loss of feeling", "reduced sensation"]),
    "Burning": (HEAD + NECK + LIMBS, ["burning sensation", "burning feeling"]),
    "Tenderness": (HEAD + NECK + LIMBS, ["soreness when touched"]),
    "Stabbing pain": (HEAD + NECK + LIMBS, ["sharp pain", "knife-like pain"]),
    "Stiffness": (NECK + LIMBS, ["tightness"]),
    "Swelling": (NECK + LIMBS, ["puffiness", "oedema"]),
    "Cramp": (NECK + LIMBS, ["cramping", "spasms"]),
    "Throbbing": (HEAD + NECK, ["pulsing pain"]),
    "Twitching": (HEAD + LIMBS, ["muscle twitches", "flickering"]),
    "Heaviness": (HEAD + LIMBS, ["heavy feeling"]),
    "Pressure": (HEAD, ["feeling of pressure", "squeezing feeling"]),
    "Weakness": (LIMBS, ["loss of strength"]),
    "Coldness": (LIMBS, ["cold feeling"]),
}

# Vocabulary synonyms that read well where a sentence needs a noun ("What causes vertigo?").
# Others ("dizzy", "neck hurts") are for matching readers' words, not for writing.
NOUN_SYNONYMS = {
    "stiff neck", "crick in the neck", "vertigo", "light-headedness", "giddiness", "sore neck",
    "neck ache", "cervical pain", "sore shoulder", "shoulder ache", "numb arm", "dead arm",
    "numbness in the arm", "head pain", "migraine", "muscle cramp", "muscle knot", "tiredness",
    "exhaustion", "lack of energy", "heart palpitations", "racing heart", "pins and needles",
    "prickling", "loss of feeling", "muscle weakness", "loss of strength", "sore jaw",
    "jaw ache", "TMJ pain", "blurry vision", "fuzzy vision", "queasiness", "pallor",
    "muscle tightness", "tight neck muscles", "occipital pain", "pain in the back of the head",
    "balance problems", "loss of balance", "unsteadiness", "nervousness", "emotional stress",
    "high temperature", "light sensitivity", "photophobia", "disorientation", "brain fog",
    "tinnitus", "buzzing in the ears", "radiating pain", "stabbing pain", "pain behind the eye",
    "pressure behind the eye", "limited neck movement", "reduced range of motion",
    "upper back ache", "pain between the shoulder blades", "trouble swallowing", "dysphagia",
    "painful swallowing", "swollen neck glands", "insomnia", "trouble sleeping", "poor sleep",
    "disturbed sleep", "diplopia",
}  # fmt: skip

SYMPTOM_CAUSES = [
    "tight or tired muscles",
    "a trapped nerve in the neck",
    "poor posture",
    "a minor strain",
    "stress",
    "an old injury",
    "inflammation around a joint",
]
SYMPTOM_OUTLOOKS = [
    "usually settles within a few days",
    "usually gets better within a few weeks",
    "often comes and goes",
    "is rarely a sign of anything serious",
]

# Natural questions readers type: "Why does my neck click when I turn my head?"
BODY_PARTS = {
    "neck": ["click", "crack", "ache", "hurt", "feel stiff"],
    "head": ["hurt", "throb", "feel heavy", "spin"],
    "jaw": ["click", "ache", "lock"],
    "shoulder": ["ache", "hurt", "click"],
    "fingers": ["tingle", "go numb"],
    "arm": ["go numb", "tingle", "ache"],
}
ACTIONS = [
    "when I turn my head",
    "when I look down",
    "when I wake up",
    "when I lie down",
    "when I stand up",
    "when I cough",
    "when I chew",
    "after sitting at my desk",
    "when I look up",
    "after lifting something",
    "at night",
]
SPASMING = ["neck", "shoulder", "jaw", "upper back"]

CONDITION_TITLES = [
    "{Condition}: causes, symptoms and treatment",
    "What causes {symptom}{context}?",
    "Can {condition} cause {symptom}?",
    "{Symptom} and {symptom2}: what could it be?",
    "{Symptom} after {trigger}",
    "Is {symptom} a sign of {condition}?",
    "{Symptom}{context}: common causes and what helps",
    "Why do I get {symptom}{context}?",
]
FAQ_TITLES = [
    "{Condition}: your questions answered",
    "Common questions about {symptom}",
    "{Symptom}: questions people often ask",
    "Living with {condition}: common questions",
    "{Symptom} and {symptom2}: your questions answered",
]
QUESTIONS = [
    "What causes {symptom}?",
    "Can {condition} cause {symptom}?",
    "Is {symptom} serious?",
    "How long does {symptom} last?",
    "Why is {symptom} worse at night?",
    "Should I see a GP about {symptom}?",
    "Can stress cause {symptom}?",
    "Does {condition} go away on its own?",
    "What exercises help with {condition}?",
    "Can children get {condition}?",
    "Is it safe to exercise with {condition}?",
    "How is {condition} treated?",
    "Why does my neck click when I turn my head?",
    "Why do I feel dizzy when I stand up?",
    "Why does my neck keep spasming?",
]


def capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass
class DemoSymptom:
    id: int
    name: str
    synonyms: list[str]

    def term(self, rng: random.Random) -> str:
        """The symptom as a reader would write it: its name, or now and then a synonym."""
        if self.synonyms and rng.random() < 0.3:
            return rng.choice(self.synonyms)
        return lowercase_name(self.name)


@dataclass
class DemoArticle:
    kind: str
    title: str
    summary: str
    symptom_ids: list[int]
    body: str = ""
    when_to_get_medical_help: str = ""
    intro: str = ""
    items: list[tuple[str, str]] = field(default_factory=list)


def all_generated_names() -> set[str]:
    """Every name `generated_symptom_names` can make, lower-cased."""
    return {
        f"{sensation} {site}{qualifier}".lower()
        for sensation, (sites, _) in SENSATIONS.items()
        for site in sites
        for qualifier in ["", *CONTEXTS]
    }


def generated_symptom_names(count: int, seed: int, taken: set[str]) -> list[tuple[str, str]]:
    """Up to `count` new (name, synonyms) pairs, the same for the same seed.

    Names already in `taken` (lower-cased) are skipped. When sensation × site runs out,
    the pairs repeat with a time of day or a trigger added.
    """
    rng = random.Random(f"{seed}-symptoms")
    combinations = [
        (sensation, site) for sensation, (sites, _) in SENSATIONS.items() for site in sites
    ]
    rng.shuffle(combinations)
    made = []
    for qualifier in ["", *CONTEXTS]:
        for sensation, site in combinations:
            if len(made) == count:
                return made
            name = f"{sensation} {site}{qualifier}"
            if name.lower() in taken:
                continue
            taken.add(name.lower())
            alternatives = SENSATIONS[sensation][1]
            synonyms = ", ".join(f"{word} {site}{qualifier}" for word in alternatives)
            made.append((name, synonyms))
    return made


def ensure_symptoms(count: int, seed: int) -> tuple[list[DemoSymptom], int]:
    """Make sure there are at least `count` symptoms; return them all and how many were new."""
    existing = list(Symptom.objects.values_list("name", "slug"))
    taken_names = {name.lower() for name, _ in existing}
    taken_slugs = {slug for _, slug in existing}
    rng = random.Random(f"{seed}-descriptions")
    new = []
    for name, synonyms in generated_symptom_names(count - len(existing), seed, taken_names):
        slug = first_free(slugify(name)[:95], taken_slugs)
        taken_slugs.add(slug)
        description = (
            f"{name}. It is often linked to {rng.choice(SYMPTOM_CAUSES)}, "
            f"and {rng.choice(SYMPTOM_OUTLOOKS)}."
        )
        new.append(Symptom(name=name, slug=slug, synonyms=synonyms, description=description))
    Symptom.objects.bulk_create(new, batch_size=BATCH_SIZE)
    generated = all_generated_names()
    symptoms = []
    for pk, name, synonyms in Symptom.objects.order_by(Lower("name"), "pk").values_list(
        "pk", "name", "synonyms"
    ):
        words = [word.strip() for word in synonyms.split(",") if word.strip()]
        # Generated synonyms are noun phrases by construction ("pins and needles in the …").
        if name.lower() not in generated:
            words = [word for word in words if word in NOUN_SYNONYMS]
        symptoms.append(DemoSymptom(id=pk, name=name, synonyms=words))
    return symptoms, len(new)


class Writer:
    """Writes articles from sentence templates, mixing conditions, symptoms and advice."""

    def __init__(self, symptoms: list[DemoSymptom], seed: int):
        self.rng = random.Random(f"{seed}-articles")
        self.symptoms = symptoms
        by_name = {symptom.name.lower(): symptom for symptom in symptoms}
        # Each condition's own symptoms, as far as the vocabulary still has them.
        self.condition_symptoms = {
            condition.name: [by_name[n.lower()] for n in condition.symptoms if n.lower() in by_name]
            for condition in CONDITIONS
        }
        # And the other way round: the conditions that can cause each symptom.
        self.conditions_with: dict[int, list[Condition]] = {}
        for condition in CONDITIONS:
            for symptom in self.condition_symptoms[condition.name]:
                self.conditions_with.setdefault(symptom.id, []).append(condition)

    def article(self, kind: str) -> DemoArticle:
        condition = self.rng.choice(CONDITIONS)
        symptoms = self.pick_symptoms(condition)
        if kind == Article.Kind.FAQ:
            return self.faq(condition, symptoms)
        return self.condition_article(condition, symptoms)

    def pick_symptoms(self, condition: Condition) -> list[DemoSymptom]:
        """2–6 symptoms: mostly the condition's own, plus some from the wider vocabulary."""
        rng = self.rng
        wanted = min(rng.randint(2, 6), len(self.symptoms))
        own = self.condition_symptoms[condition.name]
        picked = rng.sample(own, min(len(own), rng.randint(1, wanted)))
        while len(picked) < wanted:
            symptom = rng.choice(self.symptoms)
            if symptom not in picked:
                picked.append(symptom)
        return picked

    def fill(self, template: str, condition: Condition, symptoms: list[DemoSymptom]) -> str:
        rng = self.rng
        symptom = symptoms[0].term(rng)
        symptom2 = symptoms[1].term(rng)
        context = rng.choice(CONTEXTS)
        if context.strip() in symptom:  # a generated name may already say "at night"
            context = ""
        return template.format(
            condition=condition.name,
            Condition=capitalise(condition.name),
            symptom=symptom,
            Symptom=capitalise(symptom),
            symptom2=symptom2,
            context=context if rng.random() < 0.5 else "",
            trigger=rng.choice(TRIGGERS),
        )

    def natural_question(self) -> str:
        rng = self.rng
        if rng.random() < 0.15:
            return f"Why does my {rng.choice(SPASMING)} keep spasming?"
        part = rng.choice(list(BODY_PARTS))
        verb = rng.choice(BODY_PARTS[part])
        does = "do" if part.endswith("s") else "does"
        return f"Why {does} my {part} {verb} {rng.choice(ACTIONS)}?"

    def other_condition(self, condition: Condition, symptom: DemoSymptom) -> Condition:
        """Another condition that can cause `symptom` (any other, for a generated symptom)."""
        linked = self.conditions_with.get(symptom.id, [])
        candidates = [other for other in linked if other is not condition]
        if candidates:
            return self.rng.choice(candidates)
        while (other := self.rng.choice(CONDITIONS)) is condition:
            pass
        return other

    def sentences(self, condition: Condition, symptoms: list[DemoSymptom], count: int) -> str:
        """A paragraph of cause-and-effect sentences about the condition and symptoms."""
        rng = self.rng
        templates = [
            "{Condition} is a common cause of {symptom}.",
            "{Symptom} can also happen with {other}, especially after {trigger}.",
            "Many people notice {symptom} after {trigger}.",
            "It is often linked to {cause}.",
            "In older adults, {symptom} is often linked to {other}.",
            "Less often, {symptom} is a sign of {other}, which a GP can check for.",
            "{Symptom} on its own is rarely a sign of anything serious.",
            "Doctors do not always find a single cause, and that is common.",
        ]
        written = []
        for template in rng.sample(templates, count):
            symptom = rng.choice(symptoms)
            term = symptom.term(rng)
            written.append(
                template.format(
                    Condition=capitalise(condition.name),
                    symptom=term,
                    Symptom=capitalise(term),
                    other=self.other_condition(condition, symptom).name,
                    trigger=rng.choice(TRIGGERS),
                    cause=rng.choice(condition.causes),
                )
            )
        return " ".join(written)

    def condition_article(self, condition: Condition, symptoms: list[DemoSymptom]) -> DemoArticle:
        rng = self.rng
        if rng.random() < 0.15:
            title = self.natural_question()
        else:
            title = self.fill(rng.choice(CONDITION_TITLES), condition, symptoms)
        terms = [symptom.term(rng) for symptom in symptoms]
        listed = ", ".join(terms[:-1]) + f" and {terms[-1]}"

        intro = (
            f"{capitalise(condition.name)} is {condition.about}. "
            f"People with it often notice {listed}. "
            "This page explains what can cause these symptoms, what you can do yourself, "
            "and when to get medical help."
        )
        causes = (
            f"{capitalise(condition.name)} can be brought on by "
            f"{' or '.join(rng.sample(condition.causes, min(2, len(condition.causes))))}. "
            + self.sentences(condition, symptoms, rng.randint(2, 4))
        )
        feels = "\n".join(f"- {capitalise(term)}{rng.choice(['', *CONTEXTS])}" for term in terms)
        advice = "\n".join(f"- {tip}" for tip in rng.sample(ADVICE, rng.randint(3, 5)))
        treatment = f"A GP may suggest {' or '.join(condition.treatments)}. " + self.sentences(
            condition, symptoms, rng.randint(1, 2)
        )
        body = "\n\n".join(
            [
                intro,
                f"## {rng.choice(['Causes', 'Common causes'])}",
                causes,
                f"## {rng.choice(['Symptoms', 'What it can feel like'])}",
                feels,
                f"## {rng.choice(['What you can do', 'Things you can try at home'])}",
                advice,
                f"## {rng.choice(['Treatment', 'How a GP can help'])}",
                treatment,
            ]
        )
        summary = (
            f"What can cause {terms[0]} and {terms[1]}, from {condition.name} to "
            f"{self.other_condition(condition, symptoms[1]).name}, what you can do, "
            "and when to see a GP."
        )
        return DemoArticle(
            kind=Article.Kind.CONDITION,
            title=title,
            summary=summary[:400],
            symptom_ids=[symptom.id for symptom in symptoms],
            body=body,
            when_to_get_medical_help=self.when_to_get_help(terms),
        )

    def when_to_get_help(self, terms: list[str]) -> str:
        rng = self.rng
        reasons = [
            capitalise(reason.format(symptom=terms[0], symptom2=terms[-1]))
            for reason in rng.sample(SEE_A_GP_IF, 3)
        ]
        see_a_gp = "\n".join(f"- {reason}" for reason in reasons)
        urgent = "\n".join(f"- {capitalise(reason)}" for reason in rng.sample(URGENT, 2))
        return (
            f"**See a GP if:**\n\n{see_a_gp}\n\n**Call 999 or go to A&E if you have:**\n\n{urgent}"
        )

    def faq(self, condition: Condition, symptoms: list[DemoSymptom]) -> DemoArticle:
        rng = self.rng
        title = self.fill(rng.choice(FAQ_TITLES), condition, symptoms)
        terms = [symptom.term(rng) for symptom in symptoms]
        # "anxiety" is both a condition and a symptom: name it once.
        topics = list({topic.lower(): topic for topic in [condition.name, *terms]}.values())
        intro = (
            f"These are the questions people ask most about "
            f"{', '.join(topics[:-1])} and {topics[-1]}. "
            "Each answer is short; the condition pages have more detail."
        )
        questions: list[str] = []
        wanted = rng.randint(3, 8)
        for _ in range(50):  # duplicates are dropped; 50 draws always give 3 and nearly always 8
            question = self.fill(rng.choice(QUESTIONS), condition, rng.sample(symptoms, 2))
            if question not in questions:
                questions.append(question)
            if len(questions) == wanted:
                break
        items = [
            (question, self.sentences(condition, symptoms, rng.randint(1, 3)))
            for question in questions
        ]
        if rng.random() < 0.5:
            index = rng.randrange(len(items))
            items[index] = (items[index][0], f"{items[index][1]}\n\n{rng.choice(ADVICE)}")
        summary = f"Short answers to common questions about {condition.name} and {terms[0]}."
        return DemoArticle(
            kind=Article.Kind.FAQ,
            title=title,
            summary=summary[:400],
            symptom_ids=[symptom.id for symptom in symptoms],
            intro=intro,
            items=items,
        )


# Much of the help callout and many answers repeat word for word; rendering is pure.
cached_markdown = lru_cache(maxsize=None)(render_markdown)

# From this many texts on, rendering them is shared among the CPUs.
RENDER_IN_PARALLEL_FROM = 2000


def render_each(texts: list[str]) -> list[str]:
    """Each text's HTML, in order: the same as render_markdown on each.

    Rendering the articles' own text is most of the command's time (at 100,000 articles,
    five of its seven minutes on one CPU), and each text renders alone, touching no
    database, so with many texts forked workers share it out.
    """
    if len(texts) < RENDER_IN_PARALLEL_FROM or (os.cpu_count() or 1) < 2:
        return [render_markdown(text) for text in texts]
    with multiprocessing.get_context("fork").Pool() as pool:
        return pool.map(render_markdown, texts, chunksize=100)


def insert_child_rows(model, rows: list) -> None:
    """INSERT only the child-table rows of multi-table-inherited objects whose parents exist.

    bulk_create refuses multi-table children, and save_base(raw=True) costs an UPDATE and an
    INSERT per row; this is one INSERT per batch, the statement bulk_create would run.
    """
    fields = model._meta.local_concrete_fields
    for start in range(0, len(rows), BATCH_SIZE):
        model._base_manager._insert(rows[start : start + BATCH_SIZE], fields=fields)


class Command(BaseCommand):
    help = (
        "For benchmarks and load tests only: add N realistic, published demo articles "
        "(condition and FAQ pages) and enough generated symptoms. Rows are written in bulk, "
        "without revisions or signals; never run it against a database with real content."
    )

    def add_arguments(self, parser):
        parser.add_argument("articles", type=int, metavar="N", help="How many articles to add.")
        parser.add_argument(
            "--symptoms",
            type=int,
            default=300,
            help="Make sure there are at least this many symptoms: the shipped vocabulary "
            "plus generated ones such as “Tingling in the fingers” (default 300).",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="The same seed writes the same content."
        )
        parser.add_argument(
            "--faq-share",
            type=float,
            default=0.3,
            help="The share of FAQ articles, from 0 to 1 (default 0.3).",
        )

    def handle(self, *args, articles, symptoms, seed, faq_share, **options):
        if articles < 1:
            raise CommandError("N must be at least 1.")
        if not 0 <= faq_share <= 1:
            raise CommandError("--faq-share must be between 0 and 1.")
        self.verbose = options["verbosity"] >= 2
        started = self.phase_started = time.perf_counter()
        with transaction.atomic():
            symptom_list, new_symptoms = ensure_symptoms(symptoms, seed)
            if len(symptom_list) < 2:
                raise CommandError("Articles need at least two symptoms to choose from.")
            self.phase("symptoms")
            made = self.create_articles(articles, faq_share, Writer(symptom_list, seed))
            # Nor are the symptoms' shared counts kept up to date (bulk_create sends no
            # signals): counted again, in the same transaction as the articles.
            recount_shared_symptoms()
            self.phase("shared symptom counts")
        seconds = time.perf_counter() - started

        self.stdout.write(
            f"Created {articles} articles ({made['condition']} condition, {made['faq']} FAQ "
            f"with {made['questions']} questions) and {new_symptoms} symptoms "
            f"({len(symptom_list)} in all) in {seconds:.1f} s."
        )
        self.rebuild_search_index()
        self.invalidate_cached_pages()
        self.analyze()

    def phase(self, name: str) -> None:
        """With -v 2, how long the step just finished took."""
        now = time.perf_counter()
        if self.verbose:
            self.stdout.write(f"  {name}: {now - self.phase_started:.1f} s")
        self.phase_started = now

    def create_articles(self, count: int, faq_share: float, writer: Writer) -> dict[str, int]:
        faq_count = round(count * faq_share)
        kinds = [Article.Kind.FAQ] * faq_count + [Article.Kind.CONDITION] * (count - faq_count)
        writer.rng.shuffle(kinds)
        drafts = [writer.article(kind) for kind in kinds]
        self.phase("writing")

        # Each article's own dates: first published up to five years ago, some updated since,
        # reviewed on publishing (so the older ones are due for review again).
        now = timezone.now()
        rng = writer.rng
        taken = set(Article.objects.values_list("slug", flat=True))
        taken |= set(SlugRedirect.objects.values_list("old_slug", flat=True))
        parents, dates = [], []
        for draft in drafts:
            # The slug Article.save() would choose, checked against `taken` instead of queries.
            slug = first_free(Article.slug_base(draft.title), taken)
            taken.add(slug)
            published_at = now - timedelta(minutes=rng.randint(60, 5 * 365 * 24 * 60))
            age = (now - published_at).days
            updated_at = published_at
            if rng.random() < 0.4:
                updated_at += timedelta(days=rng.randint(0, age))
            reviewed_on = timezone.localdate(published_at)
            parents.append(
                Article(
                    kind=draft.kind,
                    title=draft.title,
                    slug=slug,
                    summary=draft.summary,
                    status=Article.Status.PUBLISHED,
                    published_at=published_at,
                    reviewed_by=rng.choice(REVIEWERS),
                    last_reviewed_on=reviewed_on,
                    next_review_due=review_due_after(reviewed_on),
                )
            )
            dates.append((published_at, updated_at))
        Article.objects.bulk_create(parents, batch_size=BATCH_SIZE)
        # auto_now and auto_now_add stamp every row with "now" on insert; bulk_update
        # writes the values given, with no pre_save.
        for parent, (created_at, updated_at) in zip(parents, dates, strict=True):
            parent.created_at, parent.updated_at = created_at, updated_at
        Article.objects.bulk_update(parents, ["created_at", "updated_at"], batch_size=BATCH_SIZE)
        self.phase("article rows")

        # A condition's body or a FAQ's intro, each different text.
        own_html = iter(
            render_each([d.body if d.kind == Article.Kind.CONDITION else d.intro for d in drafts])
        )
        conditions, faqs, items, tags = [], [], [], []
        for parent, draft in zip(parents, drafts, strict=True):
            if draft.kind == Article.Kind.CONDITION:
                conditions.append(
                    ConditionArticle(
                        article_ptr_id=parent.pk,
                        body=draft.body,
                        body_html=next(own_html),
                        when_to_get_medical_help=draft.when_to_get_medical_help,
                        when_to_get_medical_help_html=cached_markdown(
                            draft.when_to_get_medical_help
                        ),
                    )
                )
            else:
                faqs.append(
                    FaqArticle(
                        article_ptr_id=parent.pk,
                        intro=draft.intro,
                        intro_html=next(own_html),
                    )
                )
                anchors: set[str] = set()
                for position, (question, answer) in enumerate(draft.items, start=1):
                    anchor = FaqItem.free_anchor(question, anchors)
                    anchors.add(anchor)
                    items.append(
                        FaqItem(
                            faq_id=parent.pk,
                            question=question,
                            answer=answer,
                            answer_html=cached_markdown(answer),
                            position=position,
                            anchor=anchor,
                        )
                    )
            tags.extend(
                TaggedArticle(content_object_id=parent.pk, tag_id=symptom_id)
                for symptom_id in draft.symptom_ids
            )
        self.phase("rendering Markdown")

        insert_child_rows(ConditionArticle, conditions)
        insert_child_rows(FaqArticle, faqs)
        FaqItem.objects.bulk_create(items, batch_size=BATCH_SIZE)
        TaggedArticle.objects.bulk_create(tags, batch_size=BATCH_SIZE)
        self.phase("condition/FAQ rows, questions, symptom tags")
        return {"condition": len(conditions), "faq": len(faqs), "questions": len(items)}

    def rebuild_search_index(self) -> None:
        """bulk_create sends no signals, so the search index must be rebuilt afterwards."""
        started = time.perf_counter()
        search.rebuild_index()
        self.stdout.write(f"Rebuilt the search index in {time.perf_counter() - started:.1f} s.")

    def invalidate_cached_pages(self) -> None:
        """Nor do the signals that replace the cached pages' content version fire."""
        new_content_version()
        self.stdout.write("Invalidated the cached public pages.")

    def analyze(self) -> None:
        """Give the query planner statistics for the new rows.

        Right after a bulk load PostgreSQL has none until autovacuum gets round to it, and
        SQLite has none until asked: benchmarks would measure whichever plans that leaves.
        On PostgreSQL it vacuums too (outside a transaction, where it can), or autovacuum
        would soon start on the new rows and take a core from whatever is measured next.
        """
        started = time.perf_counter()
        vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
        self.stdout.write(
            f"Updated the query planner's statistics in {time.perf_counter() - started:.1f} s."
        )
