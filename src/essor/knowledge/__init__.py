"""Collections, documents and their versions, ingestion, text analysis, index and search."""
