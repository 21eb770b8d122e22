"""HTML → PDF with WeasyPrint: A4, Noto CJK fonts embedded, "第 X 页 共 Y 页", draft watermark.

Templates extend ``documents/print_base.html``; pass ``draft=True`` for the 草稿 watermark.
Nothing is fetched from the network: fonts come from the system (fonts-noto-cjk) and any
image is inlined as a data URI.
"""

from django.template.loader import render_to_string
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration

_fonts = FontConfiguration()


def _refuse_network(url: str, *args, **kwargs):
    raise ValueError(f"documents never fetch external resources: {url}")


def html_to_pdf(html: str) -> bytes:
    return HTML(string=html, url_fetcher=_refuse_network).write_pdf(font_config=_fonts)


def render_pdf(template: str, context: dict) -> bytes:
    return html_to_pdf(render_to_string(template, context))
