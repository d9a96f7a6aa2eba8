"""The maintainer side: provisioning, build, QA over SSH, release. Never imported by the
product's console scripts."""
