"""Placeholder: filled by the rounds work."""

from ninja import Router

router = Router()
