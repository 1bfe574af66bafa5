"""The readers of CMS's side files (transaction reports, NOC lists, corrections, processing notes) on every
layout in ../shared, and on small hostile files: what they cannot read is a warning, never a refused release."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

import hcpcs
from hcpcs.api.report import compare_report
from hcpcs.model.answers import CodeChange, Diff, Release
from hcpcs.model.records import LoadWarning, NocEntry
from hcpcs.readers.corrections import read_corrections
from hcpcs.readers.notes import read_noc_spreadsheet, read_noc_text, read_processing_notes
from hcpcs.readers.transactions import action_of, read_report
from hcpcs.store import RecordRow

from .conftest import CMS

FOLDER_2016 = "2016-Alpha-Numeric-HCPCS-File"


def cms_file(where: str) -> tuple[bytes, str]:
    """A file of ../shared/cms-hcpcs and its name (as the readers take them): ``zip:member`` for one inside
    a zip, else a path under it."""
    if ":" in where:
        archive, member = where.split(":", 1)
        with zipfile.ZipFile(CMS / archive) as opened:
            return opened.read(member), member
    return (CMS / where).read_bytes(), Path(where).name


# -- transaction reports ------------------------------------------------------------------------------------

#: Every transaction report in ../shared: its entries and how many of each action.
REPORTS = {
    f"{FOLDER_2016}/HCPC2016_TransReport_Changes_by_Action_Code.txt": (6292, {"A": 236, "C": 44, "D": 88, "F": 2,
                                                                              "N": 5893, "P": 28, "T": 1}),
    f"{FOLDER_2016}/HCPC2016_TransReport_Changes_by_HCPCS_Code.txt": (6292, {"A": 236, "C": 44, "D": 88, "F": 2,
                                                                             "N": 5893, "P": 28, "T": 1}),
    f"{FOLDER_2016}/HCPC2016_TransactionReport_Alpha.xlsx": (6292, {"A": 236, "C": 44, "D": 88, "F": 2, "N": 5893,
                                                                    "P": 28, "T": 1}),
    "2018-Alpha-Numeric-HCPCS-File.zip:HCPC18_Trans_Report_Alpha.xlsx": (6558, {"A": 152, "C": 50, "D": 40, "F": 2,
                                                                                "N": 6231, "P": 64, "S": 19}),
    "2018-Alpha-Numeric-HCPCS-File.zip:HCPC18_Trans_Report_Alpha_ChangesbyAction.prn": (
        6558, {"A": 152, "C": 50, "D": 40, "F": 2, "N": 6231, "P": 64, "S": 19}),
    "2018-Alpha-Numeric-HCPCS-File.zip:HCPC18_Trans_Report_Alpha_ChangesbyHCPC.prn": (
        6558, {"A": 152, "C": 50, "D": 40, "F": 2, "N": 6231, "P": 64, "S": 19}),
    "2019-Alpha-Numeric-HCPCS-File.zip:HCPC2019_Trans_Alpha.xlsx": (6800, {"A": 228, "B": 1, "C": 94, "D": 49,
                                                                          "F": 1, "N": 6372, "P": 47, "S": 8}),
    "2019-Alpha-Numeric-HCPCS-File.zip:Changes_by_ActionCode.prn": (6800, {"A": 228, "B": 1, "C": 94, "D": 49,
                                                                          "F": 1, "N": 6372, "P": 47, "S": 8}),
    "2019-Alpha-Numeric-HCPCS-File.zip:Changes_by_HCPCSCode.prn": (6800, {"A": 228, "B": 1, "C": 94, "D": 49,
                                                                         "F": 1, "N": 6372, "P": 47, "S": 8}),
    "2020-Alpha-Numeric-HCPCS-File.zip:HCPC2020_TRANS_ALPHA_w_disclaimer.xlsx": (
        7079, {"A": 250, "C": 70, "D": 99, "N": 6648, "P": 10, "S": 2}),
    "2020-Alpha-Numeric-HCPCS-File.zip:Changes_by_ActionCode.prn": (7079, {"A": 250, "C": 70, "D": 99, "N": 6648,
                                                                          "P": 10, "S": 2}),
    "2020-Alpha-Numeric-HCPCS-File.zip:Changes_by_HCPC.prn": (7079, {"A": 250, "C": 70, "D": 99, "N": 6648,
                                                                    "P": 10, "S": 2}),
    "2020-04-trans-alpha.xlsx": (7097, {"A": 18, "C": 4, "D": 1, "N": 7074}),
    "2020-10-trans-alpha.xlsx": (7196, {"A": 38, "C": 7, "D": 4, "F": 2, "N": 7145}),
    "hcpcs-2025.zip:HCPC2025_JAN_Transaction Report_12172024.xlsx": (8642, {"A": 168, "C": 57, "D": 91, "N": 8321,
                                                                           "P": 2, "S": 2, "T": 1}),
    "HCPC2025_OCT_ANWEB_Transaction Report_v4.xlsx": (8847, {"A": 76, "B": 2, "C": 10, "D": 7, "N": 8748, "P": 2,
                                                             "R": 1, "S": 1}),
}
_CODE_LINE = re.compile(r"\s*[A-Z0-9]{2}(?:[A-Z0-9]{3})?(?:\s|$)")


def code_lines(name: str, data: bytes) -> int:
    """How many lines (rows of the first sheet) of a report start with a code, counted without the reader."""
    if name.endswith(".xlsx"):
        rows = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0).to_python()
        return sum(1 for row in rows if row and _CODE_LINE.fullmatch(str(row[0]).strip()))
    return sum(1 for line in data.decode("cp1252").splitlines() if _CODE_LINE.match(line))


def test_every_report_in_shared_is_listed() -> None:
    found = {str(p.relative_to(CMS)) for p in CMS.rglob("*") if re.search(r"trans", p.name, re.I)}
    for archive in CMS.glob("*.zip"):
        with zipfile.ZipFile(archive) as opened:
            found |= {f"{archive.name}:{n}" for n in opened.namelist() if re.search(r"trans|changes_by", n, re.I)}
    assert found == set(REPORTS)


@pytest.mark.parametrize("where", sorted(REPORTS))
def test_every_report_reads_without_warnings(where: str) -> None:
    data, name = cms_file(where)
    warnings: list[LoadWarning] = []
    report = read_report(data, name, warnings=warnings)
    size, actions = REPORTS[where]
    assert warnings == []
    assert len(report.entries) == size == code_lines(name, data) == len(report.by_code())
    assert Counter(e.action for e in report.entries) == actions


#: Every type of change CMS wrote in the reports above (.prn ones cut at their column), and its action.
CHANGE_WORDS = {
    # 2016 (.txt, .xlsx) and the 2016/2018 action code keys
    "Add": "A", "Change in Long Description": "C", "Discontinued": "D", "Change in Coverage": "F",
    "No change": "N", "Change in Payment": "P", "Miscellaneous Change (BETOS or Type of Service": "T",
    "Change in both Coverage & Long Description": "B", "Change in Short Description": "S",
    # 2018 to 2025
    "ADD": "A", "Coverage Change": "F", "Long Description Change": "C", "No Change": "N", "Payment Change": "P",
    "Short Description Change": "S", "Coverage and Long Desc Change": "B", "Coverage and Long Description Change": "B",
    "Miscellaneous change (BETOS or Type of Service)": "T", "Re-activated": "R",
    # the 2019 and 2020 .prn, cut
    "Coverage and Long Desc": "B", "Long Description Chang": "C", "Short Description Chan": "S",
    "Short Description Chang": "S",
    # wordings of the record layouts, and variants CMS may yet use
    "Add procedure or modifier code": "A", "Discontinue procedure or modifier code": "D",
    "Change in both administrative data field and long description of procedure or modifier code": "B",
    "Change in administrative data field of procedure or modifier code": "F",
    "No maintenance for this code": "N", "Re-activate discontinued/deleted procedure or modifier code": "R",
    "Payment change (MOG, pricing indicator codes, anesthesia base units,Ambulatory Surgical Centers)": "P",
    "Long Desc Changed": "C", "Short Descr Change": "S", "Changed: Long Description": "C",
    "Short and Long Description Change": "C", "BETOS Change": "T", "Type of Service Change": "T",
    "Reactivated": "R", "  long   description   change ": "C",
}


@pytest.mark.parametrize(("words", "action"), sorted(CHANGE_WORDS.items()))
def test_cms_words_for_each_action(words: str, action: str) -> None:
    assert action_of(words) == action


@pytest.mark.parametrize("words", ["Painted Blue", "Change", "Description Change", "Long Change",
                                   "Long Description C", "Added and discontinued", "No coverage change",
                                   "New long description", ""])
def test_words_that_are_not_read(words: str) -> None:
    assert action_of(words) is None


@pytest.mark.parametrize(("year", "text_forms", "sheet"), [
    (2016, [f"{FOLDER_2016}/HCPC2016_TransReport_Changes_by_Action_Code.txt",
            f"{FOLDER_2016}/HCPC2016_TransReport_Changes_by_HCPCS_Code.txt"],
     f"{FOLDER_2016}/HCPC2016_TransactionReport_Alpha.xlsx"),
    (2018, ["2018-Alpha-Numeric-HCPCS-File.zip:HCPC18_Trans_Report_Alpha_ChangesbyAction.prn",
            "2018-Alpha-Numeric-HCPCS-File.zip:HCPC18_Trans_Report_Alpha_ChangesbyHCPC.prn"],
     "2018-Alpha-Numeric-HCPCS-File.zip:HCPC18_Trans_Report_Alpha.xlsx"),
    (2019, ["2019-Alpha-Numeric-HCPCS-File.zip:Changes_by_ActionCode.prn",
            "2019-Alpha-Numeric-HCPCS-File.zip:Changes_by_HCPCSCode.prn"],
     "2019-Alpha-Numeric-HCPCS-File.zip:HCPC2019_Trans_Alpha.xlsx"),
    (2020, ["2020-Alpha-Numeric-HCPCS-File.zip:Changes_by_ActionCode.prn",
            "2020-Alpha-Numeric-HCPCS-File.zip:Changes_by_HCPC.prn"],
     "2020-Alpha-Numeric-HCPCS-File.zip:HCPC2020_TRANS_ALPHA_w_disclaimer.xlsx"),
])
def test_text_and_spreadsheet_forms_agree(year: int, text_forms: list[str], sheet: str) -> None:
    expected = {e.code: e.action for e in read_report(*cms_file(sheet), warnings=[]).entries}
    for where in text_forms:
        assert {e.code: e.action for e in read_report(*cms_file(where), warnings=[]).entries} == expected


def test_2016_words() -> None:
    report = read_report(*cms_file(f"{FOLDER_2016}/HCPC2016_TransReport_Changes_by_Action_Code.txt"), warnings=[])
    by_code = report.by_code()
    assert {e.action for e in report.entries if e.change == "Change in Long Description"} == {"C"}
    assert by_code["J0571"].action == "C" and by_code["J0571"].change == "Change in Long Description"
    assert by_code["L7900"].action == "F" and by_code["A4233"].action == "P"
    assert by_code["B4088"].action == "T"
    assert by_code["B4088"].change == "Miscellaneous Change (BETOS or Type of Service"
    assert by_code["CP"].action == "A" and by_code["CP"].line == 2
    assert by_code["CP"].short_description is None


def test_2019_prn_keeps_cms_cut_words_and_descriptions() -> None:
    report = read_report(*cms_file("2019-Alpha-Numeric-HCPCS-File.zip:Changes_by_HCPCSCode.prn"), warnings=[])
    a5513 = report.by_code()["A5513"]
    assert (a5513.action, a5513.change, a5513.short_description) == ("B", "Coverage and Long Desc",
                                                                     "Multi den insert custom mold")
    assert a5513.long_description == "For diabetics only, multiple density insert, custom molded fr"


def test_2025_october_report() -> None:
    report = read_report(*cms_file("HCPC2025_OCT_ANWEB_Transaction Report_v4.xlsx"), warnings=[]).by_code()
    assert report["J0570"].action == "R" and report["J0570"].line == 8847
    assert report["E0765"].action == "B" and report["E0765"].change == "Coverage and Long Description Change"
    assert report["A2036"].short_description == "Cohealyx col dml mx pr sq cm"


HOSTILE_REPORT = (
    b"Some disclaimer line\r\n"
    b" HCPCS/MOD      TYPE OF CHANGE    SHORT DESCRIPTION              LONG DESCRIPTION\r\n"
    b"      A1          No Change       Dressing for one wound         Dressing for one wound\r\n"
    b"   A4206         Painted Blue     Syringe                        Syringe with needle\r\n"
    b"(c) 2020 CMS, all rights reserved\r\n"
    b"\r\n"
    b"   J0570         Re-activated     Buprenorphine implant          Buprenorphine implant, 74.2 mg\r\n"
    b"   \x1a\r\n"
)


def test_hostile_report_warns_and_keeps_the_rest() -> None:
    warnings: list[LoadWarning] = []
    report = read_report(HOSTILE_REPORT, "odd.prn", warnings=warnings)
    assert [(e.code, e.action, e.line) for e in report.entries] == [("A1", "N", 3), ("A4206", "?", 4),
                                                                   ("J0570", "R", 7)]
    assert report.by_code()["A4206"].change == "Painted Blue"
    assert [str(w) for w in warnings] == [
        "odd.prn, line 4: unknown type of change 'Painted Blue' for A4206: kept as written, action '?'",
        "odd.prn, line 5: not a report line (code, then type of change), skipped: '(c) 2020 CMS, all rights reserved'",
    ]


def test_hostile_report_spreadsheet(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["Disclaimer"], [], ["Code", "Action", "Long Descr"], ["  G0001", "Long Descr Changed", "X"],
                ["??", "ADD"], ["G0002", "Something new"], ["G0003", ""]):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    warnings: list[LoadWarning] = []
    report = read_report(out.getvalue(), "odd.xlsx", warnings=warnings)
    assert [(e.code, e.action, e.long_description) for e in report.entries] == [("G0001", "C", "X"),
                                                                               ("G0002", "?", None)]
    assert [(w.row, w.line) for w in warnings] == [(5, None), (6, None), (7, None)]
    assert "unknown type of change 'Something new'" in warnings[1].message


def test_not_a_report_at_all() -> None:
    with pytest.raises(hcpcs.InputError, match=r"^notes\.prn: no header line"):
        read_report(b"just some text\n", "notes.prn", warnings=[])
    with pytest.raises(hcpcs.InputError, match=r"^empty\.prn: holds a header but no transaction report lines"):
        read_report(b"HCPCS/Modifier CodeType of Change\n(c) 2020 CMS\n", "empty.prn", warnings=[])


# -- NOC lists ----------------------------------------------------------------------------------------------

#: Every NOC list in ../shared: entries, and the warnings expected (CMS lists S9445 twice in 2018).
NOC_LISTS = {
    "2018-HCPCS-NOC-Codes.zip:NOC_Codes_2018.prn": (144, ["line 130: S9445 is listed again"]),
    "2018-HCPCS-NOC-Codes.zip:NOC_Codes_2018.xlsx": (144, ["row 130: S9445 is listed again"]),
    "2019-HCPCS-NOC-Codes.zip:NOC_Codes_2019.prn": (139, []),
    "2019-HCPCS-NOC-Codes.zip:NOC_Codes_2019.xlsx": (139, []),
    "hcpcs-2025.zip:NOC codes_JAN2025.xlsx": (159, []),
}


def read_noc(where: str, warnings: list[LoadWarning]) -> list[NocEntry]:
    data, name = cms_file(where)
    reader = read_noc_spreadsheet if name.endswith(".xlsx") else read_noc_text
    return reader(data, name, warnings=warnings)


@pytest.mark.parametrize("where", sorted(NOC_LISTS))
def test_every_noc_list_reads(where: str) -> None:
    warnings: list[LoadWarning] = []
    entries = read_noc(where, warnings)
    size, expected = NOC_LISTS[where]
    assert len(entries) == size == len({e.code for e in entries})
    assert [str(w).split(", ", 1)[1].split(" (")[0] for w in warnings] == expected
    by_code = {e.code: e for e in entries}
    assert (by_code["A9999"].added_date, by_code["A9999"].termination_date) == (dt.date(2004, 1, 1), None)
    assert by_code["A9999"].long_description == "Miscellaneous dme supply or accessory, not otherwise specified"
    assert (by_code["J3490"].added_date, by_code["J3490"].long_description) == (dt.date(1986, 1, 1),
                                                                                "Unclassified drugs")
    assert by_code["A9599"].termination_date == dt.date(2017, 12, 31)


@pytest.mark.parametrize("year", [2018, 2019])
def test_noc_prn_and_spreadsheet_agree(year: int) -> None:
    text = read_noc(f"{year}-HCPCS-NOC-Codes.zip:NOC_Codes_{year}.prn", [])
    sheet = {e.code: e for e in read_noc(f"{year}-HCPCS-NOC-Codes.zip:NOC_Codes_{year}.xlsx", [])}
    assert [e.code for e in text] == list(sheet)
    for entry in text:  # the .prn cuts descriptions at 80 characters
        assert (entry.added_date, entry.termination_date) == (sheet[entry.code].added_date,
                                                              sheet[entry.code].termination_date)
        assert sheet[entry.code].long_description.startswith(entry.long_description)


def test_noc_descriptions_split_over_two_lines_are_joined() -> None:
    noc_2018 = {e.code: e for e in read_noc("2018-HCPCS-NOC-Codes.zip:NOC_Codes_2018.prn", [])}
    assert noc_2018["J1566"] == NocEntry(
        "J1566", "Injection, immune globulin, intravenous, lyophilized (e.g., powder), not otherwise specified, "
        "500 mg", dt.date(2006, 1, 1), None)
    # CMS lists S9445 twice, the second time with another code's text: the first line is kept (cut at 80)
    assert noc_2018["S9445"].long_description == ("Patient education, not otherwise classified, non-physician "
                                                  "provider, individual")
    assert noc_2018["S9446"].added_date is None and noc_2018["T2025"].added_date is None
    noc_2019 = {e.code: e for e in read_noc("2019-HCPCS-NOC-Codes.zip:NOC_Codes_2019.xlsx", [])}
    assert noc_2019["L8698"].long_description == ("Miscellaneous component, supply or accessory for use with total "
                                                  "artificial heart system")
    noc_2025 = {e.code: e for e in read_noc("hcpcs-2025.zip:NOC codes_JAN2025.xlsx", [])}
    assert noc_2025["J7192"].long_description == ("Factor viii (antihemophilic factor, recombinant) per i.u., not "
                                                  "otherwise specified")
    assert noc_2025["A4100"].added_date == dt.date(2022, 4, 1)
    assert noc_2025["J0833"].termination_date == dt.date(2018, 12, 31)


def test_hostile_noc_lists(tmp_path: Path) -> None:
    text = (b"NOC CODES\tsomething\r\nCode\tDescription\tDate Added\tTermination Date\r\n"
            b"A0999\tUnlisted ambulance service\t19870101\t\r\n"
            b"A0999\tand more of it\t\t\r\n"
            b"garbage line\r\n"
            b"J3490\tUnclassified drugs\t1986-01-01\t\r\n"
            b"J3490\tUnclassified drugs, again\t19860101\t\r\n")
    warnings: list[LoadWarning] = []
    entries = read_noc_text(text, "noc.txt", warnings=warnings)
    assert entries == [NocEntry("A0999", "Unlisted ambulance service and more of it", dt.date(1987, 1, 1), None),
                       NocEntry("J3490", "Unclassified drugs", None, None)]
    assert [w.line for w in warnings] == [5, 6, 7]
    assert warnings[1].message == "'1986-01-01' is not a date (YYYYMMDD or MM/DD/YYYY): stored without it"

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in (["", "NOC CODES - HCPCS 2026"], [], [], ["hcpcs code", "Long description", "add dt", "term dt"],
                ["J3490", "Unclassified drugs", 19860101, None], ["E1399", "Durable medical equipment", 19860101,
                                                                 20261231]):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    entries = read_noc_spreadsheet(out.getvalue(), "noc.xlsx", warnings=warnings)
    assert [(e.code, e.termination_date) for e in entries] == [("J3490", None), ("E1399", dt.date(2026, 12, 31))]


def test_not_a_noc_list() -> None:
    with pytest.raises(hcpcs.InputError, match=r"^x\.prn: no header line"):
        read_noc_text(b"  A0999  Unlisted ambulance service  19870101\n", "x.prn", warnings=[])


# -- corrections --------------------------------------------------------------------------------------------

#: Every corrections file in ../shared: rows, and the rows whose effective date is not a date.
CORRECTIONS = {
    "11anweb.zip:2011_Corrections_alpha.xlsx": (10, []),
    **{f"2018-HCPCS-Alpha-Numeric-Corrections.zip:V{v}_HCPC2018_Corrections_ANWEB.xlsx": (rows, [])
       for v, rows in ((1, 24), (2, 28), (3, 30), (4, 28))},
    "2019-HCPCS-Alpha-Numeric-Corrections.zip:HCPC2019_Corrections_ALPHA.xlsx": (11, [14]),  # 01/0/12019
    "2019-HCPCS-Alpha-Numeric-Corrections.zip:HCPC2019_Corrections_ALPHA_v2.xlsx": (3, []),
    "hcpcs-2025.zip:HCPC2025_JAN_ANWEB_Corrections_12172024.xlsx": (46, []),
}


@pytest.mark.parametrize("where", sorted(CORRECTIONS))
def test_every_corrections_file_reads(where: str) -> None:
    warnings: list[LoadWarning] = []
    data, name = cms_file(where)
    fixes = read_corrections(data, name, warnings=warnings)
    size, bad_dates = CORRECTIONS[where]
    assert len(fixes) == size
    assert [w.row for w in warnings] == bad_dates
    assert all(f.source == name and f.action for f in fixes)
    assert [f.row for f in fixes] == list(range(fixes[0].row, fixes[0].row + size))


def test_2011_corrections() -> None:
    fixes = read_corrections(*cms_file("11anweb.zip:2011_Corrections_alpha.xlsx"), warnings=[])
    first = fixes[0]
    assert (first.code, first.action, first.effective_date, first.row) == (
        "C8931", "Change long description", dt.date(2010, 10, 1), 6)
    assert first.long_description == "MAGNETIC RESONANCE ANGIOGRAPHY WITH CONTRAST, SPINAL CANAL AND CONTENTS"
    assert (fixes[1].code, fixes[1].details) == ("E0575", {"Price": "36"})
    j3095 = fixes[6]
    assert (j3095.code, j3095.short_description, j3095.long_description) == (
        "J3095", "Telavancin injection", "INJECTION, TELAVANCIN, 10 MG")
    assert [(f.code, f.action, f.effective_date) for f in fixes[7:]] == [
        ("L3660", "DO NOT TERMINATE", None), ("L3670", "DO NOT TERMINATE", None), ("L3675", "DO NOT TERMINATE", None)]


def test_2025_corrections() -> None:
    fixes = read_corrections(*cms_file("hcpcs-2025.zip:HCPC2025_JAN_ANWEB_Corrections_12172024.xlsx"), warnings=[])
    c7537 = fixes[0]
    assert (c7537.code, c7537.action, c7537.effective_date, c7537.row, c7537.short_description) == (
        "C7537", "Revise LD", dt.date(2023, 1, 1), 2, None)
    assert c7537.long_description is not None and c7537.long_description.startswith(
        "Insertion of new or replacement of permanent pacemaker with atrial transvenous electrode(s)")
    assert c7537.long_description.endswith("(e.g., for upgrade to dual chamber system)")
    tb = next(f for f in fixes if f.code == "TB")
    assert (tb.action, tb.short_description, tb.effective_date, tb.row) == ("Revise SD", "340b drug",
                                                                           dt.date(2025, 1, 1), 15)
    assert Counter(f.action for f in fixes)["Terminate"] == 30
    assert (fixes[2].code, fixes[2].action, fixes[2].effective_date) == ("C9734", "Do not terminate", None)
    assert (fixes[-1].code, fixes[-1].action, fixes[-1].row) == (
        "E1005", 'Action effective date should be 20140401 and action code "N"', 47)
    assert all(f.details == {} for f in fixes)


@pytest.mark.parametrize("where", [
    *(f"2018-HCPCS-Alpha-Numeric-Corrections.zip:V{v}_HCPC2018_Corrections_ANWEB" for v in (1, 2, 3, 4)),
    "2019-HCPCS-Alpha-Numeric-Corrections.zip:HCPC2019_Corrections_ALPHA",
    "2019-HCPCS-Alpha-Numeric-Corrections.zip:HCPC2019_Corrections_ALPHA_v2",
])
def test_corrections_prn_is_the_spreadsheet_cut(where: str) -> None:
    """The .prn copy cuts every column to its width; what is left of each cell is the spreadsheet's cell."""
    warnings: list[LoadWarning] = []
    text = read_corrections(*cms_file(where + ".prn"), warnings=warnings)
    sheet = read_corrections(*cms_file(where + ".xlsx"), warnings=[])
    assert [(f.code, f.row) for f in text] == [(f.code, f.row) for f in sheet]
    for cut, whole in zip(text, sheet, strict=True):
        assert whole.action.startswith(cut.action) and cut.action
        assert cut.effective_date in (None, whole.effective_date)
        assert (whole.short_description or "").startswith(cut.short_description or "")
        assert (whole.long_description or "").startswith(cut.long_description or "")
        assert cut.details.keys() == whole.details.keys()
        assert all(whole.details[k].startswith(v) for k, v in cut.details.items() if k != "Asc Date")
    assert all("is not a date" in w.message for w in warnings)


