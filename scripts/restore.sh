#!/usr/bin/env bash
# Restore an EPUSDT gateway from an archive of scripts/backup.sh: run it in
# the gateway's working directory with every gateway instance STOPPED.
#
#   scripts/restore.sh [--keep-env] [--yes] ARCHIVE
#
# It puts back the .env (the current one, if different, is kept as
# .env.before-restore-<time>; --keep-env keeps using the current one, e.g. to
# restore into another database server), the runtime secrets, and the
# database: SQLite file replaced; MySQL/PostgreSQL tables of the configured
# database (or schema) dropped and reloaded from the dump. Connection
# settings come from the restored .env, overridden by EPUSDT_* variables.
# Then start the gateway (it migrates a backup from an older version) and
# run `epusdt check`.
set -euo pipefail
umask 077
# shellcheck source=backup-lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/backup-lib.sh"

usage() { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

ENV_FILE=.env KEEP_ENV=0 YES=0 ARCHIVE=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --env) ENV_FILE=${2:?--env needs a file}; shift 2 ;;
    --keep-env) KEEP_ENV=1; shift ;;
    --yes|-y) YES=1; shift ;;
    -h|--help) usage ;;
    -*) die "unknown option $1" ;;
    *) [[ -z $ARCHIVE ]] || usage; ARCHIVE=$1; shift ;;
  esac
done
[[ -n $ARCHIVE && -f $ARCHIVE ]] || usage

WORK=$(mktemp -d "${TMPDIR:-/tmp}/epusdt-restore.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
tar -C "$WORK" -xzf "$ARCHIVE"
mapfile -t tops < <(find "$WORK" -mindepth 1 -maxdepth 1 -type d -name 'epusdt-backup-*')
[[ ${#tops[@]} -eq 1 && -f ${tops[0]}/MANIFEST ]] || die "$ARCHIVE is not an epusdt backup archive"
SRC=${tops[0]}
manifest() { sed -n "s/^$1=//p" "$SRC/MANIFEST" | head -n 1; }
[[ $(manifest format) == 1 ]] || die "unsupported archive format '$(manifest format)'"
ARCH_DB=$(manifest db_type) DB_FILE=$SRC/$(manifest db_file)
[[ -f $DB_FILE ]] || die "the archive has no database file"

if [[ $YES -ne 1 ]]; then
  [[ -t 0 ]] || die "restoring replaces this installation's database and secrets: pass --yes"
  read -r -p "Replace the database and secrets of $PWD with the backup of $(manifest created)? Type yes: " answer
  [[ $answer == yes ]] || die "not confirmed"
fi

# 1. The .env.
if [[ -f $SRC/dotenv && $KEEP_ENV -eq 0 ]]; then
  if [[ -f $ENV_FILE ]] && ! cmp -s "$SRC/dotenv" "$ENV_FILE"; then
    saved=$ENV_FILE.before-restore-$(date -u +%Y%m%dT%H%M%SZ)
    cp -p "$ENV_FILE" "$saved"; note "kept the current $ENV_FILE as $saved"
  fi
  cp "$SRC/dotenv" "$ENV_FILE"; chmod 600 "$ENV_FILE"
fi
load_dotenv "$ENV_FILE"
resolve_paths
[[ $DB_TYPE == "$ARCH_DB" ]] || die "the archive holds a $ARCH_DB database but db_type is $DB_TYPE"

# in_use FILE: some process has FILE open (a running gateway).
in_use() {
  local f; f=$(readlink -f "$1") || return 1
  [[ -n $(find /proc/[0-9]*/fd -maxdepth 1 -lname "$f" -print -quit 2>/dev/null) ]]
}

restore_sqlite() {
  local f
  for f in "$SQLITE_PATH" "$SQLITE_PATH-wal"; do
    if [[ -e $f ]] && in_use "$f"; then die "$f is open by a running process: stop the gateway first"; fi
  done
  mkdir -p "$(dirname "$SQLITE_PATH")"
  rm -f -- "$SQLITE_PATH" "$SQLITE_PATH-wal" "$SQLITE_PATH-shm" "$SQLITE_PATH-journal"
  cp "$DB_FILE" "$SQLITE_PATH.restoring"
  chmod 600 "$SQLITE_PATH.restoring"
  mv "$SQLITE_PATH.restoring" "$SQLITE_PATH"
}

restore_mysql() {
  mysql_conn "$WORK"
  local q="\`${MY_DB//\`/\`\`}\`" drops
  mysql --defaults-extra-file="$MY_OPTS" -e "CREATE DATABASE IF NOT EXISTS $q CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
  drops=$(mysql --defaults-extra-file="$MY_OPTS" -N -B -D "$MY_DB" -e \
    "SELECT CONCAT('DROP TABLE IF EXISTS \`', REPLACE(table_name, '\`', '\`\`'), '\`;') FROM information_schema.tables WHERE table_schema = DATABASE()")
  { echo "SET FOREIGN_KEY_CHECKS=0;"; echo "$drops"; echo "SET FOREIGN_KEY_CHECKS=1;"; } |
    mysql --defaults-extra-file="$MY_OPTS" -D "$MY_DB"
  mysql --defaults-extra-file="$MY_OPTS" -D "$MY_DB" <"$DB_FILE"
}

restore_postgres() {
  pg_conn
  local schema; schema=$(manifest pg_schema)
  [[ $schema == "$PG_SCHEMA" ]] || die "the archive holds schema '${schema:-public}' but the DSN uses '${PG_SCHEMA:-public}'"
  local clean
  if [[ -n $schema ]]; then
    clean="DROP SCHEMA IF EXISTS \"${schema//\"/\"\"}\" CASCADE;"
  else
    clean="DO \$\$DECLARE r record; BEGIN
      FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
        EXECUTE format('DROP TABLE IF EXISTS %I CASCADE', r.tablename); END LOOP;
      FOR r IN SELECT sequence_name FROM information_schema.sequences WHERE sequence_schema = current_schema() LOOP
        EXECUTE format('DROP SEQUENCE IF EXISTS %I CASCADE', r.sequence_name); END LOOP;
    END\$\$;"
  fi
  psql -X -q -v ON_ERROR_STOP=1 --single-transaction --dbname="$PG_CONN" -c "$clean" -f "$DB_FILE" >/dev/null
}

# 2. The database.
case $DB_TYPE in
  sqlite) restore_sqlite ;;
  mysql) restore_mysql ;;
  postgres) restore_postgres ;;
  *) die "db_type '$DB_TYPE' is not sqlite, mysql or postgres" ;;
esac
rm -f "$WORK/mysql-client.cnf"

# 3. The runtime secrets and other runtime state.
mkdir -p "$RUNTIME_DIR"
chmod 700 "$RUNTIME_DIR"
if [[ -d $SRC/runtime ]]; then
  tar -C "$SRC/runtime" -cf - . | tar -C "$RUNTIME_DIR" -xpf -
fi

echo "restored $(manifest db_type) backup of $(manifest created) into $PWD"
echo "next: start the gateway (it applies newer migrations), then run: epusdt check"
