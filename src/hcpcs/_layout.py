"""The HCPCS record layout as data: one row per field of CMS's fixed-width record.

Positions, lengths and occurrences are those of CMS's record layout (``HCPCS2019_recordlayout.txt``).
Every reader, the store's columns and the code page are driven by this one table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "date", "number"]

RECORD_WIDTH = 320
PROCEDURE_FIRST, PROCEDURE_MORE, MODIFIER_FIRST, MODIFIER_MORE = "3", "4", "7", "8"
FIRST_LINE_IDS = frozenset({PROCEDURE_FIRST, MODIFIER_FIRST})
CONTINUATION_IDS = frozenset({PROCEDURE_MORE, MODIFIER_MORE})


@dataclass(frozen=True)
class Field:
    """One field of the HCPCS record.

    ``start`` is the 1-based column of the first occurrence; occurrences follow each other.
    ``column`` is the spreadsheet header; ``{n}`` stands for the occurrence number.
    ``cms_name`` is the field's name in CMS's record layout, where its definition is read from.
    ``code_table`` names the table (in the record layout) that decodes the field's values.
    """

    name: str
    label: str
    start: int
    length: int
    column: str
    cms_name: str
    occurs: int = 1
    kind: Kind = "text"
    code_table: str | None = None
    on_page: bool = True

    @property
    def columns(self) -> tuple[str, ...]:
        """The store's column names: ``name`` or ``name_1`` ... ``name_N`` for repeated fields."""
        if self.occurs == 1:
            return (self.name,)
        return tuple(f"{self.name}_{n}" for n in range(1, self.occurs + 1))

    @property
    def labels(self) -> tuple[str, ...]:
        if self.occurs == 1:
            return (self.label,)
        return tuple(f"{self.label} #{n}" for n in range(1, self.occurs + 1))

    @property
    def headers(self) -> tuple[str, ...]:
        if self.occurs == 1:
            return (self.column,)
        return tuple(self.column.format(n=n) for n in range(1, self.occurs + 1))

    @property
    def slices(self) -> tuple[tuple[int, int], ...]:
        """0-based ``(start, end)`` slices of each occurrence in a record line."""
        first = self.start - 1
        return tuple(
            (first + i * self.length, first + (i + 1) * self.length) for i in range(self.occurs)
        )


F = Field
FIELDS: tuple[Field, ...] = (
    F("code", "HCPCS Code", 1, 5, "HCPC", "Healthcare Common Procedure Coding System Code"),
    F("sequence", "Sequence Number", 6, 5, "SEQNUM", "HCPCS Sequence Number", on_page=False),
    F("record_id", "Record Identification Code", 11, 1, "RECID", "HCPCS Record Identification Code",
      code_table="HCPCS Record Identification Code", on_page=False),
    F("long_description", "Code Description", 12, 80, "LONG DESCRIPTION", "HCPCS Long Description"),
    F("short_description", "Short Description", 92, 28, "SHORT DESCRIPTION", "HCPCS Short Description"),
    F("pricing_indicator", "Pricing Indicator Code", 120, 2, "PRICE{n}", "HCPCS Pricing Indicator Code",
      occurs=4, code_table="HCPCS Pricing Indicator Code"),
    F("multiple_pricing_indicator", "Multiple Pricing Indicator Code", 128, 1, "MULT_PI",
      "HCPCS Multiple Pricing Indicator Code", code_table="HCPCS Multiple Pricing Indicator Code"),
    F("cim_reference", "Coverage Issues Manual Reference Section Number", 129, 6, "CIM{n}",
      "HCPCS Coverage Issues Manual Reference Section Number", occurs=3),
    F("mcm_reference", "Medicare Carriers Manual Reference Section Number", 147, 8, "MCM{n}",
      "HCPCS Medicare Carriers Manual Reference Section Number", occurs=3),
    F("statute", "Statute Number", 171, 10, "STATUTE", "HCPCS Statute Number"),
    F("lab_certification", "Lab Certification Code", 181, 3, "LABCERT{n}", "HCPCS Lab Certification Code",
      occurs=8, code_table="HCPCS Lab Certification Code"),
    F("cross_reference", "Cross Reference Code", 205, 5, "XREF{n}", "HCPCS Cross Reference Code", occurs=5),
    F("coverage", "Coverage Code", 230, 1, "COV", "HCPCS Coverage Code", code_table="HCPCS Coverage Code"),
    F("asc_group", "ASC Payment Group Code", 231, 2, "ASC_GRP", "HCPCS ASC Payment Group Code",
      code_table="HCPCS ASC Payment Group Code"),
    F("asc_effective_date", "ASC Payment Group Effective Date", 233, 8, "ASC_DT",
      "HCPCS ASC Payment Group Effective Date", kind="date"),
    F("mog_payment_group", "MOG Payment Group Code", 241, 3, "OPPS", "HCPCS MOG Payment Group Code",
      code_table="HCPCS MOG Payment Group Code"),
    F("mog_payment_policy", "MOG Payment Policy Indicator", 244, 1, "OPPS_PI",
      "HCPCS MOG Payment Policy Indicator", code_table="HCPCS MOG Payment Policy Indicator"),
    F("mog_effective_date", "MOG Effective Date", 245, 8, "OPPS_DT", "HCPCS MOG Effective Date", kind="date"),
    F("processing_note", "Processing Note Number", 253, 4, "PROCNOTE", "HCPCS Processing Note Number"),
    F("betos", "Berenson-Eggers Type Of Service Code", 257, 3, "BETOS",
      "HCPCS Berenson-Eggers Type Of Service Code", code_table="BETOS_TB"),
    F("type_of_service", "Type Of Service Code", 261, 1, "TOS{n}", "HCPCS Type Of Service Code",
      occurs=5, code_table="CMS_TYPE_SRVC_TB"),
    F("anesthesia_base_units", "Anesthesia Base Unit Quantity", 266, 3, "ANEST_BU",
      "HCPCS Anesthesia Base Unit Quantity", kind="number"),
    F("added_date", "Code Added Date", 269, 8, "ADD DT", "HCPCS Code Added Date", kind="date"),
    F("action_effective_date", "Action Effective Date", 277, 8, "ACT EFF DT",
      "HCPCS Action Effective Date", kind="date"),
    F("termination_date", "Termination Date", 285, 8, "TERM DT", "HCPCS Termination Date", kind="date"),
    F("action_code", "Action Code", 293, 1, "ACTION CD", "HCPCS Action Code", code_table="HCPCS Action Code"),
)
del F

FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
#: Fields that are whole-record properties, not per-line; the record id and sequence are file structure.
CONTENT_FIELDS: tuple[Field, ...] = tuple(f for f in FIELDS if f.name not in ("sequence", "record_id"))
#: Every store column of a record, in layout order.
COLUMNS: tuple[str, ...] = tuple(c for f in FIELDS for c in f.columns)
#: Each column's position in ``COLUMNS`` (and in a record's row).
COLUMN_INDEX: dict[str, int] = {column: index for index, column in enumerate(COLUMNS)}
