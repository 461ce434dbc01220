"""Hostile and broken input files, and the tests that every one is handled (issue #8)."""
