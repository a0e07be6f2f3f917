"""Feedback on answers from every front end (Slack, the web page): one SQLite store, one export to eval cases."""
