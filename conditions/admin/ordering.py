"""Rows an editor puts in order (an FAQ's questions, an article's sources and other names):
the order is their `position` numbers, kept in step by `static/js/admin-reorder.js` when an
editor drags a row or moves it with the keyboard. Without script the numbers are typed; a
new row whose number is left empty goes at the end, never to the top as a default 0 would."""

from django import forms
from django.forms.models import BaseInlineFormSet


class PositionLeftEmptyForm(forms.ModelForm):
    """A row whose position may be left empty (and is, on a new row): it goes at the end.

    In a table (a tabular inline) the fields have no label of their own, only the column's
    heading, so each says what it is to a screen reader: "Source 2: title"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        number = (self.prefix or "").rpartition("-")[2]
        row = self._meta.model._meta.verbose_name.capitalize()
        row = f"{row} {int(number) + 1}" if number.isdigit() else f"New {row.lower()}"
        for field in self.fields.values():
            field.widget.attrs.setdefault("aria-label", f"{row}: {str(field.label).lower()}")
        if "position" in self.fields:
            self.fields["position"].required = False
            self.fields["position"].help_text = "Left empty, the row goes at the end."
            if self.instance.pk is None:
                self.initial["position"] = None


class AppendsAtTheEnd(BaseInlineFormSet):
    """Gives each row saved without a position the next number after the highest one."""

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            row = "new row" if index is None else f"row {index + 1}"
            form.fields["DELETE"].widget.attrs["aria-label"] = f"Delete {row}"

    def clean(self):
        super().clean()
        kept = [
            form
            for form in self.forms
            if form.is_valid()
            and not (self.can_delete and self._should_delete_form(form))
            and (form.instance.pk or form.has_changed())
        ]
        numbers = [form.cleaned_data.get("position") for form in kept]
        last = max((number for number in numbers if number is not None), default=0)
        for form in kept:
            if form.cleaned_data.get("position") is None:
                last += 1
                form.cleaned_data["position"] = form.instance.position = last