def test_corrections_prn_cells() -> None:
    fixes = read_corrections(
        *cms_file("2018-HCPCS-Alpha-Numeric-Corrections.zip:V3_HCPC2018_Corrections_ANWEB.prn"), warnings=[])
    by_row = {f.row: f for f in fixes}
    assert (by_row[5].code, by_row[5].action, by_row[5].effective_date, by_row[5].details) == (
        "C9488", "Change ASC Ind/ASC eff", dt.date(2017, 4, 1), {"Asc Ind": "YY"})
    assert by_row[14].action == "Should not have been updated - revert back to 2017 description"
    assert by_row[16].details == {"Tos": "1", "Betos": "M5D", "Cov": "C", "Price": "13"}
    assert (by_row[16].short_description, by_row[16].long_description) == ("Next Gen ACO model <10min",
                                                                          "Receipt and analysis of remote")
    assert (by_row[31].code, by_row[31].action) == ("G9978", "Remove, will be assigned at a later date")
    v2019 = read_corrections(
        *cms_file("2019-HCPCS-Alpha-Numeric-Corrections.zip:HCPC2019_Corrections_ALPHA.prn"), warnings=[])
    j1095 = next(f for f in v2019 if f.code == "J1095")
    assert j1095.details == {"Tos": "9,", "Betos": "O1E", "Cov": "D", "Price": "53", "Asc Ind": "YY",
                             "Asc Date": "01/01/2019"}
    c9034 = next(f for f in v2019 if f.code == "C9034")
    assert (c9034.action, c9034.effective_date, c9034.details) == ("Discontin", dt.date(2019, 1, 1),
                                                                  {"Xref Code": "J1095"})


