"""The onboarding wizard: a pure question flow, apart from the prompts that ask it."""
