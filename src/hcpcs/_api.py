"""The library facade: what the CLI, the web app and Python users call."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from . import _codetables
from ._bundle import Skipped, check_release_id, read_all
from ._codes import codes_named_in, parse_code
from ._errors import LoadError, NotFound
from ._layout import FIELDS_BY_NAME
from ._models import Code, Coded, NocList, RelatedCode, Release, ReleaseData, SourceFile
from ._store import Row, Store

DEFAULT_DB_ENV = "HCPCS_DB"
LoadStatus = Literal["loaded", "replaced", "unchanged"]


def default_db_path() -> Path:
    """``$HCPCS_DB``, else ``hcpcs.sqlite`` in the user data directory of this platform."""
    env = os.environ.get(DEFAULT_DB_ENV)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_path

    return user_data_path("hcpcs", appauthor=False) / "hcpcs.sqlite"


@dataclass(frozen=True, slots=True)
class LoadedRelease:
    release_id: str
    status: LoadStatus
    procedure_count: int
    modifier_count: int
    disagreement_count: int
    repair_count: int
    id_source: str
    files: tuple[SourceFile, ...]


@dataclass(slots=True)
class LoadReport:
    releases: list[LoadedRelease] = field(default_factory=list)
    noc_lists: list[tuple[int, int, LoadStatus]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class CheckReport:
    """How CMS's text file and spreadsheet of one release disagree, and the slips hcpcs mended."""

    release_id: str
    disagreements: tuple[Row, ...]
    repairs: tuple[Row, ...]