def test_hostile_corrections() -> None:
    text = (b"2026 CORRECTIONS\r\nHCPCS Code\tAction\tEffective Date\tComments\r\n"
            b"G0001\tTerminate\t01/01/2026\t\r\n"
            b"12345678\tADD CODE\t01/01/2026\t\r\n"
            b"G0002\tRevise SD\tsoon\tsee note\r\n")
    warnings: list[LoadWarning] = []
    fixes = read_corrections(text, "fix.txt", warnings=warnings)
    assert [(f.code, f.effective_date, f.effective_text, f.details) for f in fixes] == [
        ("G0001", dt.date(2026, 1, 1), "01/01/2026", {}), ("G0002", None, "soon", {"Comments": "see note"})]
    assert [str(w) for w in warnings] == [
        "fix.txt, line 4: not an HCPCS code, row skipped: '12345678'",
        "fix.txt, line 5: 'soon' is not a date (YYYYMMDD or MM/DD/YYYY): stored without it",
    ]


# -- processing notes ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("where", "count"), [
    ("11anweb.zip:proc_notes_2011.txt", 174), (f"{FOLDER_2016}/proc_notes_2016.txt", 206),
    ("2018-Alpha-Numeric-HCPCS-File.zip:proc_notes_2018.txt", 216),
    ("2019-Alpha-Numeric-HCPCS-File.zip:proc_notes_2019.txt", 218),
    ("2020-Alpha-Numeric-HCPCS-File.zip:proc_notes_2020.txt", 220), ("hcpcs-2025.zip:proc_notes_JAN2025.txt", 234),
])
def test_every_processing_notes_file_reads(where: str, count: int) -> None:
    warnings: list[LoadWarning] = []
    notes = read_processing_notes(*cms_file(where), warnings=warnings)
    assert warnings == [] and len(notes) == count
    assert list(notes) == [f"{n:04d}" for n in range(1, count + 1)]
    assert notes["0002"] == ("THESE CODES (82585, 82595) PERTAIN TO PERFORMING THE ANALYSIS FOR THE ANALYTE AS "
                             "OPPOSED TO ADMINISTRATION OF THE ANALYTE.")


