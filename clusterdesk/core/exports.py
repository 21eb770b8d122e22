"""Downloads of the lists people work on (Excel, CSV, Word): one way to build and send them.

Every export is scoped by the caller exactly like its page (the same ``visible_to`` queryset
and filters); here only the file is built, sent as an attachment with a Chinese file name
(RFC 5987 ``filename*``), ``Cache-Control: private, no-store``, and audited
(``export.downloaded``: what, how many rows, which filters).
"""

import csv
import io
from datetime import datetime

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header

__all__ = ["XLSX", "DOCX", "CSV", "attachment", "csv_bytes", "stamp", "xlsx_bytes"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CSV = "text/csv; charset=utf-8"


def stamp(now: datetime | None = None) -> str:
    """The date-time part of an export's file name (Beijing time)."""
    return timezone.localtime(now or timezone.now()).strftime("%Y%m%d%H%M")


def _cell(value):
    if isinstance(value, datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S") if timezone.is_aware(value) else value
    return value


def xlsx_bytes(sheet_title: str, headers: list[str], rows, *, title: str = "", widths: list[int] | None = None,
               more: list[tuple] = ()) -> bytes:
    """One sheet: an optional title line, a bold frozen header row, the rows, auto-filter.
    ``more``: further sheets as ``(sheet_title, headers, rows)``."""
    from openpyxl import Workbook

    wb = Workbook()
    _fill(wb.active, sheet_title, headers, rows, title=title, widths=widths)
    for extra_title, extra_headers, extra_rows in more:
        _fill(wb.create_sheet(), extra_title, extra_headers, extra_rows)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _fill(ws, sheet_title: str, headers: list[str], rows, *, title: str = "", widths: list[int] | None = None) -> None:
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws.title = sheet_title[:31]
    first = 1
    if title:
        ws.cell(row=1, column=1, value=title).font = Font(bold=True, size=14)
        first = 2
    for col, header in enumerate(headers, 1):
        cell = ws.cell(row=first, column=col, value=header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    n = 0
    for n, row in enumerate(rows, 1):
        for col, value in enumerate(row, 1):
            ws.cell(row=first + n, column=col, value=_cell(value))
    ws.freeze_panes = ws.cell(row=first + 1, column=1)
    ws.auto_filter.ref = f"A{first}:{get_column_letter(len(headers))}{first + max(n, 1)}"
    for col, header in enumerate(headers, 1):
        width = widths[col - 1] if widths and col <= len(widths) else max(10, len(header) * 2 + 2)
        ws.column_dimensions[get_column_letter(col)].width = width


def csv_bytes(headers: list[str], rows) -> bytes:
    """UTF-8 with a byte order mark, so that Excel opens Chinese text correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def attachment(body: bytes, filename: str, content_type: str, *, request, what: str, rows: int,
               filters: dict | None = None) -> HttpResponse:
    """Send ``body`` as a download and write its audit event (who exported what, how many rows)."""
    from clusterdesk.audit.domain import record

    from .middleware import mark_audited

    record(action="export.downloaded", actor=request.user, object_type="export", object_id=what,
           object_repr=filename[:255], after={"rows": rows, "filters": {k: v for k, v in (filters or {}).items() if v}},
           request=request)
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return mark_audited(response)  # its own export.downloaded event: the download middleware adds none
