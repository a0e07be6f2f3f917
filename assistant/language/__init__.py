"""Language handling: Chinese word segmentation, the bilingual dictionary and glossary, query translation."""
