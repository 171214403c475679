# Throwaway PostgreSQL, nginx and a fixed-delay HTTP server on loopback for tests and benchmarks.
# Source it after common.sh, then:
#
#   start_test_servers   # starts them all, exports STRAIN_TEST_*; stops them when the shell exits
#   stop_test_servers    # stops them all now (safe to call twice)
#   start_delay_server   # only the fixed-delay server: STRAIN_TEST_DELAY/MS answers after MS ms
#   start_prometheus     # only Prometheus with its remote-write receiver (STRAIN_TEST_PROMETHEUS)
#   start_bench_postgres # a PostgreSQL with pgbench's tables instead (exports STRAIN_BENCH_PG);
#                        # stop it with stop_test_postgres
#
# start_test_servers also starts a second, small PostgreSQL that one test restarts mid-run
# (restarting the main one would break the tests running beside it): STRAIN_TEST_PG_RESTARTABLE
# is its conninfo, and STRAIN_TEST_PG_RESTART a shell command that restarts it (fast shutdown,
# then start) and waits until it accepts connections again.
#
# Ports (override through the environment): STRAIN_TEST_PG_PORT (15432), STRAIN_TEST_HTTP_PORT
# (18080), STRAIN_TEST_HTTPS_PORT (18443), STRAIN_TEST_H2C_PORT (18081), STRAIN_BENCH_PG_PORT (15439),
# STRAIN_TEST_PG_RESTARTABLE_PORT (15433), STRAIN_TEST_DELAY_PORT (18082), STRAIN_TEST_PROMETHEUS_PORT (19090).
# All below Linux's ephemeral range (32768–60999 by default): any outgoing connection on the machine
# (apt, pip, a test's client) may hold a port in that range, and a server's bind then fails, as
# PostgreSQL's on 127.0.0.1:54330 did in a CI run.

STRAIN_PG_BIN="${STRAIN_PG_BIN:-/usr/lib/postgresql/15/bin}"
# initdb and pg_ctl refuse to run as root; root runs them as this system user instead.
STRAIN_PG_SYSTEM_USER=strain-pg

# Set while a server runs; stop_* clear them.
strain_pg_dir=""
strain_restartable_pg_dir=""
strain_nginx_dir=""
strain_nginx_pid=""
strain_delay_pid=""
strain_prometheus_dir=""
strain_prometheus_pid=""

start_test_servers() {
    # Whatever happens next, servers must not outlive this shell.
    trap stop_test_servers EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    start_test_postgres
    start_restartable_postgres
    start_test_nginx
    start_delay_server
    start_prometheus
}

stop_test_servers() {
    stop_prometheus
    stop_delay_server
    stop_test_nginx
    stop_restartable_postgres
    stop_test_postgres
}

# Retries a command every 0.1 s for up to 10 s; fails if it never succeeds.
retry_for_10s() {
    local _
    for _ in $(seq 100); do
        "$@" && return 0
        sleep 0.1
    done
    return 1
}

port_is_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# True when GET http://127.0.0.1:PORT/PATH answers 200 (bash's /dev/tcp: no curl needed).
http_get_ok() (
    local status
    exec 3<>"/dev/tcp/127.0.0.1/$1" 2>/dev/null || exit 1
    printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
    read -r _ status _ <&3
    [[ "$status" == 200 ]]
)

# A server left over from an earlier run would answer in place of ours: refuse to start.
require_free_port() {
    ! port_is_open "$1" || die "127.0.0.1:$1 is already in use (a server from an earlier run?); stop it or set $2"
}

# MARK: PostgreSQL

# Runs a PostgreSQL program as a user it accepts, inside cluster directory DIR (the caller's
# working directory may not be readable by that user): as_postgres_user DIR COMMAND…
as_postgres_user() {
    local dir="$1"
    shift
    if ((EUID == 0)); then
        (cd "$dir" && runuser -u "$STRAIN_PG_SYSTEM_USER" -- "$@")
    else
        (cd "$dir" && "$@")
    fi
}

start_test_postgres() {
    local port="${STRAIN_TEST_PG_PORT:-15432}"
    start_postgres_cluster strain_pg_dir "$port" STRAIN_TEST_PG_PORT "
# Statistics for diagnosis.
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all"

    "$STRAIN_PG_BIN/psql" --no-psqlrc --quiet --set=ON_ERROR_STOP=1 \
        --host=127.0.0.1 --port="$port" --username=postgres --dbname=postgres \
        --command='CREATE DATABASE strain_test' \
        --command='\connect strain_test' \
        --command='CREATE EXTENSION pg_stat_statements' \
        --command='CREATE EXTENSION hypopg' >/dev/null

    export STRAIN_TEST_PG="host=127.0.0.1 port=$port dbname=strain_test user=postgres"
}

