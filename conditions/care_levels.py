"""Which "when to get medical help" level an imported sentence belongs in, if any.

The article page shows each level under a heading that already gives the action:
"Immediate action required: Call 999 or go to A&E if:", "Urgent advice: Ask for an urgent
GP appointment or call 111 if:" and "Non-urgent advice: See a GP if:" (templates/includes/
care_callout.html and care_advice.html), and an urgent or emergency level also puts the
"Get help now" box at the top of the page. So a sentence is sorted into urgent or emergency
only when its own words say so plainly; vague haste ("seek medical attention promptly",
common in scraped or translated text) would send everyone with mild discomfort to 111 or
999. General advice goes to the non-urgent level, and advice that says help is *not* needed
stays in the body only. Sentences are copied word for word: editors and medical reviewers
reword them, never the importer.

Pure functions on text, no database: the importer calls `care_level(sentence)`.
"""

import re

EMERGENCY = "emergency"
URGENT = "urgent"
NON_URGENT = "non_urgent"


def _cues(*patterns: str) -> re.Pattern:
    """One pattern finding any of `patterns` as whole words, ignoring case."""
    return re.compile(r"(?<!\w)(?:" + "|".join(patterns) + r")(?!\w)", re.IGNORECASE)


# A sentence that advises getting medical help at all. Only these are candidates for the
# levels: "Most neck pain is not serious" advises nothing and stays in the body.
# "Follow medical advice and use medications…" is about treatment, not about seeking help,
# so it deliberately doesn't match.
ADVICE_TO_GET_HELP = _cues(
    r"seek(?:ing)?\s+(?:\w+\s+){0,2}?(?:medical|professional|urgent|emergency)\s+"
    r"(?:attention|help|advice|care|treatment)",
    r"get(?:ting)?\s+(?:urgent\s+|immediate\s+|emergency\s+)?medical\s+"
    r"(?:attention|help|advice|care)",
    r"(?:see|visit|consult|contact|call|phone|speak\s+to|talk\s+to)\s+(?:a|an|your|the)\s+"
    r"(?:doctor|gp|physician|specialist|(?:health(?:care)?|medical)\s+professional)",
    r"(?:call|phone|dial|ring)\s+(?:999|911|112|111|nhs\s+111|an\s+ambulance)",
    r"go\s+to\s+(?:a&e|an?\s+emergency|the\s+emergency|hospital)",
    r"medical\s+attention",
)

# The heading of each level names a service. A sentence naming one goes where that service
# is: "Call 111 if the pain is sudden and severe" is the author's call to make, not ours.
EMERGENCY_SERVICES = _cues(
    # The emergency numbers (UK, North America, Europe) as something to call, not any
    # number ("112 people"), and what they send.
    r"(?:call|dial|phone|ring)\s+(?:999|911|112)",
    r"(?:an\s+)?ambulance",
    # Where emergencies go.
    r"a&e",
    r"accident\s+and\s+emergency",
    r"emergency\s+(?:department|room|services?)",
)
URGENT_SERVICES = _cues(
    r"(?:call|dial|phone|ring|contact)\s+(?:nhs\s+)?111",
    r"nhs\s+111",
    r"111\s+online",
    r"urgent\s+(?:gp\s+)?appointment",
)

