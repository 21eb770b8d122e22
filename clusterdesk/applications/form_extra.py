"""Fields added to the form for 附件1 as an official form (issue 12 §2), checked here.

``validation.clean_fields`` knows the original fields; these are cleaned first by
``clean_extra`` (called from ``domain.save_fields``) and the rest goes on to ``clean_fields``.
All are optional for submission: the seed notice asks for them on the form but names no
threshold or mandatory wording, and the criteria engine does not read them.

- ``core_competitiveness`` (aspects): 第一方面“具有较强核心竞争力”的说明 — the leading industry's
  place in the county (支柱/特色产业), its national rank or market share in the niche, the brand.
- ``sme_cultivation`` (aspects): 第二方面“优质中小企业梯度培育成效显著”的说明.
- ``sme_count`` (indicators): 集群内中小企业数量（家）, at the end of the last declared year.
"""

from .validation import ASPECT_TITLES, FieldError, _Errors, _text, parse_int

NARRATIVES = {
    "core_competitiveness": ("1", ASPECT_TITLES["1"],
                             "主导产业在县域的支柱或特色产业地位、在细分领域的全国排名或市场占有率、集群品牌知名度等"),
    "sme_cultivation": ("2", ASPECT_TITLES["2"],
                        "单项冠军、专精特新“小巨人”、专精特新中小企业、创新型中小企业、高新技术企业的培育情况和梯度培育措施等"),
}
SME_COUNT_LABEL = "集群内中小企业数量"
EXTRA_FIELDS = {*NARRATIVES, "sme_count"}
MAX_NARRATIVE = 5000


def clean_extra(data: dict) -> tuple[dict, list[FieldError]]:
    """The cleaned extra fields present in ``data`` and their errors (Chinese, naming the field)."""
    errors = _Errors()
    out = {}
    for key, (number, title, _hint) in NARRATIVES.items():
        if key in data:
            out[key] = _text(data[key], key, f"第{number}方面“{title}”的说明", errors, MAX_NARRATIVE)
    if "sme_count" in data:
        out["sme_count"] = parse_int(data["sme_count"], "sme_count", SME_COUNT_LABEL, errors)
    return out, list(errors)
