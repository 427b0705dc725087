"""Sign-in: local accounts, web sessions, API tokens and sign-in throttling.

The web layer and the CLI call ``essor.people.auth.actions``; every write there is audited.
Nothing in this package ever logs or stores a password or a raw token: only Argon2id hashes
of passwords and SHA-256 digests of tokens reach the database.
"""
