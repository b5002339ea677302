"""Admin parts that read what a browser posts without trusting it to be well formed.

Django's admin assumes posted ids are ids: a symptom box or a list selection holding
anything else (a hand-made post, a scanner) ended in a 500 that also lost the form.
"""

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.http import HttpResponseRedirect


class SymptomAutocomplete(AutocompleteSelectMultiple):
    """The symptoms box. When a form is shown again, the widget looks up every posted value
    as an id; a value that isn't one is the field's error already, so it is not looked up."""

    def optgroups(self, name, value, attr=None):
        return super().optgroups(name, [v for v in value if str(v).isdigit()], attr)


class SelectionMustBeIds:
    """A ModelAdmin mixin: a list action on a selection that isn't a list of ids changes
    nothing and says so."""

    def response_action(self, request, queryset):
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not all(value.isdigit() for value in selected):
            self.message_user(
                request, "Nothing was changed: the selection was not understood.", messages.ERROR
            )
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset)
