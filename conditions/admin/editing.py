"""Editing together in the admin: nothing typed is lost, and who else is editing.

`KeepTypingAdminMixin` (article and symptom forms) works with `static/js/admin-keep-typing.js`,
which keeps the form's unsaved content in the browser as it is typed and offers it back after a
crash, a closed tab or an expired sign-in. The server's part: after a save that succeeded it
sets a cookie naming the form, so the next page clears the kept copy; and an endpoint tells
the page whether its sign-in still holds before a save is posted (and hands it a fresh CSRF
token after the editor signed in again in another tab).

`EditingPresenceAdminMixin` (articles) shows who else has the article open, from
`conditions.editing_presence`, with an endpoint `static/js/admin-presence.js` polls, and lets a
medical reviewer take an edit over.

Why there is no autosave on the server: see "Nothing typed is lost" in the README.
"""

import re

from django.conf import settings
from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe

from conditions import editing_presence, editorial

# Read by admin-keep-typing.js on the next page; not HttpOnly for that reason. It holds only
# the user's id and the form's address.
SAVED_FORM_COOKIE = "neckinfo_saved_form"


# An id the database can hold (a bigger number would be an error, not "no such article").
ARTICLE_ID = re.compile(r"[1-9][0-9]{0,17}")


def session_check_url() -> str:
    """The endpoint every form asks before posting (any model's would do: it reads no row)."""
    return reverse("admin:conditions_conditionarticle_editing_session")


def _no_store(response):
    response["Cache-Control"] = "no-store, private"
    return response


class KeepTypingAdminMixin:
    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["keep_typing"] = {
            "session_url": session_check_url(),
            "sign_in_url": reverse("admin:login") + "?next=" + reverse("admin:index"),
        }
        return super().render_change_form(request, context, add, change, form_url, obj)

    def response_add(self, request, obj, post_url_continue=None):
        return self._forget_kept_form(
            request, super().response_add(request, obj, post_url_continue)
        )

    def response_change(self, request, obj):
        return self._forget_kept_form(request, super().response_change(request, obj))

    @staticmethod
    def _forget_kept_form(request, response):
        # Only a save that succeeded gets here (a refused one shows the form again instead).
        response.set_cookie(
            SAVED_FORM_COOKIE,
            f"{request.user.pk}:{request.path}",
            max_age=24 * 3600,
            # The script deletes it once read, and must name the same path to do so.
            path="/",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=False,
            samesite="Lax",
        )
        return response


class EditingPresenceAdminMixin:
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            # Not behind admin_view: a page whose sign-in expired must get JSON saying so, not
            # the sign-in page.
            path(
                "editing/",
                require_safe(self.editing_session_view),
                name="{}_{}_editing_session".format(*info),
            ),
            path(
                "<path:object_id>/editing/",
                require_safe(self.editing_presence_view),
                name="{}_{}_editing_presence".format(*info),
            ),
            path(
                "<path:object_id>/editing/take-over/",
                self.admin_site.admin_view(require_POST(self.editing_take_over_view)),
                name="{}_{}_editing_take_over".format(*info),
            ),
            *super().get_urls(),
        ]

    def response_change(self, request, obj):
        # Saved: no longer editing (Save and continue opens the page again, and says so).
        editing_presence.left(obj.pk, request.user)
        return super().response_change(request, obj)

    def editing_presence_context(self, request, article) -> dict:
        """The change page's "who else is editing" notice, recording that `request.user` has
        it open."""
        url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_editing_presence",
            args=[article.pk],
        )
        return {
            "presence": {
                "others": editing_presence.opened(article.pk, request.user),
                "poll_url": url,
                "poll_seconds": editing_presence.poll_seconds(),
                "take_over_url": url + "take-over/",
                "may_take_over": editorial.can_publish(request.user),
            }
        }

    def _signed_out(self, request):
        signed_in = request.user.is_authenticated
        return _no_store(
            JsonResponse(
                {"signed_in": False, "staff": False},
                status=403 if signed_in else 401,
            )
        )

    def editing_session_view(self, request):
        """Whether the page's sign-in still holds, with the CSRF token to post with."""
        if not self.admin_site.has_permission(request):
            return self._signed_out(request)
        return _no_store(JsonResponse({"signed_in": True, "csrf_token": get_token(request)}))

    def editing_presence_view(self, request, object_id):
        """Who else has the article open; asking also says that this page still has it open."""
        if not self.admin_site.has_permission(request):
            return self._signed_out(request)
        if (
            not ARTICLE_ID.fullmatch(object_id)
            or not self.model.objects.filter(pk=object_id).exists()
        ):
            return _no_store(JsonResponse({"error": "No such article."}, status=404))
        if not self.has_view_or_change_permission(request):
            return _no_store(JsonResponse({"error": "Not yours to see."}, status=403))
        others, mine = editing_presence.still_here(int(object_id), request.user)
        return _no_store(
            JsonResponse(
                {
                    "signed_in": True,
                    "csrf_token": get_token(request),
                    "others": [editor.as_json() for editor in others],
                    "taken_over": {"by": mine.taken_over_by, "at": mine.taken_over_text}
                    if mine
                    else None,
                }
            )
        )

    def editing_take_over_view(self, request, object_id):
        """A medical reviewer takes the edit over: the other person's page says so and stops
        saving (their text stays in their browser, offered back when they open it again)."""
        if not editorial.can_publish(request.user):
            raise PermissionDenied
        article = self.get_object(request, unquote(object_id))
        if article is None:
            raise Http404("No such article.")
        user_id = request.POST.get("user", "")
        taken = ARTICLE_ID.fullmatch(user_id) and editing_presence.take_over(
            article.pk, request.user, int(user_id)
        )
        if request.headers.get("Accept") == "application/json":
            return _no_store(JsonResponse({"taken_over": bool(taken)}))
        if taken:
            self.message_user(request, "You have taken the edit over.", messages.SUCCESS)
        else:
            self.message_user(request, "They are no longer editing it.", messages.INFO)
        return redirect(
            reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[article.pk])
        )
