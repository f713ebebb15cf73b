"""Balie: a client portal for accountancy firms and notaries."""

from balie.celery import app as celery_app

__all__ = ["celery_app"]
