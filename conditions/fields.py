"""Text that editors type or import, stored the same way whichever way it came in.

Browsers post a textarea with CRLF line endings and files may use CR or LF; stored as given,
a revision saved from the admin and one imported from a file differ at every line end, so
History calls an untouched field "changed" and Compare marks the last word of every
paragraph as removed and added again. Normalised to LF here, on every save and in the form
(so that the form compares what will be stored), only real changes show.
"""

from django import forms
from django.db import models


def normalised_line_endings(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


class WrittenTextFormField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        return normalised_line_endings(value) if isinstance(value, str) else value


class WrittenTextField(models.TextField):
    """A TextField whose line endings are always LF: in the database, in revisions and in
    the admin form's idea of what changed."""

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": WrittenTextFormField, **kwargs})

    def pre_save(self, model_instance, add):
        value = getattr(model_instance, self.attname)
        if isinstance(value, str):
            value = normalised_line_endings(value)
            # On the instance too: django-reversion stores the revision from it.
            setattr(model_instance, self.attname, value)
        return value