def test_hostile_processing_notes() -> None:
    text = (b"       PROCESSING NOTES\r\n ____\r\n\r\n"
            b"   0001--FIRST NOTE,            *\r\n         GOES ON HERE.   *\r\n               *\r\n"
            b"   0001--THE SAME NUMBER AGAIN.  *\r\n\r\n"
            b"   A STRAY LINE\r\n\r\n"
            b"   0002--SECOND NOTE.\r\n")
    warnings: list[LoadWarning] = []
    assert read_processing_notes(text, "notes.txt", warnings=warnings) == {
        "0001": "FIRST NOTE, GOES ON HERE.", "0002": "SECOND NOTE."}
    assert [str(w) for w in warnings] == [
        "notes.txt, line 7: processing note 0001 appears again: kept the first text, skipped 'THE SAME NUMBER AGAIN.'",
        "notes.txt, line 9: not part of a processing note, skipped: 'A STRAY LINE'",
    ]
    with pytest.raises(hcpcs.InputError, match="holds no processing notes"):
        read_processing_notes(b"PROCESSING NOTES\r\nnone this year\r\n", "empty.txt", warnings=[])


def test_an_unread_type_of_change_against_our_diff() -> None:
    old, new = (Release(rid, day, "", 2, 0, 0) for rid, day in (("2026-01", dt.date(2026, 1, 1)),
                                                                 ("2026-04", dt.date(2026, 4, 1))))
    ours = CodeChange("G0001", "C", ("C",), (), "Short", "Long, now")
    report = read_report(b"HCPCS\tType of Change\r\nG0001\tPainted Blue\r\nG0002\tRepainted\r\nG0003\tNo change\r\n",
                         "odd.txt", warnings=[])
    records = {code: RecordRow.of({"code": code}) for code in ("G0001", "G0002", "G0003")}
    found = compare_report(Diff(old, new, (ours,), ()), report, records, records)
    assert found.agreed == {"N": 1}
    assert [(d.code, d.ours, d.theirs, d.reason) for d in found.differences] == [
        ("G0001", "C", "?", "other"), ("G0002", "N", "?", "other")]
    assert found.differences[1].evidence == "report: 'Repainted', a type of change hcpcs cannot read; files: no change"


