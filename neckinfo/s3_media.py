"""Media in S3-compatible object storage (django-storages), for a site with more than one app
server: set DJANGO_MEDIA_S3_BUCKET and the settings beside it (README, Deploying). Imported only
then, so a site on the filesystem needs no boto3."""

from django.conf import settings
from storages.backends.s3 import S3Storage


class S3MediaStorage(S3Storage):
    """A bucket whose files are addressed under MEDIA_URL (streamed by
    neckinfo.media_files) unless a custom domain (a CDN) serves them: addresses written into
    an article's HTML when it is saved must never expire, as signed S3 addresses do."""

    def url(self, name, parameters=None, expire=None, http_method=None):
        if self.custom_domain:
            return super().url(name, parameters, expire, http_method)
        return settings.MEDIA_URL + name
