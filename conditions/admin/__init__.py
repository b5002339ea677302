"""The editors' admin, a module per concern: `articles`, `symptoms` (the vocabulary), `audit`
(the log), `search_insights` (what readers search for, and promoted results), `feedback`
(readers' answers to "Is this page useful?") and `images` (the media library); `input`
holds what they share for reading posted ids warily. The article admin is put together from
mixins of its own concerns: `moderation`, `revisions`, `image_picker` (the Insert image
dialog), `share_links` (preview links), `editing` (text kept in the browser, who else is
editing) and `side_by_side` (the preview at a phone's and a desktop's width).

Who may do what is decided in `conditions.editorial`; these modules apply it to the admin's
forms, actions and views.
"""

from django.contrib import admin
from taggit.models import Tag

# Django's autodiscover imports this package; importing the modules here is what registers
# their admins with the site, the usual way for an admin package.
from conditions.admin.articles import ArticleAdmin, ConditionArticleAdmin, FaqArticleAdmin
from conditions.admin.audit import AuditEventAdmin
from conditions.admin.feedback import PageFeedbackAdmin
from conditions.admin.images import ImageAdmin
from conditions.admin.search_insights import PromotedResultAdmin, SearchCountAdmin
from conditions.admin.symptoms import SymptomAdmin

__all__ = [
    "ArticleAdmin",
    "AuditEventAdmin",
    "ConditionArticleAdmin",
    "FaqArticleAdmin",
    "ImageAdmin",
    "PageFeedbackAdmin",
    "PromotedResultAdmin",
    "SearchCountAdmin",
    "SymptomAdmin",
]

admin.site.site_header = "NeckInfo editors"
admin.site.site_title = "NeckInfo editors"
admin.site.index_title = "Articles and symptoms"

# taggit's own generic Tag model is unused: symptoms are NeckInfo's tags.
admin.site.unregister(Tag)
