"""The audit log in the admin: who did what to which article or symptom, and when."""

from django.contrib import admin

from conditions.admin.input import SelectionMustBeIds
from conditions.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(SelectionMustBeIds, admin.ModelAdmin):
    """A read-only record: nobody edits or deletes history."""

    list_display = ["created_at", "action", "subject", "user", "detail"]
    list_filter = ["action", ("user", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["subject", "detail", "user__username"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