# -- what cannot be stored as it is: control characters, over-long cells, UTF-16 ---------------------------

def test_side_rows_with_control_characters_or_overlong_cells_are_not_stored() -> None:
    """Each such row (line, note) of a real side file is left out with a warning naming its field; the
    rest of the file is stored as before."""
    data, name = cms_file("2019-HCPCS-NOC-Codes.zip:NOC_Codes_2019.prn")
    warnings: list[LoadWarning] = []
    entries = read_noc_text(data.replace(b"Unlisted ambulance service", b"Unlisted\0ambulance service", 1), name,
                            warnings=warnings)
    assert len(entries) == 138 and "A0999" not in {e.code for e in entries}
    assert [(w.line, w.field) for w in warnings] == [(6, "LONG DESCRIPTION")]
    assert warnings[0].message.startswith("control character U+0000 at character 9: 'Unlisted\\x00ambulance")

    data, name = cms_file("2020-Alpha-Numeric-HCPCS-File.zip:Changes_by_HCPC.prn")
    warnings = []
    report = read_report(data.replace(b"No Change   ", b"No Change" + b"!" * 40_000 + b"   ", 1), name,
                         warnings=warnings)
    assert len(report.entries) == 7078
    assert [(w.line, w.field, w.message.split(" (")[0]) for w in warnings] == [
        (11, "ACTION CD", "40,088 characters, as long as a spreadsheet cell can hold")]

    data, name = cms_file("2020-Alpha-Numeric-HCPCS-File.zip:proc_notes_2020.txt")
    warnings = []
    notes = read_processing_notes(data.replace(b"ANALYTE AS OPPOSED", b"ANALYTE\x1bAS OPPOSED", 1), name,
                                  warnings=warnings)
    assert len(notes) == 219 and "0002" not in notes
    assert [str(w) for w in warnings] == [
        "proc_notes_2020.txt, line 7, field 'note 0002': control character U+001B at character 8: "
        "'ANALYTE\\x1bAS OPPOSED TO ADMINISTRATION OF ': processing note 0002 not stored"]


