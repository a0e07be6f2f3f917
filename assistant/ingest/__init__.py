"""Ingest: loaders, structure-aware chunking and the incremental pipeline."""
