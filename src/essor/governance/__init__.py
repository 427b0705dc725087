"""Access checks (the only place ACL logic lives), roles, audit log, retention, privacy."""
