"""``invoke mutate``: the QA checklist run on deliberately broken builds.

- ``register``: the promise register of ``docs/QA.md`` (promise → the checks that guard it).
- ``mutants``: the mutant files of ``tests/mutants/`` (a name, a file, a change, a promise).
- ``run``: build, install and check the healthy control and each mutant; the report.
"""