def test_side_cells_in_spreadsheets_and_csv(tmp_path: Path) -> None:
    from hcpcs.model.records import SourceFile
    from hcpcs.readers.asp import read_drug_file

    from . import hostile

    data, name = cms_file("2019-HCPCS-Alpha-Numeric-Corrections.zip:HCPC2019_Corrections_ALPHA.xlsx")
    warnings: list[LoadWarning] = []
    fixes = read_corrections(hostile.with_strings(data, b"<t>No device w/dev-intensive px</t>",
                                                  b"<t>No device\x07w/dev-intensive px</t>"), name, warnings=warnings)
    assert len(fixes) == 10 and "C1890" not in {f.code for f in fixes}
    assert [(w.row, w.field) for w in warnings] == [(7, "SHORT DESC"), (14, None)]

    crosswalk = hostile.CROSSWALK.read_bytes().replace(b"Doxorubicin Hcl,", b"Doxorubicin\x1bHcl,", 1)
    warnings = []
    file = SourceFile(hostile.CROSSWALK.name, "ndc_crosswalk", "", len(crosswalk))
    read = read_drug_file(crosswalk, "crosswalk.csv", "ndc_crosswalk", file, warnings=warnings)
    whole = read_drug_file(hostile.CROSSWALK.read_bytes(), "crosswalk.csv", "ndc_crosswalk", file, warnings=[])
    assert len(read.products) == len(whole.products) - 1
    assert [(w.line, w.field) for w in warnings] == [(4592, "Drug Name")]


def test_side_text_in_utf16_is_not_read() -> None:
    from hcpcs.readers.record_layout import read_record_layout

    data, name = cms_file("2019-HCPCS-Record-Layout.zip:HCPCS2019_recordlayout.txt")
    with pytest.raises(hcpcs.InputError, match="UTF-16"):
        read_record_layout(data.decode("cp1252").encode("utf-16"), name, warnings=[])
    warnings: list[LoadWarning] = []
    layout = read_record_layout(data.replace(b"CPT-4 codes", b"CPT-4\0codes", 1), name, warnings=warnings)
    assert [w.message.split(":")[0] for w in warnings] == ["control character U+0000 at character 58"]
    assert len(layout["fields"]) == len(read_record_layout(data, name)["fields"])
