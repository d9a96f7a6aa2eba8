"""`invoke release`, `invoke changelog`, `invoke rollback`: versions, changelog, git, GitHub."""
