#!/usr/bin/env bash
# Back up an EPUSDT gateway: run it in the gateway's working directory (where
# its .env is). It writes ONE archive DEST_DIR/epusdt-backup-<UTC time>.tar.gz
# (mode 0600) holding the database, the .env and the runtime secrets, then
# keeps only the newest backup_keep archives (default 14; --keep N).
#
#   scripts/backup.sh [--env FILE] [--keep N] DEST_DIR
#
# Database, online (the gateway keeps running):
#   sqlite    SQLite's backup API (`sqlite3 .backup`), or `epusdt db
#             backup-sqlite` (VACUUM INTO) where sqlite3 is not installed;
#             never a file copy, which would miss what is still in the WAL.
#             BACKUP_SQLITE_TOOL=sqlite3|epusdt forces one.
#   mysql     mysqldump --single-transaction (InnoDB snapshot).
#   postgres  pg_dump (snapshot); only the gateway's schema when its DSN has
#             search_path.
# The archive holds every secret of the installation: keep DEST_DIR mode 0700,
# copy archives off the machine, encrypted (e.g. age or gpg). Restore with
# scripts/restore.sh ARCHIVE. Set backup_dir=DEST_DIR so `epusdt check` can
# warn when backups stop.
set -euo pipefail
umask 077
# shellcheck source=backup-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/backup-lib.sh"

usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

ENV_FILE=.env KEEP="" DEST=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --env) ENV_FILE=${2:?--env needs a file}; shift 2 ;;
    --keep) KEEP=${2:?--keep needs a number}; shift 2 ;;
    -h|--help) usage ;;
    -*) die "unknown option $1" ;;
    *) [[ -z $DEST ]] || usage; DEST=$1; shift ;;
  esac
done
[[ -n $DEST ]] || usage
[[ $DEST != *[\'\"]* ]] || die "DEST_DIR must not contain quotes"

load_dotenv "$ENV_FILE"
[[ -f $ENV_FILE ]] || note "warning: no $ENV_FILE here: is this the gateway's working directory? (only EPUSDT_* variables are used)"
resolve_paths
KEEP=${KEEP:-$(cfg backup_keep 14)}
[[ $KEEP =~ ^[0-9]+$ ]] || die "backup_keep / --keep must be a whole number, got '$KEEP'"

mkdir -p "$DEST"
chmod 700 "$DEST"
DEST=$(cd "$DEST" && pwd)
# One name per second; wait for the next second rather than overwrite.
while :; do
  STAMP=$(date -u +%Y%m%dT%H%M%SZ)
  NAME=epusdt-backup-$STAMP
  [[ -e $DEST/$NAME.tar.gz ]] || break
  sleep 1
done
WORK=$(mktemp -d "$DEST/.epusdt-backup.XXXXXX")
PARTIAL=$DEST/.$NAME.tar.gz.partial
trap 'rm -rf "$WORK" "$PARTIAL"' EXIT
STAGE=$WORK/$NAME
mkdir -p "$STAGE/db" "$STAGE/runtime"

dump_sqlite() {
  [[ -f $SQLITE_PATH ]] || die "SQLite database $SQLITE_PATH not found"
  local copy=$STAGE/db/epusdt.db tool=${BACKUP_SQLITE_TOOL:-}
  if [[ -z $tool ]]; then if command -v sqlite3 >/dev/null; then tool=sqlite3; else tool=epusdt; fi; fi
  case $tool in
    sqlite3)
      sqlite3 "$SQLITE_PATH" ".timeout 10000" ".backup '$copy'" >/dev/null
      [[ $(sqlite3 "$copy" "PRAGMA integrity_check;") == ok ]] || die "the SQLite copy failed its integrity check" ;;
    epusdt)
      local bin; bin=$(epusdt_bin)
      [[ -n $bin ]] || die "neither sqlite3 nor the epusdt binary found (set EPUSDT_BIN)"
      local args=(db backup-sqlite "$copy")
      [[ -f $ENV_FILE ]] && args=(--config "$ENV_FILE" "${args[@]}")
      "$bin" "${args[@]}" >/dev/null ;;
    *) die "BACKUP_SQLITE_TOOL must be sqlite3 or epusdt" ;;
  esac
  echo "db_file=db/epusdt.db"
}

dump_mysql() {
  mysql_conn "$WORK"
  local dump=mysqldump; command -v mysqldump >/dev/null || dump=mariadb-dump
  "$dump" --defaults-extra-file="$MY_OPTS" --single-transaction --quick --routines --triggers \
    --no-tablespaces --hex-blob --default-character-set=utf8mb4 -- "$MY_DB" >"$STAGE/db/dump.sql"
  [[ $(tail -n 1 "$STAGE/db/dump.sql") == *"Dump completed"* ]] || die "mysqldump output is incomplete"
  echo "db_file=db/dump.sql"
}

dump_postgres() {
  pg_conn
  local args=(--dbname="$PG_CONN" --no-owner --no-privileges --format=plain --file="$STAGE/db/dump.sql")
  [[ -n $PG_SCHEMA ]] && args+=(--schema="$PG_SCHEMA")
  pg_dump "${args[@]}"
  grep -q 'PostgreSQL database dump complete' "$STAGE/db/dump.sql" || die "pg_dump output is incomplete"
  echo "db_file=db/dump.sql"
  echo "pg_schema=$PG_SCHEMA"
}

# copy_runtime copies runtime/ (generated secrets and any other state)
# without the logs and the live SQLite files.
copy_runtime() {
  [[ -d $RUNTIME_DIR ]] || { note "warning: runtime directory $RUNTIME_DIR does not exist"; return 0; }
  local ex=(--exclude="./${LOG_DIR#"$RUNTIME_DIR"/}")
  if [[ -n $SQLITE_PATH && $SQLITE_PATH == "$RUNTIME_DIR"/* ]]; then
    local rel=${SQLITE_PATH#"$RUNTIME_DIR"/}
    ex+=(--exclude="./$rel" --exclude="./$rel-wal" --exclude="./$rel-shm" --exclude="./$rel-journal")
  fi
  tar -C "$RUNTIME_DIR" "${ex[@]}" -cf - . | tar -C "$STAGE/runtime" -xpf -
}

{
  echo "format=1"
  echo "created=$STAMP"
  echo "db_type=$DB_TYPE"
  echo "host=$(hostname 2>/dev/null || echo unknown)"
  echo "workdir=$PWD"
  case $DB_TYPE in
    sqlite) dump_sqlite ;;
    mysql) dump_mysql ;;
    postgres) dump_postgres ;;
    *) die "db_type '$DB_TYPE' is not sqlite, mysql or postgres" ;;
  esac
} >"$STAGE/MANIFEST.tmp"
mv "$STAGE/MANIFEST.tmp" "$STAGE/MANIFEST"
rm -f "$WORK/mysql-client.cnf"
[[ -f $ENV_FILE ]] && cp -p "$ENV_FILE" "$STAGE/dotenv"
copy_runtime

tar -C "$WORK" -czf "$PARTIAL" "$NAME"
chmod 600 "$PARTIAL"
mv "$PARTIAL" "$DEST/$NAME.tar.gz"
echo "$DEST/$NAME.tar.gz"

if [[ $KEEP -gt 0 ]]; then
  mapfile -t old < <(find "$DEST" -maxdepth 1 -type f -name 'epusdt-backup-*.tar.gz' -printf '%f\n' | sort -r | tail -n +"$((KEEP + 1))")
  for f in "${old[@]}"; do rm -f -- "${DEST:?}/$f"; note "removed old backup $f"; done
fi
