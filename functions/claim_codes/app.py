"""Placeholder: routes arrive with the claim_codes work."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from badgekit import api

router = Router()

lambda_handler = api.build_handler([router])
