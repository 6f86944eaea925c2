"""Rendering results for people (rich text) and programs (json, csv, github annotations)."""
