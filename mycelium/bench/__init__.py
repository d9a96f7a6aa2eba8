"""The host-side benchmark harness (``mycelium-bench``), its targets and its report schema."""
