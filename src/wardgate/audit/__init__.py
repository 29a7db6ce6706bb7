"""Tamper-evident audit trail: an RFC 6962 Merkle log of canonical JSON records.

Every decision, incident, key change and configuration change is appended as a canonical JSON
record (:mod:`.records`) to a Certificate-Transparency-style Merkle log in SQLite (:mod:`.log`,
hashing in :mod:`.merkle`). Ed25519-signed checkpoints (:mod:`.signing`) commit to the log's size
and root, so anyone holding only the public key can verify the log or an exported bundle
(:mod:`.bundle`) offline and be told exactly what was changed, removed, inserted or reordered
(:mod:`.verify`).
"""
