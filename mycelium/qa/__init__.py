"""Host-side QA: the checklist ``mycelium-qa`` runs on an installed wheel, and its report."""
