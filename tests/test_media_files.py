"""Image renditions served to readers: from Django's default storage, cached for a year, no
query, and nothing but renditions (no originals, no paths out of the media folder). With
S3-compatible object storage (a real moto server, started here) the same, through the admin's
own upload form."""

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import boto3
import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from conditions import images
from conditions.models import Image, Rendition
from tests.factories import make_image, picture_bytes
from tests.production import manage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_a_rendition_is_served_for_a_year_without_a_query(reader, django_assert_num_queries):
    image = make_image()
    rendition = image.renditions.get(width=640, format="webp")

    with django_assert_num_queries(0):
        response = reader.get(rendition.file.url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert _body(response) == default_storage.open(rendition.file.name).read()


def test_a_browser_that_has_it_is_told_so(reader):
    rendition = make_image().renditions.get(width=320, format="avif")
    etag = reader.get(rendition.file.url)["ETag"]

    response = reader.get(rendition.file.url, headers={"If-None-Match": etag})

    assert response.status_code == 304


@pytest.mark.parametrize(
    "address",
    [
        "/media/images/renditions/{id}/0123456789abcdef0123-640.webp",  # no such file
        "/media/{original}",  # uploaded originals are not published
        "/media/images/renditions/{id}/../../originals/x.png",
        "/media/images/renditions/{id}/%2e%2e/%2e%2e/../../db.sqlite3",
        "/media/../neckinfo/settings.py",
        "/media/images/renditions/{id}/{hash}-640.webp/",
        "/media/images/renditions/{id}/{hash}-640.svg",
        "/media/images/renditions/{id}/{HASH}-640.webp",
        "/media/",
    ],
)
def test_anything_but_a_rendition_is_not_found(reader, address):
    image = make_image()
    address = address.format(
        id=image.pk,
        original=image.file.name,
        hash=image.file_hash[:20],
        HASH=image.file_hash[:20].upper(),
    )

    response = reader.get(address)

    assert response.status_code == 404
    assert response["X-Content-Type-Options"] == "nosniff"


def test_media_is_only_read(reader):
    rendition = make_image().renditions.first()

    assert reader.post(rendition.file.url).status_code == 405
    assert default_storage.exists(rendition.file.name)


# Object storage.


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server():
    """A moto S3 server in its own process, on a free port: real HTTP, as a bucket would be."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("the moto S3 server did not start")
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)


S3_KEYS = {"access_key": "testing", "secret_key": "testing", "region_name": "eu-west-2"}


@pytest.fixture
def bucket(s3_server, request) -> str:
    name = f"neckinfo-media-{request.node.name[-20:].lower().strip('_-')}-{time.time_ns()}"
    name = "".join(c if c.isalnum() or c == "-" else "-" for c in name)[:63]
    client = _s3(s3_server)
    client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-2"})
    return name


def _s3(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="eu-west-2",
    )


def test_uploads_go_to_object_storage_and_renditions_are_read_back(
    settings, s3_server, bucket, editor_client, reader, django_capture_on_commit_callbacks
):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "neckinfo.s3_media.S3MediaStorage",
            "OPTIONS": {"bucket_name": bucket, "endpoint_url": s3_server, **S3_KEYS},
        },
    }

    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            reverse("admin:conditions_image_add"),
            {
                "alt_text": "Diagram of the neck",
                "upload": SimpleUploadedFile("neck.jpg", picture_bytes(700, 500, "JPEG")),
            },
        )

    assert response.status_code == 302
    image = Image.objects.get()
    keys = {item["Key"] for item in _s3(s3_server).list_objects_v2(Bucket=bucket)["Contents"]}
    assert image.file.name in keys
    renditions = Rendition.objects.filter(image=image)
    assert {r.file.name for r in renditions} <= keys and renditions.count() == 9
    rendition = renditions.get(width=640, format="webp")
    # Addressed under /media/ (a signed bucket address would expire inside saved pages),
    # and streamed from the bucket by the app.
    assert rendition.file.url.startswith("/media/images/renditions/")
    assert 'src="/media/images/renditions/' in images.picture_html(image, size="medium")
    served = reader.get(rendition.file.url)
    assert served.status_code == 200
    assert served["Cache-Control"] == "public, max-age=31536000, immutable"
    # The same bytes over HTTP from the object store itself (private: a signed address).
    signed = _s3(s3_server).generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": rendition.file.name}
    )
    over_http = urllib.request.urlopen(signed).read()
    assert _body(served) == over_http
    assert over_http[:4] == b"RIFF" and over_http[8:12] == b"WEBP"
    assert reader.get(rendition.file.url.replace("-640.", "-960.").replace(
        image.file_hash[:20], "0" * 20)).status_code == 404  # fmt: skip


def test_the_documented_settings_put_media_in_the_bucket(s3_server, bucket):
    result = manage(
        "shell",
        "-c",
        "from django.core.files.base import ContentFile; "
        "from django.core.files.storage import storages; "
        "s = storages['default']; "
        "print(type(s).__name__); "
        "print(s.save('images/check.txt', ContentFile(b'in the bucket'))); "
        "print(s.url('images/check.txt'))",
        DJANGO_DEBUG="1",
        DJANGO_MEDIA_S3_BUCKET=bucket,
        DJANGO_MEDIA_S3_ENDPOINT_URL=s3_server,
        DJANGO_MEDIA_S3_REGION="eu-west-2",
        DJANGO_MEDIA_S3_ACCESS_KEY_ID="testing",
        DJANGO_MEDIA_S3_SECRET_ACCESS_KEY="testing",
    )

    assert result.returncode == 0, result.stderr
    storage_class, name, url = result.stdout.split()[-3:]
    assert (storage_class, name, url) == (
        "S3MediaStorage",
        "images/check.txt",
        "/media/images/check.txt",
    )
    stored = _s3(s3_server).get_object(Bucket=bucket, Key=name)
    assert stored["Body"].read() == b"in the bucket"
    assert stored["CacheControl"] == "public, max-age=31536000, immutable"


def test_with_a_custom_domain_images_are_addressed_there_and_allowed_by_the_policy(
    s3_server, bucket
):
    result = manage(
        "shell",
        "-c",
        "from django.conf import settings; "
        "from django.core.files.storage import default_storage as s; "
        "print(s.url('images/renditions/1/abc-320.webp')); "
        "print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src'][-1])",
        DJANGO_DEBUG="1",
        DJANGO_MEDIA_S3_BUCKET=bucket,
        DJANGO_MEDIA_S3_ENDPOINT_URL=s3_server,
        DJANGO_MEDIA_S3_CUSTOM_DOMAIN="media.neckinfo.example",
        DJANGO_MEDIA_S3_ACCESS_KEY_ID="testing",
        DJANGO_MEDIA_S3_SECRET_ACCESS_KEY="testing",
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == [
        "https://media.neckinfo.example/images/renditions/1/abc-320.webp",
        "https://media.neckinfo.example",
    ]
