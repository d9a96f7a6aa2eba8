"""Developer tooling: the build, the test-suite runner, provisioning of system tools."""