stop_test_postgres() {
    stop_postgres_cluster "$strain_pg_dir"
    strain_pg_dir=""
}

# The cluster behind STRAIN_TEST_PG_RESTARTABLE and STRAIN_TEST_PG_RESTART (see the top).
start_restartable_postgres() {
    local port="${STRAIN_TEST_PG_RESTARTABLE_PORT:-15433}"
    start_postgres_cluster strain_restartable_pg_dir "$port" STRAIN_TEST_PG_RESTARTABLE_PORT "
# Small: it only serves the restart test.
shared_buffers = 16MB"
    export STRAIN_TEST_PG_RESTARTABLE="host=127.0.0.1 port=$port dbname=postgres user=postgres"
    local run_as="" dir="$strain_restartable_pg_dir"
    ((EUID == 0)) && run_as="runuser -u $STRAIN_PG_SYSTEM_USER -- "
    export STRAIN_TEST_PG_RESTART="cd '$dir' && ${run_as}'$STRAIN_PG_BIN/pg_ctl' restart --pgdata='$dir/data' --mode=fast --wait --log='$dir/postgres.log' >/dev/null"
}

stop_restartable_postgres() {
    stop_postgres_cluster "$strain_restartable_pg_dir"
    strain_restartable_pg_dir=""
}

# The bench database's pgbench scale: 100,000 accounts per unit. The bench profiles look up
# random(1, 1000000): keep the two in step.
bench_scale=10

# pgbench's script for DEPTH select-only lookups in one pipeline, each with its own random account.
# Run it with --scale="$bench_scale": pgbench reads the scale from pgbench_branches for its built-in
# scripts only, and a custom script's :scale is 1 otherwise (a tenth of the accounts: far fewer
# cache misses on the server than Strain's twin causes).
#   pgbench_pipeline_script DEPTH >FILE
pgbench_pipeline_script() {
    local depth="$1" i
    for i in $(seq "$depth"); do printf '\\set aid%d random(1, 100000 * :scale)\n' "$i"; done
    printf '\\startpipeline\n'
    for i in $(seq "$depth"); do printf 'SELECT abalance FROM pgbench_accounts WHERE aid = :aid%d;\n' "$i"; done
    printf '\\endpipeline\n'
}

# A cluster for scripts/bench-pg: database strain_bench with pgbench's tables at scale 10
# (1,000,000 accounts), cached in shared_buffers, commits not waiting for the disk: the
# benchmark compares load generators, not storage.
start_bench_postgres() {
    local port="${STRAIN_BENCH_PG_PORT:-15439}"
    # Whatever happens next, the cluster must not outlive this shell.
    trap stop_test_postgres EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    start_postgres_cluster strain_pg_dir "$port" STRAIN_BENCH_PG_PORT "
# Benchmark the clients, not the disk.
shared_buffers = 512MB
synchronous_commit = off"

    "$STRAIN_PG_BIN/psql" --no-psqlrc --quiet --set=ON_ERROR_STOP=1 \
        --host=127.0.0.1 --port="$port" --username=postgres --dbname=postgres \
        --command='CREATE DATABASE strain_bench' >/dev/null
    log "pgbench -i -s $bench_scale ($((bench_scale * 100000)) accounts)"
    "$STRAIN_PG_BIN/pgbench" --initialize --scale="$bench_scale" --quiet \
        --host=127.0.0.1 --port="$port" --username=postgres strain_bench >"$strain_pg_dir/pgbench-init.log" 2>&1 ||
        { cat "$strain_pg_dir/pgbench-init.log" >&2; die "pgbench -i failed"; }

    export STRAIN_BENCH_PG="host=127.0.0.1 port=$port dbname=strain_bench user=postgres"
}

# Creates and starts a fresh cluster on 127.0.0.1:PORT in a new temporary directory, whose path
# goes into the variable DIR_VARIABLE at once (so a cleanup trap finds it even if starting
# fails); EXTRA_CONF lines are appended to its postgresql.conf. PORT_VARIABLE names the setting
# to change when the port is taken.
#   start_postgres_cluster DIR_VARIABLE PORT PORT_VARIABLE EXTRA_CONF
start_postgres_cluster() {
    local dir_variable="$1" port="$2" port_variable="$3" extra_conf="$4"
    [[ -x "$STRAIN_PG_BIN/initdb" ]] || die "no PostgreSQL in $STRAIN_PG_BIN (run scripts/setup, or set STRAIN_PG_BIN)"
    require_free_port "$port" "$port_variable"

    local dir
    dir="$(mktemp -d -t strain-pg.XXXXXX)"
    printf -v "$dir_variable" '%s' "$dir"
    if ((EUID == 0)); then
        id -u "$STRAIN_PG_SYSTEM_USER" >/dev/null 2>&1 ||
            useradd --system --no-create-home --shell /usr/sbin/nologin "$STRAIN_PG_SYSTEM_USER"
        chown "$STRAIN_PG_SYSTEM_USER" "$dir"
    fi

    log "starting PostgreSQL on 127.0.0.1:$port ($dir)"
    as_postgres_user "$dir" "$STRAIN_PG_BIN/initdb" --pgdata="$dir/data" --auth=trust --username=postgres \
        --encoding=UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; die "initdb failed"; }
    cat >>"$dir/data/postgresql.conf" <<CONF

