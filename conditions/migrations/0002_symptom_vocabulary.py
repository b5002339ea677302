"""The symptom vocabulary NeckInfo ships with: what articles are tagged with on import.

Synonyms are the words readers actually use. Each one must be specific enough to mean the
symptom wherever it appears in an article, so lone generic words ("stiff", "pain", "tired",
"stress") are left out: "uneven stress on the neck muscles" is not anxiety.

The list is written out here rather than imported from app code, so this migration keeps
doing the same thing however the app changes later.
"""

from django.db import migrations
from django.db.models import Q

SYMPTOMS = [
    {
        "name": "Neck stiffness",
        "slug": "neck-stiffness",
        "description": "A neck that feels tight or hard to move, so turning or tilting your "
        "head is uncomfortable. It often comes from tired or strained muscles and usually "
        "eases over a few days.",
        "synonyms": "stiff neck, stiffness in the neck, stiffness in your neck, "
        "stiffness in my neck, neck feels stiff, crick in the neck, crick in my neck",
    },
    {
        "name": "Dizziness",
        "slug": "dizziness",
        "description": "Feeling light-headed, faint or off balance, or feeling as if you or "
        "the room are spinning (vertigo). It is common, and often passes on its own.",
        "synonyms": "vertigo, light-headedness, lightheadedness, light-headed, lightheaded, "
        "dizzy, giddiness, giddy, feeling faint, room spinning",
    },
    {
        "name": "Neck pain",
        "slug": "neck-pain",
        "description": "Aching, soreness or sharper pain anywhere in the neck. Most neck pain "
        "comes from muscles or joints and gets better within a few weeks.",
        "synonyms": "sore neck, neck ache, painful neck, pain in the neck, pain in your neck, "
        "pain in my neck, neck hurts, cervical pain",
    },
    {
        "name": "Shoulder pain",
        "slug": "shoulder-pain",
        "description": "Aching, soreness or discomfort in or around one or both shoulders. "
        "It is often linked to the neck, because the same muscles and nerves serve both.",
        "synonyms": "sore shoulder, painful shoulder, shoulder ache, shoulder discomfort, "
        "pain in the shoulder, pain in your shoulder, pain in my shoulder, shoulder hurts",
    },
    {
        "name": "Arm numbness",
        "slug": "arm-numbness",
        "description": "Reduced or lost feeling in part of an arm or hand. It can happen when "
        "a nerve in the neck or arm is pressed on or irritated.",
        "synonyms": "numb arm, numbness in the arm, numbness in your arm, numbness in my arm, "
        "numbness in the arms, arm going numb, dead arm",
    },
    {
        "name": "Headache",
        "slug": "headache",
        "description": "Pain or pressure anywhere in the head. Most headaches are not a sign "
        "of anything serious; tense neck and shoulder muscles are a common cause.",
        "synonyms": "head ache, head pain, pain in the head, pain in your head, "
        "pain in my head, head hurts, sore head, migraine",
    },
    {
        "name": "Muscle spasm",
        "slug": "muscle-spasm",
        "description": "A muscle that suddenly tightens and won't relax straight away, which "
        "can feel like a cramp or a hard, tender knot. Spasms usually settle within days.",
        "synonyms": "spasm, spasming, cramp, muscle cramp, muscle knot, knotted muscle",
    },
    {
        "name": "Fatigue",
        "slug": "fatigue",
        "description": "Feeling tired, drained or short of energy in a way that rest doesn't "
        "fully fix. It has many everyday causes as well as medical ones.",
        "synonyms": "tiredness, fatigued, exhaustion, exhausted, worn out, lack of energy, "
        "low energy, feeling tired, always tired",
    },
    {
        "name": "Palpitations",
        "slug": "palpitations",
        "description": "Being suddenly aware of your heartbeat: it may feel like it is "
        "pounding, racing, fluttering or skipping a beat. They are common and usually "
        "harmless.",
        "synonyms": "palpitation, heart palpitations, racing heart, pounding heart, "
        "fluttering heart, heart fluttering, skipped heartbeat, skipped beat, "
        "irregular heartbeat",
    },
    {
        "name": "Tingling",
        "slug": "tingling",
        "description": "A prickling or buzzing feeling in the skin, often called pins and "
        "needles. It can happen when a nerve is pressed on, and often fades quickly.",
        "synonyms": "pins and needles, tingle, tingly, prickling",
    },
    {
        "name": "Numbness",
        "slug": "numbness",
        "description": "Reduced or lost feeling in part of the body, so touch, warmth or "
        "pain feel dull or absent. It often comes with tingling.",
        "synonyms": "numb, loss of feeling, loss of sensation, reduced sensation",
    },
    {
        "name": "Weakness",
        "slug": "weakness",
        "description": "Muscles that don't have their usual strength, so lifting, gripping "
        "or holding your head up takes more effort than normal.",
        "synonyms": "muscle weakness, weak muscles, loss of strength, feeling weak",
    },
    {
        "name": "Jaw pain",
        "slug": "jaw-pain",
        "description": "Aching or soreness in the jaw or the joint just in front of the ear, "
        "sometimes worse when chewing or opening your mouth wide.",
        "synonyms": "sore jaw, aching jaw, jaw ache, painful jaw, pain in the jaw, "
        "pain in your jaw, jaw joint pain, TMJ pain",
    },
    {
        "name": "Blurred vision",
        "slug": "blurred-vision",
        "description": "Things look out of focus or less sharp than usual, in one eye or "
        "both. It can come and go or last longer.",
        "synonyms": "blurry vision, blurred eyesight, blurry eyesight, fuzzy vision, "
        "vision goes blurry",
    },
    {
        "name": "Nausea",
        "slug": "nausea",
        "description": "Feeling sick, as if you might vomit. It often comes with dizziness "
        "or a bad headache and usually passes.",
        "synonyms": "nauseous, nauseated, queasy, queasiness, feeling sick",
    },
    {
        "name": "Pale skin",
        "slug": "pale-skin",
        "description": "Skin, lips or the insides of the eyelids looking paler than usual. "
        "It can be a sign of low iron (anaemia), feeling faint or being unwell.",
        "synonyms": "pale complexion, pallor, paleness, looking pale, pale face",
    },
    {
        "name": "Muscle tension",
        "slug": "muscle-tension",
        "description": "Muscles that stay tight instead of relaxing, often in the neck and "
        "shoulders. Long periods in one position and stress are common causes.",
        "synonyms": "tense muscles, tight muscles, muscle tightness, tightness in the muscles, "
        "tight neck muscles, tightening of the neck muscles, tense neck",
    },
    {
        "name": "Pain at the base of the skull",
        "slug": "pain-at-the-base-of-the-skull",
        "description": "Pain where the back of the head meets the top of the neck. It is "
        "often caused by tight muscles or irritated nerves in that area.",
        "synonyms": "pain at base of skull, pain in the base of the skull, "
        "pain in base of skull, base of skull pain, pain at the base of your skull, "
        "pain in the back of the head, pain in back of head, "
        "pain in the back of your head, occipital pain, occipital neuralgia",
    },
    {
        "name": "Unsteady walking",
        "slug": "unsteady-walking",
        "description": "Feeling wobbly or off balance on your feet, or finding it hard to "
        "walk in a straight line.",
        "synonyms": "unsteady gait, balance problems, problems with balance, poor balance, "
        "loss of balance, unsteadiness, unsteady on your feet, unsteady on my feet",
    },
    {
        "name": "Anxiety",
        "slug": "anxiety",
        "description": "Feeling worried, tense or on edge. Anxiety and stress can tighten "
        "the neck and shoulder muscles and cause physical symptoms of their own.",
        "synonyms": "anxious, nervousness, emotional stress, mental stress, "
        "psychological stress, feeling stressed, stressed out, panic attack",
    },
    {
        "name": "Fever",
        "slug": "fever",
        "description": "A high temperature: 38°C or above. You may feel hot, shivery or "
        "sweaty. It is usually a sign that the body is fighting an infection.",
        "synonyms": "high temperature, raised temperature, running a temperature, feverish, "
        "febrile",
    },
    {
        "name": "Sensitivity to light",
        "slug": "sensitivity-to-light",
        "description": "Finding normal light uncomfortably bright or painful to look at. It "
        "often comes with headaches and migraines.",
        "synonyms": "light sensitivity, sensitive to light, photophobia",
    },
    {
        "name": "Confusion",
        "slug": "confusion",
        "description": "Finding it hard to think clearly, concentrate or remember, or not "
        "being sure where you are or what is happening.",
        "synonyms": "feeling confused, disorientation, disoriented, disorientated, "
        "brain fog, muddled thinking",
    },
    {
        "name": "Ringing in the ears",
        "slug": "ringing-in-the-ears",
        "description": "Hearing ringing, buzzing, humming or whooshing that doesn't come from "
        "around you (tinnitus). It is common and often not a sign of anything serious.",
        "synonyms": "tinnitus, ringing ears, ears ringing, ringing in your ears, "
        "ringing in my ears, buzzing in the ears, buzzing in your ears",
    },
    {
        "name": "Shooting pain",
        "slug": "shooting-pain",
        "description": "Sudden sharp pain that seems to travel, for example from the neck "
        "into the shoulder, arm or head. It is often a sign of an irritated nerve.",
        "synonyms": "radiating pain, sharp jabbing pain, jabbing pain, stabbing pain, "
        "pain that radiates, pain that travels, electric shock pain",
    },
    {
        "name": "Pain behind the eyes",
        "slug": "pain-behind-the-eyes",
        "description": "An ache or feeling of pressure behind one or both eyes. It often "
        "comes with tension headaches or tight neck muscles.",
        "synonyms": "pain behind the eye, pain behind your eye, pain behind my eye, "
        "pressure behind the eye, pressure behind your eye, ache behind the eye",
    },
    {
        "name": "Reduced neck movement",
        "slug": "reduced-neck-movement",
        "description": "Not being able to turn, tilt or bend your neck as far as usual, "
        "for example finding it hard to look over your shoulder.",
        "synonyms": "limited neck movement, restricted neck movement, "
        "reduced range of motion, limited range of motion, difficulty turning the head, "
        "difficulty turning your head, can't turn my head, cannot turn my head",
    },
    {
        "name": "Upper back pain",
        "slug": "upper-back-pain",
        "description": "Aching or soreness between the bottom of the neck and the middle of "
        "the back, including between the shoulder blades.",
        "synonyms": "pain in the upper back, pain in your upper back, upper back ache, "
        "sore upper back, pain between the shoulder blades, pain between your shoulder blades",
    },
    {
        "name": "Difficulty swallowing",
        "slug": "difficulty-swallowing",
        "description": "Finding it hard or painful to swallow, or feeling that food or drink "
        "sticks in your throat on the way down.",
        "synonyms": "trouble swallowing, problems swallowing, swallowing problems, "
        "painful swallowing, hard to swallow, dysphagia",
    },
    {
        "name": "Swollen glands",
        "slug": "swollen-glands",
        "description": "Tender lumps under the skin of the neck, under the jaw or behind the "
        "ears. Glands usually swell while the body fights an infection, then go down.",
        "synonyms": "swollen gland, swollen neck glands, swollen lymph node, "
        "enlarged lymph node, lymph nodes are swollen",
    },
    {
        "name": "Sleep problems",
        "slug": "sleep-problems",
        "description": "Trouble getting to sleep, staying asleep, or waking up unrefreshed. "
        "Neck pain and worry can both make sleep harder.",
        "synonyms": "insomnia, trouble sleeping, difficulty sleeping, problems sleeping, "
        "poor sleep, disturbed sleep, sleeplessness, can't sleep, cannot sleep",
    },
    {
        "name": "Double vision",
        "slug": "double-vision",
        "description": "Seeing two of a single thing, either side by side or one above the other.",
        "synonyms": "seeing double, diplopia",
    },
]


def add_symptoms(apps, schema_editor):
    Symptom = apps.get_model("conditions", "Symptom")
    for symptom in SYMPTOMS:
        # Leave alone a symptom someone already added by hand under the same name.
        same = Q(name__iexact=symptom["name"]) | Q(slug=symptom["slug"])
        if not Symptom.objects.filter(same).exists():
            Symptom.objects.create(**symptom)


def remove_symptoms(apps, schema_editor):
    Symptom = apps.get_model("conditions", "Symptom")
    Symptom.objects.filter(slug__in=[symptom["slug"] for symptom in SYMPTOMS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("conditions", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(add_symptoms, remove_symptoms),
    ]
