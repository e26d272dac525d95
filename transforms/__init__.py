"""Pure computation for chartsift: parsing, de-identification, prompts, output parsing, tables.

Nothing in this package touches the network, the disk (beyond loading packaged data), a GPU or
Prefect; import-linter checks that (see pyproject.toml).
"""
