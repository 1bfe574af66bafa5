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
    ``column`` is the spreadsheet header as CMS writes it since 2014; ``{n}`` stands for the occurrence
    number. ``aliases`` are the other headers CMS has used for the field (2011-2013 spreadsheets, the SAS
    and standard aliases of its record layout); headers are matched ignoring case, spaces and punctuation.
    ``cms_name`` is the field's name in CMS's record layout, where its definition is read from.
    ``code_table`` names the table (in the record layout) that decodes the field's values.
    ``zero_padded``: the values are digits of the field's full width (``00``, ``0088``), so a number in a
    spreadsheet cell is written back with its leading zeros; true of every coded field.
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
    aliases: tuple[str, ...] = ()
    zero_padded: bool = False

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
        """Each column's spreadsheet header as CMS writes it today."""
        return tuple(spellings[0] for spellings in self.spellings)

    @property
    def spellings(self) -> tuple[tuple[str, ...], ...]:
        """Per column, every header CMS has used for it: ``column`` first, then the ``aliases``."""
        names = (self.column, *self.aliases)
        if self.occurs == 1:
            return (names,)
        return tuple(tuple(name.format(n=n) for name in names) for n in range(1, self.occurs + 1))

    @property
    def pads_numbers(self) -> bool:
        return self.zero_padded or self.code_table is not None

    @property
    def slices(self) -> tuple[tuple[int, int], ...]:
        """0-based ``(start, end)`` slices of each occurrence in a record line."""
        first = self.start - 1
        return tuple(
            (first + i * self.length, first + (i + 1) * self.length) for i in range(self.occurs)
        )


