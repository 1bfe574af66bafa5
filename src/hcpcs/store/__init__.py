"""The SQLite store: the only package that speaks SQL.

One file holds every loaded release. A load is one transaction: a failure leaves the file as it was, and
readers (WAL mode) never see a release half written. The file's schema is built and upgraded by the steps in
``migrations``; a file newer than this code, or older and opened read-only, is refused with one clear error.

Owns: the schema and its migrations, every query, and turning rows into the models (``.._models``,
``.._drug_models``) or the small typed rows of ``rows``. May import sqlite3, the models and the record layout
(``.._layout``), ``.._errors``; nothing above it (the facade, the readers, the CLI, the web layer).
"""

from __future__ import annotations

from ._base import file_schema
from .auxiliary import AuxiliaryFiles
from .drugs import Drugs
from .migrations import SCHEMA_VERSION
from .releases import Releases
from .rows import (
    CodeLine,
    CrosswalkLine,
    Described,
    DrugName,
    NdcCode,
    PairRule,
    RecordRow,
    SearchRow,
)
from .search_index import SearchIndex, porter_stems


class Store(Releases, SearchIndex, Drugs, AuxiliaryFiles):
    """A connection to one hcpcs database file: releases and records, the search index, drug files, and the
    files CMS publishes beside the releases."""


__all__ = ["SCHEMA_VERSION", "CodeLine", "CrosswalkLine", "Described", "DrugName", "NdcCode", "PairRule",
           "RecordRow", "SearchRow", "Store", "file_schema", "porter_stems"]
