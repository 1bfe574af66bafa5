"""Validation of claim lines: the checks of one line, the pair rules mined from CMS's descriptions, and the bulk
engines (DuckDB by default, Spark for inputs one machine cannot hold) that run the same checks as SQL.

May import: ``hcpcs.model`` (the facade hands it what it needs from the store).
"""
