"""``invoke qa``: the QA playbook on every selected host, into cells, a matrix and a summary."""
