"""The Python API: hcpcs.open(), typed objects, the public surface."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import hcpcs
from hcpcs.model.code_tables import layout
from hcpcs.readers.names import release_from_name
from hcpcs.readers.record_layout import read_record_layout

from .conftest import CMS


def test_public_surface() -> None:
    import types

    public = {n for n in dir(hcpcs) if not n.startswith("_") and not isinstance(getattr(hcpcs, n), types.ModuleType)}
    assert public | {"__version__"} == set(hcpcs.__all__)


def test_get_returns_typed_decoded_code(db: hcpcs.Hcpcs) -> None:
    code = db.get("E0210", release="2019-01")
    assert isinstance(code, hcpcs.Code)
    assert code.release.id == "2019-01"
    assert [t.value for t in code.types_of_service] == ["A", "L", "P"]
    assert code.types_of_service[0].meaning == "Used durable medical equipment (DME)"
    assert code.betos is not None and code.betos.meaning == "Other DME"
    assert code.added_date == dt.date(1986, 1, 1)
    assert code.cim_references == ("60-9",)


def test_releases_are_typed(db: hcpcs.Hcpcs) -> None:
    releases = db.releases()
    assert all(isinstance(r, hcpcs.Release) for r in releases)
    assert releases[-1].effective_date == dt.date(2025, 10, 1)
    assert db.release().id == "2025-10"


def test_check_hands_typed_disagreements_and_repairs(db: hcpcs.Hcpcs) -> None:
    report = db.check("2018")
    assert isinstance(report, hcpcs.CheckReport) and len(report.disagreements) == 35 and len(report.repairs) == 5
    assert all(isinstance(d, hcpcs.Disagreement) for d in report.disagreements)
    assert all(isinstance(r, hcpcs.Repair) for r in report.repairs)
    assert report.disagreements[0].code == "A4221" and report.disagreements[0].field == "long_description"
    assert {r.field for r in report.repairs} == {"asc_effective_date"}


def test_listing_and_crosswalk_give_dates_as_dates(db: hcpcs.Hcpcs) -> None:
    crosswalk = db.crosswalk("2020-04")
    assert crosswalk and all(isinstance(end, dt.date) or end is None for _, _, end, _ in crosswalk)
    ended = [(code, end) for code, _, end, _ in crosswalk if end is not None]
    assert ended and all(isinstance(end, dt.date) for _, end in ended)
    listing = db.listing("2020-04", as_of=dt.date(2020, 5, 1))
    terminated = {code for code, _, gone in listing if gone}
    assert "C9034" in terminated and all(isinstance(gone, bool) for _, _, gone in listing)


def test_errors_are_catchable_by_level(db: hcpcs.Hcpcs) -> None:
    with pytest.raises(hcpcs.NotFound) as found:
        db.get("S9998")
    assert found.value.suggestions[:2] == ("S9992", "S9994")
    with pytest.raises(hcpcs.HcpcsError):
        db.get("nonsense")
    with pytest.raises(ValueError):
        db.get("nonsense")


def test_lab_certification_and_asc_decoded(db: hcpcs.Hcpcs) -> None:
    lab = db.get("G0123", release="2018")
    assert [c.value for c in lab.lab_certifications] == ["630"]
    assert lab.lab_certifications[0].meaning == "Cytology"


@pytest.mark.parametrize(("name", "expected"), [
    ("HCPC17_CONTR_ANWEB.txt", (2017, None)),
    ("HCPC2018_CONTR_ANWEB_disc.txt", (2018, None)),
    ("HCPC2020_ANWEB_w_disclaimer.txt", (2020, None)),
    ("HCPC2024_APR_ANWEB_v5.xlsx", (2024, 4)),
    ("HCPC2021_JULY_ANWEB_v2.xlsx", (2021, 7)),
    ("anweb.xlsx", None),
    ("2020-Alpha-Numeric-HCPCS-File.zip", (2020, None)),
    ("april-2020-alpha-numeric-hcpcs-file.zip", (2020, 4)),
    ("october-2021-alpha-numeric-hcpcs-file.zip", (2021, 10)),
    ("2020-04-anweb.xlsx", (2020, 4)),
])
def test_release_from_cms_file_names(name: str, expected: tuple[int, int | None] | None) -> None:
    assert release_from_name(name) == expected


def test_shipped_code_tables_equal_the_record_layout() -> None:
    import zipfile

    with zipfile.ZipFile(CMS / "2019-HCPCS-Record-Layout.zip") as archive:
        data = archive.read("HCPCS2019_recordlayout.txt")
    parsed = read_record_layout(data)
    shipped = {k: v for k, v in layout().items() if k != "source"}
    assert json.loads(json.dumps(parsed)) == shipped
    tables = parsed["code_tables"]
    assert tables["HCPCS Coverage Code"]["I"] == "Not payable by Medicare"
    assert len(tables["BETOS_TB"]) == 106 and tables["BETOS_TB"]["Z2"] == "Undefined codes"
    assert tables["HCPCS Pricing Indicator Code"]["00"].startswith("Service not separately priced by part B (e.g.")
    assert tables["CMS_TYPE_SRVC_TB"]["V"].startswith("Pneumococcal/flu vaccine (eff 01/96), Pneumococcal/flu")


def test_default_db_path_honours_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HCPCS_DB", str(tmp_path / "x.sqlite"))
    assert hcpcs.default_db_path() == tmp_path / "x.sqlite"
    monkeypatch.delenv("HCPCS_DB")
    assert hcpcs.default_db_path().name == "hcpcs.sqlite"
