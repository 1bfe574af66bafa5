"""The library facade: the ``Hcpcs`` handle that the command line, the web app, FHIR, MCP and Python users call,
built from parts by subject (loading, search, time travel, validation, drugs), and the reasoning it does over
stored data (diffs, report comparisons, downloads from CMS).

May import: ``hcpcs.store``, ``hcpcs.readers``, ``hcpcs.search``, ``hcpcs.validate``, ``hcpcs.model``.
Never a front end (``cli``, ``web``, ``fhir``, ``render``).
"""
