"""Console scripts. Each parses its arguments, calls the core, prints, and exits.

Nothing here imports a heavy library at module level: ``--help`` and ``--version`` must
answer without loading pydantic, redis or Jinja2.
"""
