"""Do two versions of the loader build the same warehouse? ``python -m benchmarks.compare_loaders``.

Loads the same inputs, in the same order, with the loader of an earlier commit (default
f77c1ec, before the batch loader) and with this tree's, each in its own process and
into its own database, then compares every table and view of the two warehouses row for
row in both directions (``EXCEPT ALL`` each way, so a repeated row counts too).

Scenarios (each a sequence of ``mcred load`` calls into one database):

- ``sample``: the committed sample (etl/data/sample), then the same folder again (every
  file already loaded);
- ``many``: the 125-submission file (rows shuffled), then the same rows sorted (new
  bytes: every submission supersedes its twin), then the 125 files of the same rows;
- ``errors``: a file whose rows are mostly errors (benchmarks.data.mostly_errors), then
  the same file with ``--allow-partial`` (rejected bytes may be loaded again partially).

Relations and columns that a later migration added (not in the reference's schema)
are listed and left out; a table a later migration dropped is compared with the query
that now yields its rows (REPLACED); so are the reference-unknown rows of schema_migrations.
``data_version`` has a row per publish (one per batch of files): it is counted, not
compared, since the batch sizes are the loader's own choice.
Columns that legitimately differ are compared by what they must agree on: a timestamp
(``loaded_at``, ``superseded_at``, ``published_at``, ``applied_at``) only by whether it
is set. Submission ids are compared as they are: both loaders number submissions in the
order of the files and, within a file, of (institution, period) as written.
Exit status 0 when every table and view matches.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import duckdb

from benchmarks import data
from benchmarks.process import PROJECT_ROOT
from etl.config import DEFAULT_DATA_DIR, SAMPLE_DIR

DEFAULT_OLD = "f77c1ec"
WORK = PROJECT_ROOT / "benchmarks" / "work" / "compare"

# Tables a later migration dropped: the query over the new warehouse that yields their rows.
REPLACED = {
    # 007: current_offering_partners unnests offering.partner_categories
    "offering_partner": "(SELECT submission_id, offering_id, unnest(partner_categories) AS partner_category "
    "FROM new.offering)",
}


def scenarios(rows: int, seed: int) -> dict[str, list[list[str]]]:
    work = PROJECT_ROOT / "benchmarks" / "work"
    sample = str(SAMPLE_DIR)
    shuffled = str(data.many_submissions(work, rows, seed))
    ordered = str(data.many_submissions(work, rows, seed, "sorted"))
    folder = str(data.many_files(work, rows, seed))
    errors = str(data.mostly_errors(work, max(rows // 5, 1000), seed))
    return {
        "sample": [[sample], [sample]],
        "many": [[shuffled], [ordered], [folder]],
        "errors": [[errors], [errors, "--allow-partial"]],
    }


def old_source(rev: str) -> Path:
    """The tree of ``rev`` unpacked beside the work folder (once)."""
    target = WORK / f"src-{rev}"
    if not (target / "etl" / "load.py").exists():
        target.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile() as archive:
            subprocess.run(["git", "-C", str(PROJECT_ROOT), "archive", rev], stdout=archive, check=True)
            archive.seek(0)
            with tarfile.open(fileobj=archive) as tar:
                tar.extractall(target, filter="data")
    return target


def build(db: Path, loads: list[list[str]], source: Path) -> None:
    """Run each load with the loader of ``source`` (a tree holding etl/ and mcred/)."""
    for p in (db, db.with_name(db.name + ".wal"), db.with_name(db.name + ".lock")):
        p.unlink(missing_ok=True)
    # The reference data of this tree for both loaders: the inputs are the same.
    env = {**os.environ, "PYTHONPATH": str(source), "MCRED_DATA_DIR": str(DEFAULT_DATA_DIR)}
    for args in loads:
        run = subprocess.run(
            [sys.executable, "-m", "mcred.cli", "load", "--json", *args, "--db", str(db)],
            env=env,
            cwd=source,
            capture_output=True,
            text=True,
        )
        if run.returncode not in (0, 1):  # 1: some submission was rejected, as the errors file is meant to be
            raise RuntimeError(
                f"mcred load {' '.join(args)} with {source} failed ({run.returncode}): {run.stderr[-800:]}"
            )


def _relations(con: duckdb.DuckDBPyConnection, alias: str) -> dict[str, list[tuple[str, str]]]:
    rows = con.execute(
        """
        SELECT table_name, column_name, data_type FROM information_schema.columns
        WHERE table_catalog = ? AND table_schema = 'main' ORDER BY table_name, ordinal_position
    """,
        [alias],
    ).fetchall()
    out: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        out.setdefault(table, []).append((column, kind))
    return out


def _expr(column: str, kind: str) -> str:
    quoted = '"' + column.replace('"', '""') + '"'
    if kind.startswith("TIMESTAMP"):
        return f"({quoted} IS NULL) AS {quoted}"
    return quoted


def compare(old_db: Path, new_db: Path) -> list[str]:
    """Differences between the two warehouses, in words (empty: the same)."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{old_db}' AS old (READ_ONLY)")
        con.execute(f"ATTACH '{new_db}' AS new (READ_ONLY)")
        old, new = _relations(con, "old"), _relations(con, "new")
        problems = []
        for name in sorted(set(old) - set(new) - set(REPLACED)):
            problems.append(f"{name}: only in the old warehouse")
        later = sorted(set(new) - set(old))
        if later:  # a migration newer than the reference commit: nothing to compare them with
            print(f"  not in the reference's schema (a later migration), not compared: {', '.join(later)}")
        for name in sorted(set(old) & (set(new) | set(REPLACED))):
            theirs = REPLACED.get(name) or f'new."{name}"'
            if name in REPLACED:
                print(f"  {name}: dropped by a later migration, compared with {theirs}")
                new[name] = old[name]
            missing = [c for c in old[name] if c not in new[name]]
            if missing:
                problems.append(f"{name}: columns {missing} are gone")
                continue
            extra = [c for c, _ in new[name] if (c, _) not in old[name]]
            if extra:
                print(f"  {name}: columns not in the reference's schema, not compared: {', '.join(extra)}")
            if name == "data_version":  # one row per publish: per batch, whose size is the loader's choice
                print(
                    f"  {name:28} {con.execute('SELECT count(*) FROM old.data_version').fetchone()[0]:>9,} "
                    f"publishes old, {con.execute('SELECT count(*) FROM new.data_version').fetchone()[0]:>9,} "
                    "new: not compared"
                )
                continue
            select = ", ".join(_expr(c, k) for c, k in old[name])
            # The migrations the reference knows (later ones are the schema's, not the loader's).
            where = (
                "WHERE version <= (SELECT max(version) FROM old.schema_migrations)"
                if name == "schema_migrations"
                else ""
            )
            counts = [
                con.execute(f'SELECT count(*) FROM old."{name}" {where}').fetchone()[0],
                con.execute(f"SELECT count(*) FROM {theirs} {where}").fetchone()[0],
            ]
            only_old = con.execute(
                f'SELECT count(*) FROM (SELECT {select} FROM old."{name}" {where} EXCEPT ALL '
                f"SELECT {select} FROM {theirs} {where})"
            ).fetchone()[0]
            only_new = con.execute(
                f"SELECT count(*) FROM (SELECT {select} FROM {theirs} {where} EXCEPT ALL "
                f'SELECT {select} FROM old."{name}" {where})'
            ).fetchone()[0]
            status = "same" if only_old == only_new == 0 else "DIFFERENT"
            print(
                f"  {name:28} {counts[0]:>9,} rows old, {counts[1]:>9,} new; only old {only_old:,}, "
                f"only new {only_new:,}: {status}"
            )
            if status != "same":
                sample = con.execute(
                    f'SELECT {select} FROM old."{name}" {where} EXCEPT ALL SELECT {select} '
                    f"FROM {theirs} {where} LIMIT 3"
                ).fetchall()
                problems.append(
                    f"{name}: {only_old:,} rows only in the old, {only_new:,} only in the new (e.g. {sample})"
                )
        return problems
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.compare_loaders",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--old", default=DEFAULT_OLD, help=f"the commit whose loader is the reference ({DEFAULT_OLD})")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the 125-submission file")
    parser.add_argument("--only", nargs="+", choices=["sample", "many", "errors"])
    parser.add_argument(
        "--keep-old",
        action="store_true",
        help="reuse the old loader's warehouses of an earlier run (they do not change)",
    )
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    source = old_source(args.old)
    failed = False
    for name, loads in scenarios(args.rows, 2024).items():
        if args.only and name not in args.only:
            continue
        old_db, new_db = WORK / f"{name}-{args.old}.duckdb", WORK / f"{name}-new.duckdb"
        print(f"{name}: {' then '.join(' '.join(Path(a).name if '/' in a else a for a in load) for load in loads)}")
        if not (args.keep_old and old_db.exists()):
            build(old_db, loads, source)
        build(new_db, loads, PROJECT_ROOT)
        problems = compare(old_db, new_db)
        for p in problems:
            print(f"  DIFFERENT {p}")
        print(f"  {name}: {'the same warehouse' if not problems else 'DIFFERENT'}")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
