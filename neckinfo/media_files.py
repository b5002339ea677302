"""Media files (image renditions) served by the app, from Django's default storage, the way
whitenoise serves static files: before the page cache, sessions or the database are touched.

Only renditions are served: their names (conditions.images.RENDITION_NAME) hold the hash of
the file they were made from, so an address always means the same bytes and browsers and
proxies keep them for a year without asking again. Anything else under MEDIA_URL (an
uploaded original, a guessed or `../` path) answers 404, having touched nothing.

With object storage (neckinfo/s3_media.py) the files are streamed from the bucket, unless
they are addressed at a custom domain (a CDN) instead.
"""

from django.conf import settings
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpResponse, HttpResponseNotAllowed, HttpResponseNotFound

from conditions.images import CONTENT_TYPES, RENDITION_EXTENSIONS, RENDITION_NAME

FOREVER = "public, max-age=31536000, immutable"
CONTENT_TYPE_OF_EXTENSION = {
    extension: CONTENT_TYPES[format] for format, extension in RENDITION_EXTENSIONS.items()
}


class MediaFilesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = settings.MEDIA_URL if settings.MEDIA_URL.startswith("/") else None

    def __call__(self, request):
        if self.prefix is None or not request.path_info.startswith(self.prefix):
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        name = request.path_info[len(self.prefix) :]
        match = RENDITION_NAME.match(name)
        if match is None:
            return _not_found()
        etag = f'"{match["hash"]}-{match["width"]}-{match["extension"]}"'
        if request.headers.get("If-None-Match") == etag:
            response = HttpResponse(status=304)
        else:
            try:
                stored = default_storage.open(name)
            except OSError:  # FileNotFoundError, on disk or (django-storages) in a bucket
                return _not_found()
            response = FileResponse(
                stored, content_type=CONTENT_TYPE_OF_EXTENSION[match["extension"]]
            )
        response["Cache-Control"] = FOREVER
        response["ETag"] = etag
        response["X-Content-Type-Options"] = "nosniff"
        return response


def _not_found() -> HttpResponse:
    response = HttpResponseNotFound("Not found", content_type="text/plain; charset=utf-8")
    response["X-Content-Type-Options"] = "nosniff"
    return response
