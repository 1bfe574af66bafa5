"""The nouns every layer shares: codes, releases, changes, search results, drug products, the record layout and
its code tables, records over their releases' spans and what later releases say of them (``periods``), and the
one parser for each kind of identifier (codes, NDCs, dates of service, release ids).

May import: the standard library and ``hcpcs._errors``. Nothing else of hcpcs: readers, the store, the facade and
every front end import from here, never the other way.
"""
