"""Peak memory of a 50 MB evidence upload through the real Django request path.

How to run (from the project root; about 10-20 seconds, needs ~150 MB free in the temp dir):

    .venv/bin/python bench/upload_memory.py

What it does: sets up Django against a throwaway SQLite database in a temporary directory
(CLUSTERDESK_VAR_DIR points there, so nothing under var/ is touched), migrates, loads the
Jilin units from data/jilin-divisions.csv, creates a province admin, a county applicant, an
open round and an application through the domain functions. It writes a valid 50 MB PDF
(a small PDF whose one stream is padded) and a multipart request body to disk, then sends
the body to Django's WSGIHandler (middleware, session, CSRF, the evidence upload view)
with the body streamed from disk as ``wsgi.input``, exactly as a WSGI server would,
while tracemalloc records the peak of Python allocations. django.test.Client is not used
for the request itself because it builds the whole multipart body in memory.

The baseline, measured in the same run, is the peak of simply reading the same file whole
into memory. It prints both peaks in MB and the ratio upload_peak / baseline_peak, and
exits 1 if the ratio is 0.5 or more (a healthy streamed upload is well under 0.2), 2 if the
upload itself failed. This is a benchmark, not a test: pytest only collects tests/.
"""

import hashlib
import os
import shutil
import sys
import tempfile
import tracemalloc
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILE_MB = 50
RATIO_LIMIT = 0.5


