"""HTML → PDF with WeasyPrint: A4, Noto CJK fonts embedded, "第 X 页 共 Y 页", draft watermark.

Templates extend ``documents/print_base.html``; pass ``draft=True`` for the 草稿 watermark.
Nothing is fetched from the network: fonts come from the system (fonts-noto-cjk) and any
image is inlined as a data URI.
"""

from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

_fonts = FontConfiguration()


def _refuse_network(url: str, *args, **kwargs):
    raise ValueError(f"documents never fetch external resources: {url}")


class _DataOnlyFetcher(URLFetcher):
    """Resolves ``data:`` URIs (inlined images) and refuses everything else.

    WeasyPrint 70 expects a ``URLFetcher`` instance (it reads ``_fail_on_errors`` from it), so a
    plain function cannot be passed as ``url_fetcher``.
    """

    def __init__(self):
        super().__init__(allowed_protocols=("data",), allow_redirects=False)

    def fetch(self, url, headers=None):
        if not str(url).startswith("data:"):
            _refuse_network(url)
        return super().fetch(url, headers)


def html_to_pdf(html: str) -> bytes:
    return HTML(string=html, url_fetcher=_DataOnlyFetcher()).write_pdf(font_config=_fonts)


def render_pdf(template: str, context: dict) -> bytes:
    return html_to_pdf(render_to_string(template, context))
