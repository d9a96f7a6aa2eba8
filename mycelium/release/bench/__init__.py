"""`invoke bench`: run mycelium-bench on hosts, read their reports, compare, draw."""
