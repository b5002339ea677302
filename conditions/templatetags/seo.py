"""Template tags for the `<head>`: canonical addresses and JSON-LD (built in `conditions.seo`)."""

from django import template
from django.utils.safestring import mark_safe

from conditions import seo

register = template.Library()


class CaptureNode(template.Node):
    def __init__(self, nodelist, name: str):
        self.nodelist = nodelist
        self.name = name

    def render(self, context) -> str:
        # Rendered by the template engine, so already escaped.
        context[self.name] = mark_safe(self.nodelist.render(context).strip())
        return ""


@register.tag
def capture(parser, token):
    """`{% capture name %}…{% endcapture %}` keeps what it renders to print more than once.

    The base template wraps its title and description blocks in it, so a page template
    defines each once and it appears in `<title>`, Open Graph and Twitter tags alike.
    """
    try:
        _, name = token.split_contents()
    except ValueError as error:
        raise template.TemplateSyntaxError("Usage: {% capture name %}…{% endcapture %}") from error
    nodelist = parser.parse(("endcapture",))
    parser.delete_first_token()
    return CaptureNode(nodelist, name)


@register.simple_tag(takes_context=True)
def canonical_url(context, page=None) -> str:
    # The error pages render without a request: they have no address of their own to give.
    request = context.get("request")
    return seo.canonical_url(request, page) if request else ""


@register.simple_tag(takes_context=True)
def absolute_url(context, path: str) -> str:
    return context["request"].build_absolute_uri(path)


@register.simple_tag(takes_context=True)
def condition_json_ld(context, article, symptoms):
    return seo.json_ld_script(seo.medical_web_page(context["request"], article, symptoms))


@register.simple_tag(takes_context=True)
def faq_json_ld(context, article, items):
    return seo.json_ld_script(seo.faq_page(context["request"], article, items))


@register.simple_tag(takes_context=True)
def breadcrumb_json_ld(context, *names_and_paths):
    """`{% breadcrumb_json_ld "Symptoms" symptoms_url symptom.name symptom_url %}`, after Home."""
    trail = list(zip(names_and_paths[::2], names_and_paths[1::2], strict=True))
    return seo.json_ld_script(seo.breadcrumb_list(context["request"], trail))