# Strain's throwaway cluster: loopback only, socket in its own directory.
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
$extra_conf
CONF

    as_postgres_user "$dir" "$STRAIN_PG_BIN/pg_ctl" start --pgdata="$dir/data" \
        --log="$dir/postgres.log" --no-wait >/dev/null
    retry_for_10s "$STRAIN_PG_BIN/pg_isready" --quiet --host=127.0.0.1 --port="$port" ||
        { cat "$dir/postgres.log" >&2; die "PostgreSQL did not accept connections on 127.0.0.1:$port"; }
}

# Stops the cluster in DIR (if any) and removes DIR. The server's pid is read from its pid
# file, which stays right after a restart.
stop_postgres_cluster() {
    local dir="$1" pid=""
    [[ -n "$dir" ]] || return 0
    local pid_file="$dir/data/postmaster.pid"
    [[ -f "$pid_file" ]] && pid="$(head -n 1 "$pid_file")"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        log "stopping PostgreSQL (pid $pid)"
        as_postgres_user "$dir" "$STRAIN_PG_BIN/pg_ctl" stop --pgdata="$dir/data" --mode=fast >/dev/null ||
            kill -TERM "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}

# MARK: nginx

# start_test_nginx [WORKERS]: nginx with WORKERS worker processes (default 1).
start_test_nginx() {
    local workers="${1:-1}"
    local http_port="${STRAIN_TEST_HTTP_PORT:-18080}"
    local https_port="${STRAIN_TEST_HTTPS_PORT:-18443}"
    local h2c_port="${STRAIN_TEST_H2C_PORT:-18081}"
    require_free_port "$http_port" STRAIN_TEST_HTTP_PORT
    require_free_port "$https_port" STRAIN_TEST_HTTPS_PORT
    require_free_port "$h2c_port" STRAIN_TEST_H2C_PORT
    local dir
    dir="$(mktemp -d -t strain-nginx.XXXXXX)"
    strain_nginx_dir="$dir"
    # Worker processes run as an unprivileged user when nginx starts as root: let them read.
    chmod 755 "$dir"

    log "starting nginx ($workers worker(s)) on 127.0.0.1:$http_port (HTTP/1.1), :$https_port (TLS, h2), :$h2c_port (h2c) ($dir)"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 7 \
        -subj "/CN=127.0.0.1" -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>"$dir/openssl.log" ||
        { cat "$dir/openssl.log" >&2; die "could not create the test certificate"; }

    mkdir "$dir/docroot"
    printf '<!doctype html>\n<title>Strain test server</title>\n<p>It works.</p>\n' >"$dir/docroot/index.html"
    head -c 1024 /dev/urandom >"$dir/docroot/1k.bin"
    # 18,400 bytes of numbered lines ("line 0001 …"): gzip shrinks them several times over.
    for i in $(seq -w 1 400); do printf 'line %04d of compressible test text..........\n' "$((10#$i))"; done >"$dir/docroot/compressible.txt"
    cat >"$dir/docroot/user.json" <<'JSON'
{
  "id": 42,
  "name": "Ada Lovelace",
  "token": "t-0123456789abcdef",
  "address": { "city": "London", "postcode": "W1" },
  "roles": ["admin", "analyst"],
  "orders": [ { "id": 1001, "total": 19.5 }, { "id": 1002, "total": 5.25 } ]
}
JSON
    chmod -R a+rX "$dir/docroot"

    sed -e "s|@RUN_DIR@|$dir|g" \
        -e "s|@HTTP_PORT@|$http_port|g" -e "s|@HTTPS_PORT@|$https_port|g" -e "s|@H2C_PORT@|$h2c_port|g" \
        -e "s|@WORKERS@|$workers|g" \
        "$STRAIN_ROOT/scripts/nginx/nginx.conf.template" >"$dir/nginx.conf"
    nginx -t -q -c "$dir/nginx.conf" -e "$dir/error.log" ||
        { cat "$dir/error.log" >&2; die "nginx rejected $dir/nginx.conf"; }

    # Not daemonised, so $! is the master process. Benchmarks open many connections: allow
    # as many files as the hard limit does.
    (ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
     exec nginx -c "$dir/nginx.conf" -e "$dir/error.log" -g 'daemon off;' >>"$dir/error.log" 2>&1) &
    strain_nginx_pid=$!
    local port
    for port in "$http_port" "$https_port" "$h2c_port"; do
        retry_for_10s port_is_open "$port" ||
            { cat "$dir/error.log" >&2; die "nginx is not listening on 127.0.0.1:$port"; }
    done

    export STRAIN_TEST_HTTP="http://127.0.0.1:$http_port"
    export STRAIN_TEST_HTTPS="https://127.0.0.1:$https_port"
    export STRAIN_TEST_H2C="http://127.0.0.1:$h2c_port"
    export STRAIN_TEST_CA="$dir/cert.pem"
}

stop_test_nginx() {
    [[ -n "$strain_nginx_dir" ]] || return 0
    if [[ -n "$strain_nginx_pid" ]] && kill -0 "$strain_nginx_pid" 2>/dev/null; then
        log "stopping nginx (pid $strain_nginx_pid)"
        kill -TERM "$strain_nginx_pid" 2>/dev/null || true
        wait "$strain_nginx_pid" 2>/dev/null || true
    fi
    rm -rf "$strain_nginx_dir"
    strain_nginx_dir=""
    strain_nginx_pid=""
}

# MARK: Fixed-delay server

# A known service time, which nginx cannot add: GET $STRAIN_TEST_DELAY/MS answers after MS ms
# (scripts/lib/delay_server.py).
start_delay_server() {
    local port="${STRAIN_TEST_DELAY_PORT:-18082}"
    require_free_port "$port" STRAIN_TEST_DELAY_PORT
    command -v python3 >/dev/null || die "python3 is not installed (scripts/setup installs it)"
    python3 "$STRAIN_ROOT/scripts/lib/delay_server.py" "$port" &
    strain_delay_pid=$!
    retry_for_10s port_is_open "$port" || die "the delay server is not listening on 127.0.0.1:$port"
    log "fixed-delay server on 127.0.0.1:$port (pid $strain_delay_pid)"
    export STRAIN_TEST_DELAY="http://127.0.0.1:$port/delay"
}

stop_delay_server() {
    [[ -n "$strain_delay_pid" ]] || return 0
    kill -TERM "$strain_delay_pid" 2>/dev/null || true
    wait "$strain_delay_pid" 2>/dev/null || true
    strain_delay_pid=""
}

# MARK: Prometheus

# Prometheus with its remote-write receiver and nothing to scrape: `strain run --output
# prometheus=URL` pushes to $STRAIN_TEST_PROMETHEUS/api/v1/write and the test reads the series
# back through $STRAIN_TEST_PROMETHEUS/api/v1/query.
start_prometheus() {
    local port="${STRAIN_TEST_PROMETHEUS_PORT:-19090}"
    require_free_port "$port" STRAIN_TEST_PROMETHEUS_PORT
    command -v prometheus >/dev/null || die "prometheus is not installed (scripts/setup installs it)"
    local dir
    dir="$(mktemp -d -t strain-prometheus.XXXXXX)"
    strain_prometheus_dir="$dir"
    printf 'global:\n  scrape_interval: 1m\nscrape_configs: []\n' >"$dir/prometheus.yml"
    prometheus --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/data" \
        --web.listen-address="127.0.0.1:$port" --web.enable-remote-write-receiver \
        >"$dir/prometheus.log" 2>&1 &
    strain_prometheus_pid=$!
    # Listening comes before its storage is ready, and a push before that is refused (503).
    retry_for_10s http_get_ok "$port" /-/ready ||
        { cat "$dir/prometheus.log" >&2; die "Prometheus is not ready on 127.0.0.1:$port"; }
    log "Prometheus on 127.0.0.1:$port (pid $strain_prometheus_pid, $dir)"
    export STRAIN_TEST_PROMETHEUS="http://127.0.0.1:$port"
}

stop_prometheus() {
    [[ -n "$strain_prometheus_dir" ]] || return 0
    if [[ -n "$strain_prometheus_pid" ]] && kill -0 "$strain_prometheus_pid" 2>/dev/null; then
        log "stopping Prometheus (pid $strain_prometheus_pid)"
        kill -TERM "$strain_prometheus_pid" 2>/dev/null || true
        wait "$strain_prometheus_pid" 2>/dev/null || true
    fi
    rm -rf "$strain_prometheus_dir"
    strain_prometheus_dir=""
    strain_prometheus_pid=""
}
