"""Policy lifecycle: each document's identifiers, status, dates and relations to other documents.

`detect` reads them from the text (cheap regular expressions, run at ingest), `front_matter` from the fields
documented in corpus/README.md, `store` keeps them in the catalog, `registry` links them across documents and
answers "what is this document's status on a given day", and `notices` adds cited status notices to answers.
This package imports nothing heavy on purpose: `assistant.models` uses its data classes.
"""
