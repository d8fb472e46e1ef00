"""The rules, pure: which follow-ups are owed, and which show on a given day."""
