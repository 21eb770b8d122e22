"""Electronic package (电子材料包): peak memory and throughput of a 100-application, 1 GB package.

How to run (from the project root; needs about 2.2 × --gb of free space in the temp dir: the
evidence, and one downloaded ZIP kept to be checked):

    .venv/bin/python bench/package_memory.py            # 1 GB of evidence (a few minutes)
    .venv/bin/python bench/package_memory.py --gb 0.1   # a quick run

What is measured is what production does (documents/package.py): the background job
*prepares* the package — it reads every stored file, checking it against the size and CRC-32
recorded at upload, and renders the 附件1 PDF/Word, the summary, the letter and the manifests
into the job's folder — and the *download* assembles the ZIP from that folder and the stored
evidence as it sends it, checking every file again. No copy of the evidence is written (see
``prepare`` for why).

Targets: preparing and downloading the package raise the peak memory of the process by less
than 200 MB, and both the job and the download run at ≥ 0.5 × the speed of plainly reading the
same evidence files, page cache cold. Exit status 1 when a target is missed, 2 when the package
itself is wrong.

Setup (in the parent process): Django against a throwaway SQLite database and media directory
in a temporary directory (CLUSTERDESK_VAR_DIR points there, as in bench/upload_memory.py; nothing
under var/ is touched); migrate; load the Jilin units, the GB/T 4754 industries and the shipped
criteria sets; a province administrator, 敦化市's applicant and 延边州's reviewer; an open round
without a city quota. Then 100 applications through the domain functions (create, the same fixed
complete body, submit), recommended by 延边州 (同步推荐国家级), its name list, and its formal
recommendation with a letter — so the package is planned exactly as in production.

Shortcut, on purpose: the evidence is not sent through ``upload_evidence`` (its memory is what
bench/upload_memory.py measures, and 1 GB of multipart requests would only slow the setup).
For each application the script writes the files straight into private storage under random
names — one ~10 MB file for E01 and a 64 KB file for each other required item, together
--gb / 100 per application — and creates the ``EvidenceFile`` rows with their size, SHA-256 and
CRC-32, as the upload would; ``submit`` then lists them in the version, exactly as for uploaded files.

Measurements, each in a fresh child process (so nothing the setup allocated counts):

1. Memory. The child runs what the background job runs — ``plan``, ``check``, ``prepare`` with
   the job's progress writer — rendering every 附件1 PDF and Word, the summary and the letter,
   then what a download runs — ``zip_chunks`` over the prepared member list — into a file that
   is then checked (layout, every CRC-32, the announced length, the manifest).
   **Compared to 200 MB: the increase of the child's peak resident set size over both**
   (``resource.getrusage(RUSAGE_SELF).ru_maxrss`` at the end minus before ``prepare``; the
   "before" is the interpreter with Django loaded and the package planned, ~105 MB, the same for
   any package). The increase counts everything they touch: streaming (a few MB whatever the
   evidence volume) and WeasyPrint rendering the 附件1 PDFs with its four Noto CJK fonts, which
   is most of it and does not grow with the evidence either. The absolute peak is printed too.
2. Throughput. The generated documents are rendered once first (not timed: that is WeasyPrint's
   speed, not the package's) and handed to ``prepare`` as ready bytes, so the timed job reads
   and checks the same evidence files plain reading reads and writes the small documents and the
   manifests. The timed download assembles the ZIP of one prepared package (the evidence plus
   ~0.5 MB of documents an application) into a sink that counts the bytes, as the web server
   hands them to the socket. Throughput = evidence bytes / seconds, for all three.
   Plain reading = each evidence file read in 1 MiB chunks and discarded. Page cache, both ways:
   *warm* — all files read once before any timing, then plain, prepare and download
   alternated, three times each; *cold* — before every timed run each evidence file and each
   prepared document is evicted from the page cache with ``posix_fadvise(POSIX_FADV_DONTNEED)``
   (only these files; nothing global is dropped), alternated three times each. The medians are
   compared. **The 0.5 target is checked against the cold ratios**: a package is made from
   evidence on storage, and warm plain reading is a memory copy (over 10 GB/s here) that no
   step which checksums every byte (CRC-32 at ~7 GB/s on this CPU, twice in a download: once
   to check, once inside the ZIP) can approach; the warm ratios are printed too.
   Python allocations (tracemalloc peak) are measured in the same child during one extra,
   untimed prepare and download.

This is a benchmark, not a test: pytest only collects tests/.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zlib
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPLICATIONS = 100
SMALL = 64 * 1024
MEMORY_LIMIT_MB = 200
RATIO_TARGET = 0.5
REPEATS = 3
MB = 1024 * 1024


def mb(n: float) -> float:
    return n / MB


def maxrss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # kilobytes on Linux


def django_setup() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "clusterdesk.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def write_evidence(path: Path, size: int, tag: str, block: bytes) -> tuple[str, int]:
    """A file of ``size`` bytes starting like a PDF, unique per ``tag``; returns its SHA-256 and
    CRC-32, as ``core.files.store_upload`` records them."""
    digest, crc = hashlib.sha256(), 0
    head = b"%PDF-1.7\n% " + tag.encode() + b"\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "xb") as out:
        out.write(head)
        digest.update(head)
        crc = zlib.crc32(head, crc)
        left = size - len(head)
        while left > 0:
            piece = block[: min(left, len(block))]
            out.write(piece)
            digest.update(piece)
            crc = zlib.crc32(piece, crc)
            left -= len(piece)
    path.chmod(0o600)
    return digest.hexdigest(), crc


def setup(total_bytes: int) -> tuple[int, str]:
    """The database, the chain and the evidence; returns (round id, city code)."""
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.utils import timezone

    from clusterdesk.applications import domain as apps
    from clusterdesk.applications.models import Application, EvidenceFile
    from clusterdesk.catalog.domain import load_industries
    from clusterdesk.core.files import private_path
    from clusterdesk.criteria.domain import load_shipped
    from clusterdesk.orgs.domain import create_account, load_orgs, parse_org_csv
    from clusterdesk.orgs.models import Org
    from clusterdesk.reviews import domain as reviews
    from clusterdesk.rounds.domain import create_round

    sys.path.insert(0, str(ROOT))
    from tests.conftest import PDF, complete_body  # the fixed application body the tests use

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # setup speed only
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}  # no e-mail worker
    call_command("migrate", verbosity=0, interactive=False)
    load_orgs(parse_org_csv(ROOT / "data" / "jilin-divisions.csv"))
    load_industries(ROOT / "data" / "gbt4754-2017-divisions.csv")
    load_shipped()
    orgs = {o.code: o for o in Org.objects.all()}
    password = "Bench-pass-2025"
    admin = create_account(actor=None, username="bench_admin", org=orgs["220000"], role="province_admin",
                           password=password, must_change_password=False)
    clerk = create_account(actor=None, username="bench_dunhua", org=orgs["222403"], role="county_applicant",
                           password=password, must_change_password=False)
    city = create_account(actor=None, username="bench_yanbian", org=orgs["222400"], role="city_reviewer",
                          password=password, must_change_password=False)
    today = timezone.localdate()
    round_ = create_round(
        actor=admin, name="基准测试批次", year=2025, status="open", city_quota=None,
        criteria_sets=[{"code": "national-2022", "version": 1}, {"code": "jilin-provincial-2024", "version": 1}],
        deadlines={"county_submission": today + timedelta(days=30), "name_list": today + timedelta(days=40),
                   "formal_submission": today + timedelta(days=60),
                   "national_recommendation": today + timedelta(days=90)},
    )
    required = list(round_.checklist.filter(required=True).order_by("order", "id"))
    per_app = total_bytes // APPLICATIONS
    big = per_app - SMALL * (len(required) - 1)
    if big < SMALL:
        raise SystemExit(f"--gb too small: {per_app} bytes an application")
    block = os.urandom(MB)
    body = complete_body()
    started = time.perf_counter()
    for i in range(1, APPLICATIONS + 1):
        app = apps.create_application(actor=clerk, round_=round_)
        apps.save_fields(actor=clerk, application=app, data={**body, "name": f"敦化市基准产业集群{i:03d}"})
        for n, item in enumerate(required):
            size = big if n == 0 else SMALL
            stored = f"evidence/{app.pk}/{uuid.uuid4().hex}.pdf"
            sha, crc = write_evidence(private_path(stored), size, f"{app.pk}-{item.code}", block)
            EvidenceFile.objects.create(application=app, item_code=item.code, original_name=f"{item.title[:12]}（{i:03d}）.pdf",
                                        stored_name=stored, kind="pdf", size=size, sha256=sha, crc32=crc,
                                        uploaded_by=clerk)
        apps.submit(actor=clerk, application=app)
        reviews.perform(actor=city, application=Application.objects.get(pk=app.pk), action="city_recommend",
                        inputs={"national": True})
    reviews.submit_name_list(actor=city, round_=round_)
    reviews.submit_formal(actor=city, round_=round_, confirm_final=True,
                          letter=SimpleUploadedFile("延边州推荐函.pdf", PDF, content_type="application/pdf"))
    print(f"setup:         {APPLICATIONS} applications, {mb(total_bytes):.0f} MB of evidence "
          f"({len(required)} files each, the largest {mb(big):.1f} MB), {time.perf_counter() - started:.0f} s")
    return round_.pk, city.org.code


# --- children ----------------------------------------------------------------------------------

def _plan(round_id: int, org_code: str):
    from clusterdesk.documents import package
    from clusterdesk.orgs.models import Org
    from clusterdesk.rounds.models import Round

    round_, org = Round.objects.get(pk=round_id), Org.objects.get(code=org_code)
    entries = package.plan(round_, org)
    package.check(entries)
    return round_, org, entries


def _verify(out: Path, entries, result) -> None:
    """The downloaded archive lists every planned file, its CRCs hold, its length is the one
    announced, and its manifest agrees with the plan."""
    import csv
    import io
    import zipfile

    if out.stat().st_size != result.size:
        raise SystemExit(f"archive is {out.stat().st_size} bytes, {result.size} were announced")
    with zipfile.ZipFile(out) as z:
        names = z.namelist()
        if names != [e.arcname for e in entries]:
            raise SystemExit("package layout differs from the plan")
        if z.testzip() is not None:
            raise SystemExit("a CRC-32 in the archive does not hold")
        rows = list(csv.DictReader(io.StringIO(z.read("manifest.csv").decode("utf-8-sig"))))
    expected = {e.arcname: (e.size, e.sha256) for e in entries if e.source == "file"}
    for row in rows:
        if row["path"] in expected and (int(row["size"]), row["sha256"]) != expected[row["path"]]:
            raise SystemExit(f"manifest disagrees for {row['path']}")


def child_memory(round_id: int, org_code: str, out: Path) -> dict:
    from clusterdesk.documents import package
    from clusterdesk.documents.models import PackageJob
    from clusterdesk.documents.tasks import _progress_writer
    from clusterdesk.orgs.models import User

    round_, org, entries = _plan(round_id, org_code)
    job = PackageJob.objects.create(round=round_, org=org, requested_by=User.objects.get(username="bench_yanbian"),
                                    status="running")
    before = maxrss_bytes()
    started = time.perf_counter()
    result = package.prepare(entries, "packages/bench/memory", _progress_writer(job.pk), title="基准")
    seconds = time.perf_counter() - started
    prepared_peak = maxrss_bytes()
    started = time.perf_counter()
    with open(out, "wb") as handle:  # what a download sends, kept to be checked
        for chunk in package.zip_chunks(package.members("packages/bench/memory")):
            handle.write(chunk)
    download_seconds = time.perf_counter() - started
    peak = maxrss_bytes()
    _verify(out, entries, result)
    return {"rss_before": before, "rss_prepared": prepared_peak, "rss_peak": peak, "seconds": seconds,
            "download_seconds": download_seconds, "render_seconds": result.render_seconds,
            "size": result.size, "files": result.files, "stored_bytes": result.stored_bytes}


def _evict(paths) -> None:
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)  # dirty pages cannot be dropped: make sure none are left
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)


def _plain(paths) -> int:
    total = 0
    for path in paths:
        with open(path, "rb") as handle:
            while chunk := handle.read(MB):
                total += len(chunk)
    return total


def child_throughput(round_id: int, org_code: str, out: Path) -> dict:
    import dataclasses
    import itertools
    import tracemalloc

    from clusterdesk.core.files import private_path
    from clusterdesk.documents import package

    _, _, entries = _plan(round_id, org_code)
    ready = []
    for entry in entries:  # render once, untimed: the archive is what is measured
        if entry.source == "generated":
            data = entry.render()
            entry = dataclasses.replace(entry, render=lambda data=data: data)
        ready.append(entry)
    paths = [e.path for e in entries if e.source == "file"]
    stored = sum(e.size for e in entries if e.source == "file")
    numbers = itertools.count()

    def prepare() -> None:
        package.prepare(ready, f"packages/bench/run-{next(numbers)}")

    package.prepare(ready, "packages/bench/served")  # the prepared package the downloads send
    served = package.members("packages/bench/served")
    served_paths = [m.path for m in served]

    def download() -> None:
        sent = 0
        for chunk in package.zip_chunks(served):  # into a sink, as the server hands them to the socket
            sent += len(chunk)

    def timed(fn, cold: bool) -> float:
        if cold:
            _evict(served_paths)  # the evidence and the prepared documents
        started = time.perf_counter()
        fn()
        seconds = time.perf_counter() - started
        for run in private_path("packages/bench").glob("run-*"):  # not timed
            shutil.rmtree(run)
        return seconds

    runs = {}
    _plain(paths)  # warm the page cache once before the warm timings
    for mode, cold in (("warm", False), ("cold", True)):
        timings = {"plain": [], "prepare": [], "download": []}
        for _ in range(REPEATS):
            timings["plain"].append(timed(lambda: _plain(paths), cold))
            timings["prepare"].append(timed(prepare, cold))
            timings["download"].append(timed(download, cold))
        runs[mode] = timings

    tracemalloc.start()
    prepare()
    download()
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"stored_bytes": stored, "runs": runs, "traced_peak": traced}


def run_child(kind: str, round_id: int, org_code: str, workdir: Path) -> dict:
    out = workdir / f"{kind}.zip"
    answer = subprocess.run(
        [sys.executable, __file__, "--child", kind, "--round", str(round_id), "--org", org_code, "--out", str(out)],
        env=os.environ.copy(), capture_output=True, text=True,
    )
    if answer.returncode != 0:
        sys.stderr.write(answer.stdout + answer.stderr)
        raise SystemExit(2)
    return json.loads(answer.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--gb", type=float, default=1.0, help="evidence in GiB over the 100 applications (default 1.0)")
    parser.add_argument("--child", choices=["memory", "throughput"], help=argparse.SUPPRESS)
    parser.add_argument("--round", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--org", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        django_setup()
        fn = child_memory if args.child == "memory" else child_throughput
        print(json.dumps(fn(args.round, args.org, Path(args.out))))
        return 0

    workdir = Path(tempfile.mkdtemp(prefix="clusterdesk-bench-package-"))
    os.environ["CLUSTERDESK_VAR_DIR"] = str(workdir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("CLUSTERDESK_MEDIA_DIR", None)
    os.environ["TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    try:
        django_setup()
        round_id, org_code = setup(int(args.gb * 1024 ** 3))
        memory = run_child("memory", round_id, org_code, workdir)
        speed = run_child("throughput", round_id, org_code, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    stored = speed["stored_bytes"]
    print(f"package:       {memory['files']} files, a {mb(memory['size']):.0f} MB ZIP; the job prepared it in "
          f"{memory['seconds']:.1f} s ({memory['render_seconds']:.1f} s of it rendering the 附件1 PDF/Word, summary "
          f"and letter), its download took {memory['download_seconds']:.1f} s")
    prepare_rise = mb(memory["rss_prepared"] - memory["rss_before"])
    rise = mb(memory["rss_peak"] - memory["rss_before"])
    print(f"memory:        the job raised peak RSS by {prepare_rise:.1f} MB, the job and the download together by "
          f"{rise:.1f} MB (limit {MEMORY_LIMIT_MB} MB): {mb(memory['rss_before']):.1f} MB before "
          f"(Python, Django, the plan), process peak {mb(memory['rss_peak']):.1f} MB")
    print(f"               tracemalloc peak of Python allocations while preparing and downloading "
          f"{mb(speed['traced_peak']):.1f} MB (informational)")
    ratios = {}
    for mode in ("warm", "cold"):
        runs = speed["runs"][mode]
        plain = mb(stored) / statistics.median(runs["plain"])
        line = f"throughput {mode}: plain reading {plain:7.0f} MB/s"
        for step in ("prepare", "download"):
            rate = mb(stored) / statistics.median(runs[step])
            ratios[mode, step] = rate / plain
            line += f"; {step} {rate:6.0f} MB/s, ratio {ratios[mode, step]:.2f}"
        print(line)
        print("               (medians of " + str(REPEATS) + "; MB/s of each run: "
              + "; ".join(step + " " + ", ".join(f"{mb(stored) / t:.0f}" for t in runs[step])
                          for step in ("plain", "prepare", "download")) + ")")
    print(f"target:        cold ratio ≥ {RATIO_TARGET} for the job (prepare) and for the download; "
          f"peak RSS increase < {MEMORY_LIMIT_MB} MB")
    failed = False
    if rise >= MEMORY_LIMIT_MB:
        print(f"FAIL: the package raised peak memory by {rise:.1f} MB ≥ {MEMORY_LIMIT_MB} MB", file=sys.stderr)
        failed = True
    for step in ("prepare", "download"):
        if ratios["cold", step] < RATIO_TARGET:
            print(f"FAIL: cold {step} throughput ratio {ratios['cold', step]:.2f} < {RATIO_TARGET}", file=sys.stderr)
            failed = True
    if not failed:
        print("OK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
