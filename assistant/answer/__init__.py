"""Answering: evidence scoring, backends, citation verification and follow-up condensation."""
