"""An article's card and lists of symptom chips, the markup a list page repeats most: a
symptom page draws 20 cards with 80–100 chips and 24 symptoms to narrow by, the home page 6
cards, a search page 10 results with their chips.

Built here in Python rather than as included templates: Django's template engine took 2.6 ms
of a narrowed symptom page's 13 (at 10,000 articles) to draw its 20 cards, against 0.3 ms
here. Every value is escaped with html.escape, as Django's `escape` does (it calls it; the
lazy wrapper around it costs more than the escaping).
"""

from html import escape

from django import template
from django.utils.safestring import SafeString, mark_safe

from conditions.addresses import page_addresses

register = template.Library()


@register.simple_tag
def article_card(article, heading_level: int = 3, anchor: str = "") -> SafeString:
    """A card for `article` in a list: its lead image's thumbnail, its kind, its title linking
    to it, its summary and the symptoms it covers (`article.card_symptoms` when the view read
    them for every card in one query, see conditions.narrowing.read_card_symptoms; otherwise
    `article.symptoms`, prefetched)."""
    symptoms = getattr(article, "card_symptoms", None) or article.symptoms.all()
    # The thumbnail's markup was made when the article was saved: no query per card.
    thumbnail = (article.lead_image_shown or {}).get("thumbnail", "")
    kind = "Questions and answers" if article.kind == article.Kind.FAQ else "Condition"
    anchor_attribute = f' id="{escape(anchor)}"' if anchor else ""
    return mark_safe(
        f'<article class="card"{anchor_attribute}>{thumbnail}'
        f'<p class="card__kind">{kind}</p>'
        f'<h{int(heading_level)} class="card__title">'
        f'<a href="{escape(article.get_absolute_url())}">{escape(article.title)}</a>'
        f"</h{int(heading_level)}>"
        f'<p class="card__summary">{escape(article.summary)}</p>'
        f"{symptom_chips(symptoms, 'Symptoms covered')}</article>"
    )


@register.simple_tag
def symptom_chips(symptoms, label: str = "Symptoms") -> SafeString:
    """`symptoms` (anything with a `name` and a `slug`) as a labelled list of links to their
    pages; nothing when there are none."""
    symptom_page = page_addresses("conditions:symptom")
    chips = "".join(
        f'<li><a class="chip" href="{escape(symptom_page(symptom.slug))}">'
        f"{escape(symptom.name)}</a></li>"
        for symptom in symptoms
    )
    if not chips:
        return mark_safe("")
    return mark_safe(f'<ul class="chips" aria-label="{escape(label)}">{chips}</ul>')


@register.simple_tag
def narrowing_chips(options) -> SafeString:
    """The symptoms a reader can add to narrow a symptom page (conditions.narrowing.
    FurtherSymptom), each a link to the narrowed page with how many articles it would leave
    (0.45 ms of the page as a template loop, for 24)."""
    chips = "".join(
        f'<li><a class="chip" href="{escape(option.narrowed_url)}">{escape(option.name)} '
        f'<span class="count">{option.match_count:d}<span class="visually-hidden"> '
        f"article{'' if option.match_count == 1 else 's'}</span></span></a></li>"
        for option in options
    )
    return mark_safe(f'<ul class="chips">{chips}</ul>')
