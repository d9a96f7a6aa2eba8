"""``invoke rc``: the release-candidate checklist, one small module per check."""
