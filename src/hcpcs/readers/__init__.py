"""Readers of CMS's files: what a user points at (zips, folders, renamed files) turned into model objects.

One reader a kind of file (fixed-width code files, spreadsheets, record layouts, processing notes and NOC lists,
transaction reports, corrections, the drug crosswalk and payment limits), with bounded reads and completeness
checks. Readers never touch the database.

May import: ``hcpcs.model`` and ``hcpcs._errors``.
"""
