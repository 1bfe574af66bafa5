"""The same validation as a PySpark job, for inputs one machine cannot hold.

The reference tables are small (about 35,000 records over all releases) and are broadcast; the lines are
read by Spark, normalised exactly as the DuckDB engine does, and run through the shared SQL. Local mode
(``local[*]``) unless ``SPARK_MASTER`` names a cluster.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

from .._errors import InputError
from .engines import SHOWN_CHARS, Columns, Summary, check_columns, cut_value, file_format
from .lines import MODIFIERS, Reference
from .sql import REFERENCE_COLUMNS, core_sql, drug_key_columns, drug_keys, ndc_width, reference_rows, ruled_sql

_SPARK_TYPES = {"text": "string", "date": "date", "boolean": "boolean", "double": "double", "integer": "int"}


def session() -> Any:
    from pyspark.sql import SparkSession

    return (SparkSession.builder.master(os.environ.get("SPARK_MASTER", "local[2]")).appName("hcpcs-validate")
            .config("spark.ui.enabled", "false").config("spark.sql.ansi.enabled", "false")
            .config("spark.sql.shuffle.partitions", "4").config("spark.driver.memory", "1g")
            .getOrCreate())


def validate_spark(ref: Reference, source: Path, output: Path, columns: Columns) -> Summary:
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window

    started = time.perf_counter()
    kind, out_kind = file_format(source), file_format(output)
    if not source.exists():
        raise InputError(str(source), "no such file")
    spark = session()
    rows = reference_rows(ref)
    for name, columns_of in REFERENCE_COLUMNS.items():
        schema = ", ".join(f"{column} {_SPARK_TYPES[kind]}" for column, kind in columns_of.items())
        frame = spark.createDataFrame(rows[name], schema=schema)
        F.broadcast(frame).createOrReplaceTempView(name)
    src = (spark.read.option("header", "true").csv(str(source)) if kind == "csv" else spark.read.parquet(str(source)))
    check_columns(source, list(src.columns), columns)
    src = src.withColumn("__line", F.monotonically_increasing_id())
    day = F.to_date(F.col(columns.date).cast("string"), "yyyy-MM-dd")
    bad = src.filter(day.isNull()).orderBy("__line").limit(1).collect()
    if bad:
        raise InputError(source.name, f"{columns.date} {cut_value(bad[0][columns.date])} is not a date (YYYY-MM-DD)",
                         field=columns.date)
    mods = F.concat_ws(" ", *[F.col(m).cast("string") for m in columns.modifiers]) if columns.modifiers \
        else F.lit("")
    split = F.filter(F.split(F.upper(F.trim(mods)), r"[\s,]+"), lambda x: x != "")
    whole = F.coalesce(F.upper(F.trim(F.col(columns.code).cast("string"))), F.lit(""))
    code = F.when(F.length(whole) > SHOWN_CHARS, F.concat(F.substring(whole, 1, SHOWN_CHARS), F.lit("..."))) \
        .otherwise(whole)
    first = 2 if kind == "csv" else 1  # a CSV's physical line (its header is line 1); a Parquet file's row
    drugs = columns.ndc in src.columns
    drug_columns = []
    if drugs:  # the NDC as written: drug_keys reads each spelling once, as the DuckDB engine does
        raw = F.col(columns.ndc).cast("string")
        units = F.col(columns.units).cast("double") if columns.units in src.columns else F.lit(None).cast("double")
        drug_columns = [raw.alias("ndc_raw"), units.alias("units")]
        spelled = src.select(raw.alias("raw"), day.alias("day")).groupBy("raw").agg(F.min("day"), F.max("day"))
        spellings = {r[0]: (r[1], r[2]) for r in spelled.collect() if r[0] is not None and r[1] is not None}
        kinds = drug_key_columns(ndc_width(ref))
        schema = ", ".join(f"{column} {_SPARK_TYPES[kind]}" for column, kind in kinds.items())
        keys = spark.createDataFrame(list(zip(*drug_keys(ref, spellings).values(), strict=True)), schema=schema)
        F.broadcast(keys).createOrReplaceTempView("drug_keys")
    lines = src.select(
        (F.row_number().over(Window.orderBy("__line")) + first - 1).alias("line"),
        (F.when(F.trim(F.col(columns.claim).cast("string")) != "", F.trim(F.col(columns.claim).cast("string")))
         if columns.claim else F.lit(None).cast("string")).alias("claim_id"),
        code.alias("code"), day.alias("day"), split.alias("mods"), *drug_columns)
    ndc_columns = ["ndc_raw", "units"] if drugs else []
    lines = lines.select("line", "claim_id", F.col("claim_id").alias("claim_key"), "code", "day",
                         F.col("code").rlike("^[A-CE-Z][0-9]{4}$").alias("code_ok"),
                         *[F.when(F.get(F.col("mods"), n - 1) != "", F.get(F.col("mods"), n - 1)).alias(f"m{n}")
                           for n in range(1, MODIFIERS + 1)], *ndc_columns)
    lines.createOrReplaceTempView("lines")
    spark.sql(ruled_sql(ref.spans, "lines", "STRING")).createOrReplaceTempView("ruled")
    result = spark.sql(core_sql(ref.spans, "STRING", ref.crosswalks if drugs else None, ndc_width(ref))).orderBy("line")
    part = output.with_name(output.name + ".spark")
    try:
        writer = result.coalesce(1).write.mode("overwrite")
        (writer.option("header", "true").csv(str(part)) if out_kind == "csv" else writer.parquet(str(part)))
        written = next(p for p in part.iterdir() if p.name.startswith("part-"))
        written.replace(output)
    finally:
        shutil.rmtree(part, ignore_errors=True)
    summary = Summary(output=output)
    counted = result.groupBy("status").count().collect()
    summary.lines = sum(r["count"] for r in counted)
    summary.valid = sum(r["count"] for r in counted if r["status"] == "valid")
    for column, target in (("reasons", summary.reasons), ("warnings", summary.warnings)):
        exploded = result.select(F.explode(F.split(F.col(column), ";")).alias("r")).filter("r <> ''")
        target.update({r["r"]: r["count"] for r in exploded.groupBy("r").count().collect()})
    summary.seconds = time.perf_counter() - started
    return summary
