"""What every front end shows: the JSON form of each model (``serialize``: the only place a model becomes JSON),
the code page as text, Markdown and HTML, diffs, histories, search results and NDC pages as text and CSV, and the
output forms of the command line.

May import: ``hcpcs.model``, and the facade's answer types from ``hcpcs.api`` and ``hcpcs.validate``.
"""
