"""Index: the embedding model, the catalog, Chroma (dense) and BM25 (lexical)."""