F = Field
# Header aliases: the 2011 spreadsheet's own headers (Seq Num, RIC, PI1, MPI, Lab Cert1, X-Ref1, Coverage,
# ASC Pay Grp, MOG Pay Grp, Code Add Date, Action Eff Date, ...), the SAS and standard aliases of CMS's record
# layout (RIC, DESC_TXT, SHRTDESC, HCPCS_CD, ...), and the plain words of CMS's other files (HCPCS, LONG DESC).
# The record layout's SAS alias ASCGRP names the ASC *date*, yet reads as the ASC group's ASC_GRP once spacing
# is ignored: it is left out, as is every spelling that could name two fields.
FIELDS: tuple[Field, ...] = (
    F("code", "HCPCS Code", 1, 5, "HCPC", "Healthcare Common Procedure Coding System Code",
      aliases=("HCPCS", "HCPC Code", "HCPCS Code", "HCPCS_CD", "HCPC/MOD", "HCPCS/MOD", "HCPCS/MOD Code")),
    F("sequence", "Sequence Number", 6, 5, "SEQNUM", "HCPCS Sequence Number", on_page=False,
      aliases=("Seq Num", "Seq", "Seq No", "Sequence", "Sequence Number", "HCPCS_SQNC_NUM", "SQNC_NUM")),
    F("record_id", "Record Identification Code", 11, 1, "RECID", "HCPCS Record Identification Code",
      code_table="HCPCS Record Identification Code", on_page=False,
      aliases=("RIC", "REC ID", "Record ID", "Record Identification Code", "HCPCS_REC_IDENT_CD", "REC_IDENT_CD")),
    F("long_description", "Code Description", 12, 80, "LONG DESCRIPTION", "HCPCS Long Description",
      aliases=("LONG DESC", "Long Descriptor", "Description", "DESC_TXT", "LONG_DESC_TXT", "HCPCS_LONG_DESC_TXT")),
    F("short_description", "Short Description", 92, 28, "SHORT DESCRIPTION", "HCPCS Short Description",
      aliases=("SHORT DESC", "Short Descriptor", "SHRTDESC", "SHRT_DESC_TXT", "HCPCS_SHRT_DESC_TXT",
               "HCPCS_SHORT_DESC_TEXT")),
    F("pricing_indicator", "Pricing Indicator Code", 120, 2, "PRICE{n}", "HCPCS Pricing Indicator Code",
      occurs=4, code_table="HCPCS Pricing Indicator Code",
      aliases=("PI{n}", "PRICE IND{n}", "Pricing Indicator{n}", "PRCNGCD{n}", "HCPCS_PRCNG_IND_CD{n}")),
    F("multiple_pricing_indicator", "Multiple Pricing Indicator Code", 128, 1, "MULT_PI",
      "HCPCS Multiple Pricing Indicator Code", code_table="HCPCS Multiple Pricing Indicator Code",
      aliases=("MPI", "MULT PRICE", "Multiple Pricing Indicator", "MULTCD", "HCPCS_MLTPL_PRCNG_IND_CD")),
    F("cim_reference", "Coverage Issues Manual Reference Section Number", 129, 6, "CIM{n}",
      "HCPCS Coverage Issues Manual Reference Section Number", occurs=3,
      aliases=("CIM REF{n}", "HCPCS_CIM_RFRNC_SECT_NUM{n}")),
    F("mcm_reference", "Medicare Carriers Manual Reference Section Number", 147, 8, "MCM{n}",
      "HCPCS Medicare Carriers Manual Reference Section Number", occurs=3,
      aliases=("MCM REF{n}", "HCPCS_MCM_RFRNC_SECT_NUM{n}")),
    F("statute", "Statute Number", 171, 10, "STATUTE", "HCPCS Statute Number",
      aliases=("Statute Num", "HCPCS_STATUTE_NUM")),
    F("lab_certification", "Lab Certification Code", 181, 3, "LABCERT{n}", "HCPCS Lab Certification Code",
      occurs=8, code_table="HCPCS Lab Certification Code",
      aliases=("LAB CERT CD{n}", "HCPCS_LAB_CRTFCTN_CD{n}")),
    F("cross_reference", "Cross Reference Code", 205, 5, "XREF{n}", "HCPCS Cross Reference Code", occurs=5,
      aliases=("XREF CD{n}", "Cross Reference{n}", "HCPCS_XREF_CD{n}")),
    F("coverage", "Coverage Code", 230, 1, "COV", "HCPCS Coverage Code", code_table="HCPCS Coverage Code",
      aliases=("Coverage", "Coverage Code", "COV CD", "CVRG_CD", "HCPCS_CVRG_CD")),
    F("asc_group", "ASC Payment Group Code", 231, 2, "ASC_GRP", "HCPCS ASC Payment Group Code",
      code_table="HCPCS ASC Payment Group Code",
      aliases=("ASC Pay Grp", "ASC Group", "ASC Payment Group", "ASC IND", "ASC_PMT_GRP_CD", "HCPCS_ASC_PMT_GRP_CD")),
    F("asc_effective_date", "ASC Payment Group Effective Date", 233, 8, "ASC_DT",
      "HCPCS ASC Payment Group Effective Date", kind="date",
      aliases=("ASC Pay Grp Eff Date", "ASC Date", "ASC Eff Dt", "ASC Eff Date", "ASC Grp Eff Dt",
               "HCPCS_ASC_PMT_GRP_EFCTV_DT", "HCPCS_ASC_PMT_GROUP_EFCTV_DT")),
    F("mog_payment_group", "MOG Payment Group Code", 241, 3, "OPPS", "HCPCS MOG Payment Group Code",
      code_table="HCPCS MOG Payment Group Code",
      aliases=("MOG Pay Grp", "MOG Grp", "MOG Group", "MOGGRP", "OPPS Grp", "HCPCS_MOG_PMT_GRP_CD")),
    F("mog_payment_policy", "MOG Payment Policy Indicator", 244, 1, "OPPS_PI",
      "HCPCS MOG Payment Policy Indicator", code_table="HCPCS MOG Payment Policy Indicator",
      aliases=("MOG Pay Ind", "MOG Ind", "MOGIND", "OPPS Ind", "HCPCS_MOG_PMT_PLCY_IND_CD")),
    F("mog_effective_date", "MOG Effective Date", 245, 8, "OPPS_DT", "HCPCS MOG Effective Date", kind="date",
      aliases=("MOG Eff Date", "MOG Eff Dt", "MOG Date", "MOG DT", "MOGDTE", "OPPS Date", "OPPS Eff Dt",
               "HCPCS_MOG_PMT_GRP_EFCTV_DT")),
    F("processing_note", "Processing Note Number", 253, 4, "PROCNOTE", "HCPCS Processing Note Number",
      zero_padded=True, aliases=("Proc Note", "Proc Note Num", "Processing Note", "HCPCS_PRCSG_NOTE_NUM")),
    F("betos", "Berenson-Eggers Type Of Service Code", 257, 3, "BETOS",
      "HCPCS Berenson-Eggers Type Of Service Code", code_table="BETOS_TB",
      aliases=("BETOS Code", "BETOS_CD", "HCPCS_BETOS_CD")),
    F("type_of_service", "Type Of Service Code", 261, 1, "TOS{n}", "HCPCS Type Of Service Code",
      occurs=5, code_table="CMS_TYPE_SRVC_TB",
      aliases=("TOS CD{n}", "Type of Service{n}", "TYPESRVC{n}", "HCPCS_TYPE_SRVC_CD{n}")),
    F("anesthesia_base_units", "Anesthesia Base Unit Quantity", 266, 3, "ANEST_BU",
      "HCPCS Anesthesia Base Unit Quantity", kind="number",
      aliases=("Anest Base Units", "Anes BU", "Base Units", "BASEUNIT", "HCPCS_ANSTHSA_BASE_UNIT_QTY",
               "HCPCS_ANESTHESIA_BASE_UNIT_QTY")),
    F("added_date", "Code Added Date", 269, 8, "ADD DT", "HCPCS Code Added Date", kind="date",
      aliases=("Code Add Date", "Code Added Date", "Add Date", "CD_ADD_DT", "HCPCS_CD_ADD_DT")),
    F("action_effective_date", "Action Effective Date", 277, 8, "ACT EFF DT",
      "HCPCS Action Effective Date", kind="date",
      aliases=("Action Eff Date", "Action Effective Date", "Act Eff Date", "Eff Date", "Eff Dt", "Effective Date",
               "EFCTV_DT", "HCPCS_ACTN_EFCTV_DT")),
    F("termination_date", "Termination Date", 285, 8, "TERM DT", "HCPCS Termination Date", kind="date",
      aliases=("Term Date", "Termination Date", "TRMNTN_DT", "HCPCS_TRMNTN_DT", "HCPCS_TERMINATION_DT")),
    F("action_code", "Action Code", 293, 1, "ACTION CD", "HCPCS Action Code", code_table="HCPCS Action Code",
      aliases=("Action Code", "Action", "Act CD", "ACTN_CD", "HCPCS_ACTN_CD")),
)
del F

