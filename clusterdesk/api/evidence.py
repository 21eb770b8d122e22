"""Placeholder: filled by the evidence work."""

from ninja import Router

router = Router()
