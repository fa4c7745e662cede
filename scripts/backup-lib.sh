# shellcheck shell=bash
# shellcheck disable=SC2034 # the variables set here are read by the sourcing script
# Shared by scripts/backup.sh and scripts/restore.sh: read the gateway's
# configuration the way it does (EPUSDT_<KEY> environment variables over
# .env over defaults) and turn its database settings into what the
# database command-line tools need. Never prints a secret.

die() { echo "error: $*" >&2; exit 1; }
note() { echo "$*" >&2; }

declare -A DOTENV=()

# load_dotenv FILE: KEY=VALUE lines; blank lines and # comments skipped; an
# "export " prefix and single or double quotes allowed; keys case-insensitive.
load_dotenv() {
  DOTENV=()
  [[ -f $1 ]] || return 0
  local line key val
  while IFS= read -r line || [[ -n $line ]]; do
    line=${line%$'\r'}
    line=${line#"${line%%[![:space:]]*}"}
    [[ -z $line || $line == \#* ]] && continue
    line=${line#export }
    [[ $line == *=* ]] || continue
    key=${line%%=*}; val=${line#*=}
    key=${key%"${key##*[![:space:]]}"}; key=${key,,}
    val=${val#"${val%%[![:space:]]*}"}; val=${val%"${val##*[![:space:]]}"}
    if [[ ${#val} -ge 2 && ( ${val:0:1} == '"' || ${val:0:1} == "'" ) && ${val: -1} == "${val:0:1}" ]]; then
      val=${val:1:${#val}-2}
    elif [[ $val == *' #'* ]]; then
      val=${val%% #*}; val=${val%"${val##*[![:space:]]}"}
    fi
    DOTENV[$key]=$val
  done <"$1"
}

# cfg KEY [DEFAULT]: the effective value of a configuration key.
cfg() {
  local name="EPUSDT_${1^^}"
  if [[ -n ${!name+x} ]]; then printf '%s' "${!name}"
  elif [[ -n ${DOTENV[$1]+x} ]]; then printf '%s' "${DOTENV[$1]}"
  else printf '%s' "${2-}"; fi
}

# abspath PATH: PATH made absolute against the working directory.
abspath() { if [[ $1 == /* ]]; then printf '%s' "$1"; else printf '%s/%s' "$PWD" "${1#./}"; fi; }

urldecode() { local s=${1//+/ }; printf '%b' "${s//%/\\x}"; }

# resolve_paths sets RUNTIME_DIR, LOG_DIR and, for SQLite, SQLITE_PATH.
resolve_paths() {
  DB_TYPE=$(cfg db_type sqlite)
  RUNTIME_DIR=$(abspath "$(cfg runtime_root_path ./runtime)")
  RUNTIME_DIR=${RUNTIME_DIR%/}
  local logs; logs=$(cfg log_save_path /logs); logs=${logs#/}
  LOG_DIR=$RUNTIME_DIR/$logs
  SQLITE_PATH=""
  if [[ $DB_TYPE == sqlite ]]; then
    local f; f=$(cfg sqlite_database_filename epusdt.db)
    if [[ $f == /* ]]; then SQLITE_PATH=$f; else SQLITE_PATH=$RUNTIME_DIR/$f; fi
  fi
}

# mysql_conn writes a client option file (mode 0600) into DIR and sets
# MY_OPTS (the file) and MY_DB. Accepts db_dsn in go-sql-driver form
# user:pass@tcp(host:port)/db?params or the mysql_* fields.
mysql_conn() {
  local dir=$1 dsn user pass host port socket="" db
  dsn=$(cfg db_dsn)
  if [[ -n $dsn ]]; then
    local cred="" rest=$dsn netaddr addr
    if [[ $dsn == *@* ]]; then cred=${dsn%@*}; rest=${dsn##*@}; fi
    user=${cred%%:*}; pass=""; [[ $cred == *:* ]] && pass=${cred#*:}
    if [[ $rest =~ ^([a-z0-9]+\([^\)]*\))?/(.*)$ ]]; then
      netaddr=${BASH_REMATCH[1]}; db=${BASH_REMATCH[2]}; db=${db%%\?*}
    else
      die "db_dsn: not a MySQL DSN of the form user:pass@tcp(host:port)/database"
    fi
    host=127.0.0.1; port=3306
    case $netaddr in
      tcp\(*\)) addr=${netaddr#tcp(}; addr=${addr%)}
        if [[ $addr == \[* ]]; then host=${addr%%]*}; host=${host#[}; [[ $addr == *]:* ]] && port=${addr##*]:}
        elif [[ $addr == *:* ]]; then host=${addr%:*}; port=${addr##*:}
        elif [[ -n $addr ]]; then host=$addr; fi ;;
      unix\(*\)) socket=${netaddr#unix(}; socket=${socket%)} ;;
      "") ;;
      *) die "db_dsn: unsupported MySQL network address (want tcp(host:port) or unix(/path))" ;;
    esac
  else
    user=$(cfg mysql_user root); pass=$(cfg mysql_passwd); host=$(cfg mysql_host 127.0.0.1)
    port=$(cfg mysql_port 3306); db=$(cfg mysql_database epusdt)
  fi
  [[ -n $db ]] || die "no MySQL database name in db_dsn or mysql_database"
  MY_DB=$db
  MY_OPTS=$dir/mysql-client.cnf
  ( umask 077
    q() { local v=${1//\\/\\\\}; printf '"%s"' "${v//\"/\\\"}"; }
    { echo "[client]"
      echo "user=$(q "$user")"
      [[ -n $pass ]] && echo "password=$(q "$pass")"
      if [[ -n $socket ]]; then echo "socket=$(q "$socket")"; else echo "host=$(q "$host")"; echo "port=$port"; fi
      echo "default-character-set=utf8mb4"
    } >"$MY_OPTS" )
}

# pg_conn sets PG_CONN (a libpq connection string without the password),
# exports PGPASSWORD when there is one, and sets PG_SCHEMA when the gateway
# uses its own schema through search_path (a pgx parameter libpq does not
# know, so it is taken out). Accepts db_dsn as a URL or key=value pairs, or
# the postgres_* fields.
pg_conn() {
  local dsn; dsn=$(cfg db_dsn); PG_SCHEMA=""
  if [[ -z $dsn ]]; then
    local v kv=()
    pgq() { v=${1//\\/\\\\}; printf "'%s'" "${v//\'/\\\'}"; }
    kv+=("host=$(pgq "$(cfg postgres_host 127.0.0.1)")" "port=$(cfg postgres_port 5432)")
    kv+=("user=$(pgq "$(cfg postgres_user postgres)")" "dbname=$(pgq "$(cfg postgres_database epusdt)")")
    PG_CONN="${kv[*]}"
    local pw; pw=$(cfg postgres_passwd); [[ -n $pw ]] && export PGPASSWORD=$pw
    return 0
  fi
  if [[ $dsn == postgres://* || $dsn == postgresql://* ]]; then
    local scheme=${dsn%%://*} rest=${dsn#*://} query="" userinfo="" user pass p k keep=()
    if [[ $rest == *\?* ]]; then query=${rest#*\?}; rest=${rest%%\?*}; fi
    if [[ $rest == *@* ]]; then userinfo=${rest%@*}; rest=${rest##*@}; fi
    user=${userinfo%%:*}
    if [[ $userinfo == *:* ]]; then pass=$(urldecode "${userinfo#*:}"); export PGPASSWORD=$pass; fi
    IFS='&' read -r -a parts <<<"$query"
    for p in "${parts[@]}"; do
      k=${p%%=*}
      case $k in
        search_path) PG_SCHEMA=$(urldecode "${p#*=}"); PG_SCHEMA=${PG_SCHEMA%%,*} ;;
        pool_*|statement_cache_capacity|description_cache_capacity|default_query_exec_mode) ;;
        password) export PGPASSWORD; PGPASSWORD=$(urldecode "${p#*=}") ;;
        "") ;;
        *) keep+=("$p") ;;
      esac
    done
    PG_CONN="$scheme://${user:+$user@}$rest"
    if [[ ${#keep[@]} -gt 0 ]]; then PG_CONN+="?$(IFS='&'; echo "${keep[*]}")"; fi
  else
    local tok out=()
    for tok in $dsn; do
      case ${tok%%=*} in
        search_path) PG_SCHEMA=${tok#*=}; PG_SCHEMA=${PG_SCHEMA%%,*}; PG_SCHEMA=${PG_SCHEMA//\'/} ;;
        password) export PGPASSWORD; PGPASSWORD=${tok#*=}; PGPASSWORD=${PGPASSWORD#\'}; PGPASSWORD=${PGPASSWORD%\'} ;;
        pool_*|statement_cache_capacity|description_cache_capacity|default_query_exec_mode) ;;
        *) out+=("$tok") ;;
      esac
    done
    PG_CONN="${out[*]}"
  fi
}

# epusdt_bin prints the gateway binary to use: $EPUSDT_BIN, ./epusdt, or
# epusdt on PATH.
epusdt_bin() {
  if [[ -n ${EPUSDT_BIN:-} ]]; then printf '%s' "$EPUSDT_BIN"
  elif [[ -x ./epusdt ]]; then printf '%s' ./epusdt
  else command -v epusdt || true; fi
}
