"""Use cases: validate, write to storage, and only after the commit publish (house rule 3)."""
