"""Uploaded files are kept only up to the size the site accepts (the media library's image
limit: it takes no other uploads). The rest of a bigger file is read and dropped, not written
to disk, and the file keeps its real size, so the form refuses it saying how big it was."""

from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler


class BoundedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    def receive_data_chunk(self, raw_data, start):
        room = settings.IMAGE_UPLOAD_MAX_BYTES + 1 - start
        if room > 0:
            super().receive_data_chunk(raw_data[:room], start)
        # The parser still counts the whole file, which is the size file_complete() is given.