def write_pdf(path: Path, size: int) -> None:
    """A well-formed PDF of exactly ``size`` bytes: one page whose content stream is padded."""
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
    objects = [
        b"1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n",
        b"2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n",
        b"3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>\nendobj\n",
    ]
    fixed = len(head) + sum(map(len, objects)) + 512  # generous room for stream header, xref, trailer
    padding = size - fixed
    stream_head = b"4 0 obj\n<< /Length %010d >>\nstream\n" % padding
    stream_tail = b"\nendstream\nendobj\n"
    with open(path, "wb") as out:
        offsets = []
        out.write(head)
        for obj in objects:
            offsets.append(out.tell())
            out.write(obj)
        offsets.append(out.tell())
        out.write(stream_head)
        block = b"% padding " + b"0" * (1024 * 1024 - 11) + b"\n"
        remaining = padding
        while remaining:
            piece = block[: min(len(block), remaining)]
            out.write(piece)
            remaining -= len(piece)
        out.write(stream_tail)
        xref = out.tell()
        out.write(b"xref\n0 5\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets))
        out.write(b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n" % xref)
        tail = b"%%EOF\n"
        short = size - out.tell() - len(tail)
        if short < 0:
            raise RuntimeError("PDF layout overflow; increase the reserved room")
        out.write(b"%" + b" " * (short - 2) + b"\n" if short >= 2 else b"\n" * short)
        out.write(tail)
    assert path.stat().st_size == size


def write_multipart(body: Path, pdf: Path, boundary: str, item: str, filename: str, csrf: str) -> None:
    """The request body a browser sends for the evidence upload form, streamed to disk."""
    crlf = b"\r\n"
    with open(body, "wb") as out:
        for name, value in (("csrfmiddlewaretoken", csrf), ("item", item)):
            out.write(f"--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n".encode())
        out.write(
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n"
            "Content-Type: application/pdf\r\n\r\n".encode()
        )
        with open(pdf, "rb") as src:
            shutil.copyfileobj(src, out, 1024 * 1024)
        out.write(crlf + f"--{boundary}--".encode() + crlf)


def mb(n: int) -> float:
    return n / (1024 * 1024)


def main() -> int:
    workdir = Path(tempfile.mkdtemp(prefix="clusterdesk-bench-"))
    os.environ["CLUSTERDESK_VAR_DIR"] = str(workdir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("CLUSTERDESK_MEDIA_DIR", None)
    os.environ["MAX_UPLOAD_MB"] = str(FILE_MB)
    os.environ["DJANGO_SETTINGS_MODULE"] = "clusterdesk.settings"
    sys.path.insert(0, str(ROOT))
    try:
        return run(workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(workdir: Path) -> int:
    import django

    django.setup()

    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from clusterdesk.applications.domain import create_application
    from clusterdesk.applications.models import EvidenceFile
    from clusterdesk.orgs.domain import create_account, load_orgs, parse_org_csv
    from clusterdesk.orgs.models import Org
    from clusterdesk.rounds.domain import create_round

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # setup speed only
    call_command("migrate", verbosity=0, interactive=False)
    load_orgs(parse_org_csv(ROOT / "data" / "jilin-divisions.csv"))
    orgs = {o.code: o for o in Org.objects.all()}
    password = "Bench-pass-2025"
    admin = create_account(actor=None, username="bench_admin", org=orgs["220000"], role="province_admin",
                           password=password, must_change_password=False)
    clerk = create_account(actor=None, username="bench_dunhua", org=orgs["222403"], role="county_applicant",
                           password=password, must_change_password=False)
    today = timezone.localdate()
    round_ = create_round(actor=admin, name="基准测试批次", year=today.year, status="open",
                          deadlines={"county_submission": today + timedelta(days=30)})
    application = create_application(actor=clerk, round_=round_)

    # A logged-in browser: session cookie and CSRF cookie from a real page view.
    client = Client()
    client.force_login(clerk)
    page = client.get(f"/applications/{application.pk}/evidence/")
    if page.status_code != 200 or "csrftoken" not in client.cookies:
        print(f"evidence page answered {page.status_code}; cannot get a CSRF token", file=sys.stderr)
        return 2
    csrf = client.cookies["csrftoken"].value
    cookie = "; ".join(f"{k}={v.value}" for k, v in client.cookies.items())

    size = FILE_MB * 1024 * 1024
    pdf = workdir / "bench.pdf"
    write_pdf(pdf, size)
    expected_sha = hashlib.sha256()
    with open(pdf, "rb") as fh:
        for block in iter(lambda: fh.read(1024 * 1024), b""):
            expected_sha.update(block)
    boundary = f"----clusterdesk{uuid.uuid4().hex}"
    body = workdir / "body.bin"
    write_multipart(body, pdf, boundary, "E01", "统计局产值证明（基准）.pdf", csrf)

    handler = WSGIHandler()
    status_holder = {}

    def start_response(status, headers, exc_info=None):
        status_holder["status"] = status
        return lambda data: None

    with open(body, "rb") as stream:
        environ = {
            "REQUEST_METHOD": "POST",
            "SCRIPT_NAME": "",
            "PATH_INFO": f"/applications/{application.pk}/evidence/upload/",
            "QUERY_STRING": "",
            "CONTENT_TYPE": f"multipart/form-data; boundary={boundary}",
            "CONTENT_LENGTH": str(body.stat().st_size),
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "testserver",
            "HTTP_COOKIE": cookie,
            "HTTP_X_CSRFTOKEN": csrf,
            "HTTP_X_REQUESTED_WITH": "XMLHttpRequest",
            "wsgi.input": stream,
            "wsgi.errors": sys.stderr,
            "wsgi.url_scheme": "http",
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        tracemalloc.start()
        start, _ = tracemalloc.get_traced_memory()
        response = handler(environ, start_response)
        content = b"".join(response)
        response.close()  # what the WSGI server does: closes the request and its temporary upload file
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    upload_peak = peak - start

    status = status_holder.get("status", "")
    if not status.startswith("201"):
        print(f"upload failed: {status} {content[:500].decode(errors='replace')}", file=sys.stderr)
        return 2
    stored = EvidenceFile.objects.get(application=application)
    if stored.size != size or stored.sha256 != expected_sha.hexdigest():
        print("upload stored the wrong bytes (size or SHA-256 differs)", file=sys.stderr)
        return 2

    tracemalloc.start()
    start, _ = tracemalloc.get_traced_memory()
    with open(pdf, "rb") as fh:
        whole = fh.read()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del whole
    baseline_peak = peak - start

    ratio = upload_peak / baseline_peak
    print(f"file:                        {mb(size):.1f} MB PDF, stored as {stored.kind}, sha256 {stored.sha256[:12]}…")
    print(f"upload peak (request path):  {mb(upload_peak):.2f} MB")
    print(f"baseline peak (read whole):  {mb(baseline_peak):.2f} MB")
    print(f"ratio upload/baseline:       {ratio:.3f}  (limit {RATIO_LIMIT})")
    if ratio >= RATIO_LIMIT:
        print("FAIL: the upload path holds too much of the file in memory", file=sys.stderr)
        return 1
    print("OK: the upload is streamed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
