# A throwaway PostgreSQL server from the Debian package, for the tests: its own data
# directory and port on loopback, trusted local connections, no durability (fsync off).
# shellcheck shell=bash

# Runs a command as the `postgres` user when root (PostgreSQL refuses to run as root).
as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The newest installed PostgreSQL's program directory.
postgres_bin() {
  find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d | sort -V | tail -1
}

# The first port from PORT up that nothing on this machine listens on.
postgres_free_port() {
  local port=$1
  while ss -Hltn "sport = :$port" | grep -q .; do port=$((port + 1)); done
  printf '%s\n' "$port"
}

# Starts a server in DIR (created; removed by postgres_stop) on 127.0.0.1, on PORT or the
# first free port above it, and prints the URL of its admin database. Fails, printing the
# server's log, unless the server answers a query.
postgres_start() {
  local dir=$1 port bin
  port=$(postgres_free_port "$2")
  bin=$(postgres_bin)
  [ -n "$bin" ] || die "PostgreSQL is not installed (scripts/setup.sh installs it)"
  mkdir -p "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  as_postgres "$bin/initdb" -D "$dir/data" -U carina --auth=trust -E UTF8 --no-sync >/dev/null ||
    die "initdb failed in $dir"
  as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
    "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
    >/dev/null || { postgres_log "$dir"; die "PostgreSQL did not start on port $port"; }
  local url="postgres://carina@127.0.0.1:$port/postgres"
  psql -X -q -d "$url" -c 'SELECT 1' >/dev/null ||
    { postgres_log "$dir"; die "PostgreSQL on port $port does not answer"; }
  printf '%s\n' "$url"
}

# Prints the server's log in DIR to stderr (for a failure's cause).
postgres_log() {
  local dir=$1
  [ -f "$dir/server.log" ] || return 0
  printf '==> PostgreSQL log (%s/server.log):\n' "$dir" >&2
  tail -n 60 "$dir/server.log" >&2
}

# Stops the server in DIR and removes DIR.
postgres_stop() {
  local dir=$1
  [ -d "$dir/data" ] && as_postgres "$(postgres_bin)/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
  rm -rf "$dir"
}
