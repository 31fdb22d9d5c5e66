"""Placeholder until this family lands."""

EXPORTS: dict = {}
