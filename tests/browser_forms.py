"""Read an HTML form the way a browser submits it, so tests post the admin's own forms."""

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.in_form = False
        self.values: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._option: dict | None = None
        self._text: list[str] = []

    def _add(self, name, value):
        self.values.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == self.form_id:
            self.in_form = True
        if not self.in_form or attrs.get("disabled") is not None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self._add(name, attrs.get("value", "on"))
            elif kind not in ("submit", "button", "file", "image", "reset"):
                self._add(name, attrs.get("value", ""))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select and "selected" in attrs:
            self._option = {"value": attrs.get("value")}
            self._text = []

    def handle_data(self, data):
        if self._textarea is not None or self._option is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "form" and self.in_form:
            self.in_form = False
        elif tag == "textarea" and self._textarea is not None:
            # A browser drops the one newline that follows <textarea>.
            self._add(self._textarea, "".join(self._text).removeprefix("\n"))
            self._textarea = None
        elif tag == "option" and self._option is not None:
            value = self._option["value"]
            self._add(self._select, value if value is not None else "".join(self._text))
            self._option = None
        elif tag == "select":
            self._select = None


def form_data(html: str, form_id: str) -> dict[str, str | list[str]]:
    """The fields of the form with `form_id` as a browser would post them, unchanged."""
    reader = _FormReader(form_id)
    reader.feed(html)
    return {
        name: values if len(values) > 1 else values[0] for name, values in reader.values.items()
    }


def admin_change_form(client, url: str) -> dict:
    """GET an admin add/change page and return its form's data, ready to edit and post."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    model_name = response.context["opts"].model_name
    return form_data(response.content.decode(), f"{model_name}_form")


def add_inline_rows(data: dict, prefix: str, rows: list[dict[str, str]]) -> dict:
    """Fill in `rows` after the inline formset's saved ones, as an editor does: the spare
    rows the page shows first, then "Add another", which copies the empty row's defaults and
    counts the new row in TOTAL_FORMS. Returns `data`, changed."""
    first = int(data[f"{prefix}-INITIAL_FORMS"])
    shown = int(data[f"{prefix}-TOTAL_FORMS"])
    empty_row = {
        name.removeprefix(f"{prefix}-__prefix__-"): value
        for name, value in data.items()
        if name.startswith(f"{prefix}-__prefix__-")
    }
    for number, row in enumerate(rows, start=first):
        if number >= shown:
            for name, value in empty_row.items():
                data[f"{prefix}-{number}-{name}"] = value
        for name, value in row.items():
            data[f"{prefix}-{number}-{name}"] = value
    data[f"{prefix}-TOTAL_FORMS"] = str(max(shown, first + len(rows)))
    return data


def edit_live_article(client, article, changes: dict, publisher=None) -> None:
    """Change a live article as the admin has it done: "Edit as a working copy", save the
    copy's form with `changes`, have Sam sign it off, then "Publish working copy" (by
    `publisher`, else `client`)."""
    from conditions.models import Article

    admin = f"/admin/conditions/{article._meta.model_name}/"
    response = client.post(f"{admin}{article.pk}/working-copy/start/")
    assert response.status_code == 302, response.status_code
    copy = Article.objects.get(live_article=article.pk)
    data = {**admin_change_form(client, f"{admin}{copy.pk}/change/"), **changes}
    response = client.post(f"{admin}{copy.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    # The publish gate wants an independent sign-off of the copy (not these tests' subject).
    from tests.factories import ready_to_publish

    ready_to_publish(copy)
    response = (publisher or client).post(
        f"{admin}{copy.pk}/working-copy/publish/", {"when": "now"}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