# Without a service named, the signs a sentence describes decide. Emergency signs go under
# "Call 999 or go to A&E if:": each is life-threatening.
EMERGENCY_SIGNS = _cues(
    # "a medical emergency", "emergency help"; "not an emergency" is a negation (below).
    r"emergency",
    # Both together are the textbook warning of a bleed or meningitis ("a sudden, severe
    # headache"); either alone is only urgent.
    r"sudden(?:ly)?,?\s+(?:and\s+)?(?:very\s+)?severe(?:ly)?",
    r"severe(?:ly)?,?\s+(?:and\s+)?sudden(?:ly)?",
    # Breathing and consciousness.
    r"(?:can't|cannot|can\s+not|unable\s+to|struggling\s+to)\s+breathe",
    r"(?:difficulty|trouble)\s+breathing",
    r"(?:loss|lose|losing|lost)\s+(?:of\s+)?consciousness",
    r"unconscious",
    r"passe[sd]\s+out",
    # Signs of a stroke or a fit.
    r"slurred\s+speech",
    r"seizures?",
)
# Urgent signs go under "Ask for an urgent GP appointment or call 111 if:": each says help is
# needed within hours, not days.
URGENT_SIGNS = _cues(
    r"urgent(?:ly)?",
    # Within hours or the same day.
    r"within\s+(?:a\s+few\s+|\d+\s+|twenty[\s-]four\s+)?hours?",
    r"(?:the\s+)?same[\s-]day",
    r"today",
    # Act now rather than wait. Unlike "promptly" or "as soon as possible" (below), these say
    # not to wait for the next routine appointment.
    r"immediately",
    r"right\s+away",
    r"straight\s+away",
    # A sudden or severe sign, or one that worsens fast.
    r"sudden(?:ly)?",
    r"severe(?:ly)?",
    r"(?:getting|gets|get|becoming|becomes)\s+(?:much\s+)?worse\s+(?:very\s+)?"
    r"(?:quickly|fast|rapidly)",
    r"(?:rapidly|quickly)\s+(?:getting\s+worse|worsening)",
    r"worsen(?:s|ing)?\s+(?:very\s+)?(?:quickly|fast|rapidly)",
)

# Deliberately not cues: "promptly", "as soon as possible", "in time", "timely", "early",
# "without delay". Scraped and translated text attaches them to any discomfort ("If
# discomfort occurs, seek medical attention promptly"), so they say nothing about how urgent
# a sign is; such a sentence is general advice.

# A sign is negated when a negation comes just before it, with at most two small words
# between: "not an emergency", "if it is not severe", "isn't urgent", "non-urgent", "rarely
# an emergency". Only small words may come between, so "do not hesitate to call 999" and
# "if it doesn't stop, call 111" keep their cue.
NEGATED = re.compile(
    r"(?:(?<!\w)(?:not|no|never|without|rarely|seldom)|n't)\s+"
    r"(?:(?:a|an|the|be|been|usually|normally|generally|always|very|too|so|as|that|"
    r"considered|thought|an?)\s+){0,2}$"
    r"|(?<!\w)non[-\s]?$",
    re.IGNORECASE,
)
# Advice is negated when it says help isn't needed: "you don't need to see a GP", "there is
# no need to seek medical attention", "it is rarely necessary to go to A&E".
NO_NEED = re.compile(
    r"(?:(?<!\w)(?:not|no|never|rarely|seldom)|n't)\s+(?:usually\s+|normally\s+|generally\s+)?"
    r"(?:need|needs|necessary|required)\s+(?:to\s+|for\s+you\s+to\s+)?$",
    re.IGNORECASE,
)
# How far before a cue a negation is looked for: it and its small words fit in it, and the
# check costs the same however long the sentence.
NEGATION_WINDOW = 40


def has_cue(pattern: re.Pattern, sentence: str, negation: re.Pattern = NEGATED) -> bool:
    """Whether `sentence` has a match of `pattern` that `negation` doesn't negate."""
    for match in pattern.finditer(sentence):
        before = sentence[max(0, match.start() - NEGATION_WINDOW) : match.start()]
        if not negation.search(before):
            return True
    return False


def care_level(sentence: str) -> str | None:
    """EMERGENCY, URGENT or NON_URGENT for a sentence advising medical help, by the clearest
    cue it has; None for one that doesn't advise help (or says it isn't needed)."""
    if not has_cue(ADVICE_TO_GET_HELP, sentence, NO_NEED):
        return None
    if has_cue(EMERGENCY_SERVICES, sentence):
        return EMERGENCY
    if has_cue(URGENT_SERVICES, sentence):
        return URGENT
    if has_cue(EMERGENCY_SIGNS, sentence):
        return EMERGENCY
    if has_cue(URGENT_SIGNS, sentence):
        return URGENT
    return NON_URGENT
