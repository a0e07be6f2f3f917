"""Retrieval: hybrid dense + BM25 with reciprocal-rank fusion, filters and MMR."""
