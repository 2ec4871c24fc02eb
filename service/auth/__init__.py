"""Authentication: password hashing, tokens and role checks."""
