"""What a unit's letters print and how a document number (发文字号) must look.

A 发文字号 is 发文机关代字 + 〔年份〕 + 发文顺序号 + 号 (GB/T 9704-2012 7.2.4), e.g.
工信厅企业函〔2025〕77号 or 吉工信中小〔2025〕12号: the year in hexagonal brackets 〔〕, the running
number without leading zeros. A unit's 代字 (吉工信) and 签发人 are kept on the unit and edited by
the province's administrator or the system administrator (``update_letterhead``).
"""

from __future__ import annotations

import re

from django.db import transaction

from clusterdesk.audit.domain import record, snapshot
from clusterdesk.core.errors import DomainError, NotAllowed

from . import roles
from .models import Org

DOC_NUMBER_RE = re.compile(r"^[\u4e00-\u9fff]{1,20}〔(19|20)\d{2}〕[1-9]\d{0,4}号$")
PREFIX_RE = re.compile(r"^[\u4e00-\u9fff]{1,12}$")
SIGNER_MAX = 20
LETTERHEAD_FIELDS = ["doc_prefix", "signer"]


def clean_doc_number(value, field: str, label: str) -> str:
    """A document number as typed ("" stays ""), or refused naming the field."""
    text = (value or "").strip().replace(" ", "").replace("\u3000", "")
    if not text:
        return ""
    if not DOC_NUMBER_RE.match(text):
        raise DomainError(f"{label}“{text}”格式不对：应为“代字〔年份〕序号号”，年份用六角括号〔〕，"
                          "如 工信厅企业函〔2025〕77号", field=field)
    return text


def clean_prefix(value) -> str:
    text = (value or "").strip()
    if text and not PREFIX_RE.match(text):
        raise DomainError(f"发文机关代字“{text}”格式不对：应为 1–12 个汉字，不含年份和序号，如 吉工信", field="doc_prefix")
    return text


def clean_signer(value) -> str:
    text = (value or "").strip()
    if len(text) > SIGNER_MAX:
        raise DomainError(f"签发人最多 {SIGNER_MAX} 个字，请缩短（现为 {len(text)} 个字）", field="signer")
    return text


def can_edit_letterhead(user, org: Org) -> bool:
    """The province's administrator or the system administrator, for units of their province."""
    if not roles.is_province_manager(user):
        return False
    return org.path.startswith(user.org.path)


@transaction.atomic
def update_letterhead(*, actor, org: Org, doc_prefix=None, signer=None, request=None) -> Org:
    """Set a unit's 发文机关代字 and/or 签发人 (None leaves a field). Side effects: ``org.letterhead``."""
    if not can_edit_letterhead(actor, org):
        raise NotAllowed("只有省厅管理员和系统管理员可以修改单位的发文机关代字和签发人")
    org = Org.objects.select_for_update().get(pk=org.pk)
    before = snapshot(org, LETTERHEAD_FIELDS)
    if doc_prefix is not None:
        org.doc_prefix = clean_prefix(doc_prefix)
    if signer is not None:
        org.signer = clean_signer(signer)
    org.save(update_fields=LETTERHEAD_FIELDS)
    record(action="org.letterhead", actor=actor, obj=org, before=before, after=snapshot(org, LETTERHEAD_FIELDS),
           request=request)
    return org
