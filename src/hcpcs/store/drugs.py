"""CMS's drug files, a quarter each: the NDC-HCPCS crosswalk's products and the payment limits."""

from __future__ import annotations

from ..model.drugs import DrugFile, DrugProduct, PaymentLimit, Quarter
from ._base import Row, StoreBase, day, iso_date, like, now, sql_value
from .rows import DrugName, NdcCode


class Drugs(StoreBase):
    """Writing and reading the drug files."""

    def drug_file_fingerprint(self, kind: str, quarter: str) -> str | None:
        return self._fingerprint("SELECT fingerprint FROM drug_files WHERE kind = ? AND quarter = ?", (kind, quarter))

    def delete_drug_file(self, kind: str, quarter: str) -> None:
        table = "drug_products" if kind == "ndc_crosswalk" else "payment_limits"
        self.db.execute(f"DELETE FROM {table} WHERE quarter = ?", (quarter,))
        self.db.execute("DELETE FROM files WHERE owner = ?", (f"{kind}:{quarter}",))
        self.db.execute("DELETE FROM drug_files WHERE kind = ? AND quarter = ?", (kind, quarter))

    def insert_drug_file(self, data: DrugFile, fingerprint: str) -> None:
        self.db.execute("INSERT INTO drug_files VALUES (?, ?, ?, ?, ?, ?, ?)", (
            data.kind, data.quarter, data.effective_from.isoformat(), sql_value(data.effective_to), data.rows, now(),
            fingerprint))
        self._insert_files(f"{data.kind}:{data.quarter}", data.files)
        self.db.executemany("INSERT INTO drug_products VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
            (data.quarter, p.code, p.labeler, p.ndc, p.product_id, p.drug_name, p.dosage, p.package_size,
             p.package_quantity, p.billing_units, p.billing_units_per_package, p.line) for p in data.products))
        self.db.executemany("INSERT INTO payment_limits VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", (
            (data.quarter, x.code, x.dosage, x.limit, x.coinsurance, x.vaccine_awp, x.vaccine_limit, x.blood_awp,
             x.blood_limit, x.clotting_factor, x.notes, x.line) for x in data.limits))

    def quarters(self) -> list[Quarter]:
        """Every loaded drug file, by kind and quarter, with its file's name and sha256."""
        return [Quarter(r["kind"], r["quarter"], iso_date(r["effective_from"]), day(r["effective_to"]),
                        r["member"] or r["name"] or "", r["sha256"] or "", r["rows"]) for r in self.db.execute(
            "SELECT d.*, f.name, f.member, f.sha256 FROM drug_files d LEFT JOIN files f "
            "ON f.owner = d.kind || ':' || d.quarter ORDER BY d.kind, d.quarter")]

    def products_of_ndc(self, ndc: str) -> list[tuple[str, DrugProduct]]:
        """Every crosswalk line of an NDC, with its quarter, by quarter."""
        return [(r["quarter"], _product(r)) for r in self.db.execute(
            "SELECT * FROM drug_products WHERE ndc = ? ORDER BY quarter, code, line", (ndc,))]

    def products_of_code(self, code: str, quarter: str) -> list[DrugProduct]:
        return [_product(r) for r in self.db.execute(
            "SELECT * FROM drug_products WHERE code = ? AND quarter = ? ORDER BY drug_name, ndc, product_id, line",
            (code, quarter))]

    def labeler_ndcs(self, labeler: str, quarter: str) -> list[str]:
        """The NDCs of one labeler code (``00052``) in a quarter's crosswalk, in order."""
        return [r["ndc"] for r in self.db.execute(
            "SELECT DISTINCT ndc FROM drug_products WHERE ndc >= ? AND ndc < ? AND quarter = ? ORDER BY ndc",
            (labeler + "-", labeler + "-~", quarter))]

    def drug_names_like(self, quarter: str, word: str, labeler: str | None) -> list[DrugName]:
        """The crosswalk's (code, drug name, labeler) of a quarter whose drug name holds ``word`` (and whose labeler
        holds ``labeler``), ignoring case."""
        return [DrugName(*r.values()) for r in self.db.execute(
            "SELECT DISTINCT code, drug_name, labeler FROM drug_products WHERE quarter = ? AND drug_name LIKE ? "
            "ESCAPE '\\' AND labeler LIKE ? ESCAPE '\\' ORDER BY code",
            (quarter, f"%{like(word)}%", f"%{like(labeler or '')}%"))]

    def payment_limits(self, code: str) -> list[tuple[str, PaymentLimit]]:
        """A code's payment limit lines, each with its quarter, by quarter."""
        return [(r["quarter"], _payment_limit(r)) for r in self.db.execute(
            "SELECT * FROM payment_limits WHERE code = ? ORDER BY quarter, line", (code,))]

    def ndc_codes(self) -> list[NdcCode]:
        """Every (quarter, NDC, code) of the loaded crosswalks, once each."""
        return [NdcCode(*r.values()) for r in self.db.execute(
            "SELECT DISTINCT quarter, ndc, code, billing_units_per_package FROM drug_products "
            "WHERE ndc IS NOT NULL ORDER BY quarter, ndc, code")]


def _product(row: Row) -> DrugProduct:
    return DrugProduct(row["code"], row["labeler"], row["ndc"], row["product_id"], row["drug_name"], row["dosage"],
                       row["package_size"], row["package_quantity"], row["billing_units"],
                       row["billing_units_per_package"], row["line"])


def _payment_limit(row: Row) -> PaymentLimit:
    return PaymentLimit(row["code"], row["dosage"], row["payment_limit"], row["coinsurance"], row["vaccine_awp"],
                        row["vaccine_limit"], row["blood_awp"], row["blood_limit"], row["clotting_factor"],
                        row["notes"], row["line"])
