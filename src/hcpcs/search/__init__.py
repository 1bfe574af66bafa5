"""Search: reading a query the way coders type it (abbreviations, stems, lay words, doses, misspellings) and
ranking what the store's full-text index finds, saying why each code matched.

May import: ``hcpcs.store`` and ``hcpcs.model``.
"""