class Hcpcs:
    """A handle on one hcpcs database. Use ``hcpcs.open()`` to get one."""

    def __init__(self, store: Store) -> None:
        self._store = store

    @property
    def path(self) -> Path:
        return self._store.path

    def close(self) -> None:
        self._store.close()

    def __enter__(self) -> Hcpcs:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- loading -----------------------------------------------------------------------------------

    def load(self, paths: Iterable[str | Path], *, release: str | None = None, replace: bool = False,
             progress: Callable[[str], None] | None = None) -> LoadReport:
        """Read CMS release files (zips, folders, files) and store them, all in one transaction.

        A release already stored from the same files is left as it is; from different files it is an
        error unless ``replace``. Nothing is written unless everything was read.
        """
        result = read_all([Path(p) for p in paths], release=release, progress=progress)
        if not result.releases and not result.noc_lists:
            reasons = "; ".join(f"{s.name}: {s.reason}" for s in result.skipped)
            raise LoadError(f"nothing to load ({reasons})" if reasons else "nothing to load")
        report = LoadReport(skipped=result.skipped)
        store = self._store
        with store.transaction():
            for data in result.releases:
                status = self._store_release(data, replace)
                report.releases.append(LoadedRelease(
                    data.release_id, status, data.procedure_count, data.modifier_count,
                    len(data.disagreements), len(data.repairs), data.id_source, tuple(data.files)))
            for noc in result.noc_lists:
                report.noc_lists.append((noc.year, len(noc.entries), self._store_noc(noc, replace)))
        return report

    def _store_release(self, data: ReleaseData, replace: bool) -> LoadStatus:
        fingerprint = _fingerprint(f for f in data.files if f.role in ("codes", "codes_spreadsheet"))
        stored = self._store.release_fingerprint(data.release_id)
        if stored == fingerprint and not replace:
            return "unchanged"
        if stored is not None and not replace:
            names = ", ".join(f.display for f in data.files if f.role in ("codes", "codes_spreadsheet"))
            raise LoadError(
                f"release {data.release_id} is already loaded from other files than {names}; "
                "use --replace to replace it"
            )
        if stored is not None:
            self._store.delete_release(data.release_id)
        self._store.insert_release(data, fingerprint)
        return "replaced" if stored is not None else "loaded"

    def _store_noc(self, noc: NocList, replace: bool) -> LoadStatus:
        fingerprint = _fingerprint(noc.files)
        stored = self._store.noc_fingerprint(noc.year)
        if stored == fingerprint and not replace:
            return "unchanged"
        if stored is not None and not replace:
            raise LoadError(f"the {noc.year} NOC list is already loaded from other files; use --replace")
        if stored is not None:
            self._store.delete_noc_list(noc.year)
        self._store.insert_noc_list(noc, fingerprint)
        return "replaced" if stored is not None else "loaded"

    # -- releases ----------------------------------------------------------------------------------

    def releases(self) -> list[Release]:
        """Every loaded release, oldest first."""
        return [self._release(row) for row in self._store.releases()]

    def release(self, release_id: str | None = None) -> Release:
        """One release by id (``2020-04``; ``2020`` means ``2020-01``), or the latest."""
        if release_id is None:
            rows = self._store.releases()
            if not rows:
                raise NotFound(f"no releases loaded in {self.path}: run hcpcs load PATH")
            return self._release(rows[-1])
        wanted = check_release_id(release_id)
        row = self._store.release(wanted)
        if row is None:
            known = ", ".join(r["id"] for r in self._store.releases()) or "none"
            raise NotFound(f"release {wanted} is not loaded (loaded: {known})")
        return self._release(row)

    def _release(self, row: Row) -> Release:
        files = tuple(
            SourceFile(f["name"], f["role"], f["sha256"], f["size"], f["member"])
            for f in self._store.files(row["id"])
        )
        return Release(row["id"], dt.date.fromisoformat(row["effective_date"]), row["loaded_at"],
                       row["procedure_count"], row["modifier_count"], row["disagreement_count"], files)

    def check(self, release_id: str) -> CheckReport:
        release = self.release(release_id)
        return CheckReport(release.id, tuple(self._store.disagreements(release.id)),
                           tuple(self._store.repairs(release.id)))

    # -- codes -------------------------------------------------------------------------------------

    def get(self, code: str, *, release: str | None = None) -> Code:
        """One code as it stands in a release (the latest by default), every field decoded.

        Raises ``CodeError`` for a malformed code and ``NotFound`` (with near codes) for an unknown one.
        """
        wanted = parse_code(code)
        rel = self.release(release)
        row = self._store.record(wanted, rel.id)
        if row is None:
            elsewhere = self._store.releases_with(wanted)
            near = tuple(self._store.neighbours(wanted, rel.id, 3))
            where = f"; it is in release {', '.join(elsewhere)}" if elsewhere else ""
            hint = f"; near codes: {', '.join(near)}" if near else ""
            raise NotFound(f"{wanted} is not in release {rel.id}{where}{hint}", suggestions=near)
        return self._code(row, rel)

    def _code(self, row: Row, release: Release) -> Code:
        store = self._store
        note_number = row["processing_note"]
        note = store.processing_note(note_number, release.id) if note_number else None
        noc_year = store.noc_list_year(release.year)
        crossrefs = _values(row, "cross_reference")
        related_order: list[tuple[str, Any]] = [(c, "cross reference") for c in crossrefs]
        related_order += [(c, "description") for c in codes_named_in(row["long_description"])]
        related_order += [(c, "processing note") for c in codes_named_in(note[1] if note else None)]
        seen: dict[str, Any] = {}
        for other, why in related_order:
            if other != row["code"] and other not in seen:
                seen[other] = why
        shorts = store.short_descriptions(seen, release.id)
        return Code(
            code=row["code"],
            kind=row["kind"],
            release=release,
            long_description=row["long_description"] or "",
            short_description=row["short_description"],
            pricing_indicators=_coded_all(row, "pricing_indicator"),
            multiple_pricing_indicator=_coded(row, "multiple_pricing_indicator"),
            cim_references=_values(row, "cim_reference"),
            mcm_references=_values(row, "mcm_reference"),
            statute=row["statute"],
            lab_certifications=_coded_all(row, "lab_certification"),
            cross_references=crossrefs,
            coverage=_coded(row, "coverage"),
            asc_group=_coded(row, "asc_group"),
            asc_effective_date=row["asc_effective_date"],
            mog_payment_group=_coded(row, "mog_payment_group"),
            mog_payment_policy=_coded(row, "mog_payment_policy"),
            mog_effective_date=row["mog_effective_date"],
            processing_note=note_number,
            processing_note_text=note[1] if note else None,
            betos=_coded(row, "betos"),
            types_of_service=_coded_all(row, "type_of_service"),
            anesthesia_base_units=row["anesthesia_base_units"],
            added_date=row["added_date"],
            action_effective_date=row["action_effective_date"],
            termination_date=row["termination_date"],
            action=_coded(row, "action_code"),
            noc=store.in_noc_list(row["code"], noc_year) if noc_year is not None else None,
            noc_list_year=noc_year,
            related=tuple(RelatedCode(c, why, shorts.get(c)) for c, why in seen.items()),
            values={k: v for k, v in row.items() if k not in ("release_id", "kind", "source_line")},
            source=_code_source(release),
            line=row["source_line"],
        )


def open(db: str | Path | None = None, *, readonly: bool = False) -> Hcpcs:
    """Open (creating if need be) the hcpcs database at ``db``, ``$HCPCS_DB`` or the default path."""
    path = Path(db).expanduser() if db is not None else default_db_path()
    return Hcpcs(Store(path, readonly=readonly))


def _fingerprint(files: Iterable[SourceFile]) -> str:
    digest = hashlib.sha256()
    for sha in sorted(f.sha256 for f in files):
        digest.update(sha.encode())
    return digest.hexdigest()


def _values(row: Row, name: str) -> tuple[str, ...]:
    return tuple(row[c] for c in FIELDS_BY_NAME[name].columns if row[c])


def _coded(row: Row, name: str) -> Coded | None:
    field_ = FIELDS_BY_NAME[name]
    value = row[field_.name]
    return Coded(value, _codetables.meaning(field_.code_table, value)) if value else None


def _coded_all(row: Row, name: str) -> tuple[Coded, ...]:
    field_ = FIELDS_BY_NAME[name]
    return tuple(Coded(v, _codetables.meaning(field_.code_table, v)) for v in _values(row, name))


def _code_source(release: Release) -> str:
    for wanted in ("codes", "codes_spreadsheet"):
        for f in release.files:
            if f.role == wanted:
                return f.display
    return release.id


__all__: Sequence[str] = ("CheckReport", "Hcpcs", "LoadReport", "LoadedRelease", "default_db_path", "open")