#: Spreadsheet headers of columns that hold no field (the 2011 spreadsheet's FILLER, as in the record layout).
UNUSED_HEADERS: tuple[str, ...] = ("FILLER",)

FIELDS_BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
#: Fields that are whole-record properties, not per-line; the record id and sequence are file structure.
#: Every store column of a record, in layout order.
COLUMNS: tuple[str, ...] = tuple(c for f in FIELDS for c in f.columns)
#: Each column's position in ``COLUMNS`` (and in a record's row).
COLUMN_INDEX: dict[str, int] = {column: index for index, column in enumerate(COLUMNS)}

#: After the code and descriptions, a record is read in spans of neighbouring fields, first to last; each
#: reader types each distinct span of values once per file (values recur across codes). The ASC group and
#: its date stay in one span: see ``_values.repair``.
SPAN_FIELDS: tuple[tuple[str, str], ...] = (
    ("pricing_indicator", "lab_certification"),
    ("cross_reference", "cross_reference"),
    ("coverage", "mog_effective_date"),
    ("processing_note", "anesthesia_base_units"),
    ("added_date", "added_date"),
    ("action_effective_date", "action_code"),
)


def _span_columns() -> tuple[tuple[int, int], ...]:
    names = [f.name for f in FIELDS]
    out = []
    for first_name, last_name in SPAN_FIELDS:
        fields = FIELDS[names.index(first_name): names.index(last_name) + 1]
        out.append((COLUMN_INDEX[fields[0].columns[0]], sum(f.occurs for f in fields)))
    return tuple(out)


#: Each span as (the index in ``COLUMNS`` of its first column, its number of columns).
SPAN_COLUMNS = _span_columns()
assert sum(n for _, n in SPAN_COLUMNS) + SPAN_COLUMNS[0][0] == len(COLUMNS)  # every column after the lead, once
