# Shared set-up steps for setup/start and setup/test (sourced, not run).
# Every step is idempotent: it checks first and only does what is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
STATE="$ROOT/.state"
ODOO_SRC="${ODOO_SRC:-/opt/odoo/18.0}"
ODOO_UPSTREAM="https://github.com/odoo/odoo.git"
SUITE_ADDONS_DIR="$ROOT/addons"
mkdir -p "$STATE"

say() { printf '\033[1m[mfg]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[mfg] error:\033[0m %s\n' "$*" >&2; exit 1; }

# --- Odoo source ------------------------------------------------------------
is_odoo18() { [ -f "$1/odoo/release.py" ] && grep -q "version_info = (18, 0" "$1/odoo/release.py"; }

ensure_odoo_src() {
    if is_odoo18 "$ODOO_SRC"; then return; fi
    local fallback="$STATE/odoo-18.0"
    if is_odoo18 "$fallback"; then ODOO_SRC="$fallback"; return; fi
    say "no Odoo 18.0 tree at $ODOO_SRC; trying to download upstream 18.0"
    if command -v git >/dev/null && timeout 600 git clone --quiet --depth 1 --branch 18.0 \
            "$ODOO_UPSTREAM" "$fallback.tmp" 2>/dev/null; then
        mv "$fallback.tmp" "$fallback"; ODOO_SRC="$fallback"; return
    fi
    rm -rf "$fallback.tmp"
    die "an Odoo 18.0 Community source tree is needed. Put one at /opt/odoo/18.0,
       or set ODOO_SRC=/path/to/odoo-18.0 (a checkout of branch 18.0 of $ODOO_UPSTREAM)."
}

# --- system packages --------------------------------------------------------
APT_UPDATED=0
apt_install() {
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
        die "missing system packages: $*. Install them (Debian/Ubuntu: apt-get install $*) and run again."
    fi
    if [ "$APT_UPDATED" = 0 ]; then
        say "apt-get update"; DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null; APT_UPDATED=1
    fi
    say "installing system packages: $*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_system_packages() {
    local missing=()
    [ -f /usr/include/postgresql/libpq-fe.h ] || missing+=(libpq-dev)
    [ -f /usr/include/ldap.h ] || missing+=(libldap2-dev)
    [ -f /usr/include/sasl/sasl.h ] || missing+=(libsasl2-dev)
    if [ "${1:-}" = browser ] && ! command -v chromium >/dev/null; then missing+=(chromium); fi
    if [ ${#missing[@]} -gt 0 ]; then apt_install "${missing[@]}"; fi
}

# --- Python virtualenv ------------------------------------------------------
find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3.11 python3.12 python3.10 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null && "$candidate" -c \
                'import sys; sys.exit(not ((3, 10) <= sys.version_info[:2] <= (3, 12)))' 2>/dev/null; then
            command -v "$candidate"; return
        fi
    done
    die "Odoo 18.0 needs Python 3.10 to 3.12 (3.11 recommended); set PYTHON=/path/to/python3.11"
}

# pip warns about every missing local index folder of some machines' pip.conf
quiet_pip() { grep -v "^WARNING: Location 'file:" >&2 || true; }

ensure_venv() {
    local stamp="$VENV/.mfg-requirements" wanted
    wanted="$(cat "$ODOO_SRC/requirements.txt" "$ROOT/requirements.txt" | sha256sum | cut -c1-16) $ODOO_SRC"
    if [ -x "$VENV/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$wanted" ]; then return; fi
    if [ ! -x "$VENV/bin/python" ]; then
        say "creating virtualenv $VENV"
        "$(find_python)" -m venv "$VENV"
    fi
    local pip=("$VENV/bin/python" -m pip install --quiet --disable-pip-version-check)
    # setuptools 70-80: new enough for gevent's runtime checks, old enough to
    # still ship pkg_resources for the old sdists that Odoo pins.
    "${pip[@]}" "setuptools>=70,<81" wheel 2>&1 | quiet_pip
    local constraint="$STATE/pip-constraint.txt"
    echo "setuptools<81" > "$constraint"
    say "installing Odoo 18.0 requirements (a few minutes the first time)"
    PIP_CONSTRAINT="$constraint" "${pip[@]}" -r "$ODOO_SRC/requirements.txt" 2>&1 | quiet_pip
    say "installing Odoo from $ODOO_SRC"
    # compat mode puts the tree itself on sys.path, so that addon wheels
    # installed under site-packages/odoo/addons do not shadow `import odoo`.
    PIP_CONSTRAINT="$constraint" "${pip[@]}" --no-deps --use-pep517 -e "$ODOO_SRC" \
        --config-settings editable_mode=compat 2>&1 | quiet_pip
    say "installing the suite's requirements"
    PIP_CONSTRAINT="$constraint" "${pip[@]}" -r "$ROOT/requirements.txt" 2>&1 | quiet_pip
    echo "$wanted" > "$stamp"
}

# --- PostgreSQL -------------------------------------------------------------
# The server named by PG* variables, else 127.0.0.1:5432, else a private
# cluster in .state/pgdata started with the system's PostgreSQL binaries.
PRIVATE_PGDATA="$STATE/pgdata"
PRIVATE_PGPORT=55432

pg_answers() { pg_isready -q -h "$1" -p "$2" -t 3 2>/dev/null; }

pg_bindir() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && echo "$dir"; done | sort -V | tail -1
}

ensure_postgres() {
    command -v pg_isready >/dev/null || apt_install postgresql-client
    if [ -z "${PGHOST:-}" ] && [ -z "${PGPORT:-}" ] && ! pg_answers 127.0.0.1 5432 \
            && [ -d "$PRIVATE_PGDATA" ]; then
        export PGHOST=127.0.0.1 PGPORT=$PRIVATE_PGPORT PGUSER=odoo
    fi
    export PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}"
    if [ -z "${PGUSER:-}" ]; then
        PGUSER="$(id -un)"; [ "$PGUSER" = postgres ] && PGUSER=odoo
        export PGUSER
    fi
    if pg_answers "$PGHOST" "$PGPORT"; then
        if [ "$PGPORT" = "$PRIVATE_PGPORT" ] || psql -d postgres -Atqc "select 1" >/dev/null 2>&1; then
            return
        fi
        die "PostgreSQL at $PGHOST:$PGPORT refuses role '$PGUSER'. Create it (createuser -s $PGUSER)
       or set PGUSER/PGPASSWORD for a role that may create databases."
    fi
    if pg_answers 127.0.0.1 "$PRIVATE_PGPORT" && [ -f "$PRIVATE_PGDATA/PG_VERSION" ]; then
        say "using the private PostgreSQL cluster on port $PRIVATE_PGPORT"
        export PGHOST=127.0.0.1 PGPORT=$PRIVATE_PGPORT PGUSER=odoo
        return
    fi
    start_private_postgres
}

start_private_postgres() {
    local bindir; bindir="$(pg_bindir)"
    if [ -z "$bindir" ]; then
        apt_install postgresql
        bindir="$(pg_bindir)"
    fi
    [ -n "$bindir" ] || die "no PostgreSQL server binaries (initdb, pg_ctl): install PostgreSQL 15 or
       point PGHOST/PGPORT/PGUSER at a running server."
    # PostgreSQL refuses to run as root: run the private cluster as 'postgres'.
    local run=()
    if [ "$(id -u)" = 0 ]; then run=(runuser -u postgres --); fi
    if [ ! -f "$PRIVATE_PGDATA/PG_VERSION" ]; then
        say "creating a private PostgreSQL cluster in $PRIVATE_PGDATA"
        mkdir -p "$PRIVATE_PGDATA"
        [ "$(id -u)" = 0 ] && chown postgres "$PRIVATE_PGDATA" "$STATE"
        "${run[@]}" "$bindir/initdb" -D "$PRIVATE_PGDATA" -U odoo --auth=trust -E UTF8 \
            --locale=C.UTF-8 >/dev/null
    fi
    say "starting the private PostgreSQL cluster on port $PRIVATE_PGPORT"
    "${run[@]}" "$bindir/pg_ctl" -D "$PRIVATE_PGDATA" -l "$PRIVATE_PGDATA/server.log" -w \
        -o "-p $PRIVATE_PGPORT -k /tmp -c listen_addresses=127.0.0.1" start >/dev/null
    export PGHOST=127.0.0.1 PGPORT=$PRIVATE_PGPORT PGUSER=odoo
}

# --- RabbitMQ ---------------------------------------------------------------
# The broker named by MFG_AMQP_URL, else one on 127.0.0.1:5672, else a private
# node in .state/rabbitmq started with Debian's rabbitmq-server.
PRIVATE_RABBIT_DIR="$STATE/rabbitmq"
PRIVATE_RABBIT_PORT=5699
PRIVATE_RABBIT_DIST_PORT=25699
PRIVATE_RABBIT_NODE=mfg@localhost
PRIVATE_AMQP_URL="amqp://guest:guest@127.0.0.1:$PRIVATE_RABBIT_PORT/%2F"
DEFAULT_AMQP_URL="${MFG_AMQP_DEFAULT_URL:-amqp://guest:guest@127.0.0.1:5672/%2F}"

# amqp_error URL: prints why an AMQP connection (handshake and login) to URL
# fails within a few seconds, and fails; prints nothing when it succeeds
amqp_error() {
    "$VENV/bin/python" -c '
import logging, sys
logging.disable(logging.CRITICAL)
try:
    import pika
except ImportError:
    sys.exit("the Python package pika is missing from the virtualenv")
try:
    params = pika.URLParameters(sys.argv[1])
    params.socket_timeout = params.stack_timeout = 3
    params.connection_attempts = 1
    pika.BlockingConnection(params).close()
except Exception as error:
    sys.exit(f"{type(error).__name__}: {error}" if str(error) else repr(error))
' "$1" 2>&1
}

amqp_answers() { amqp_error "$1" >/dev/null; }

# the URL without its password, for messages
url_for_humans() { sed -E 's#(//[^:/@]*:)[^@/]*@#\1***@#' <<< "$1"; }

ensure_rabbitmq() {
    local why
    "$VENV/bin/python" -c "import pika" 2>/dev/null \
        || die "the Python package pika (requirements.txt) is missing from $VENV"
    if [ -n "${MFG_AMQP_URL:-}" ]; then
        why="$(amqp_error "$MFG_AMQP_URL")" || die "cannot connect to the AMQP broker at MFG_AMQP_URL=$(url_for_humans "$MFG_AMQP_URL"):
       $why
       Start that broker or correct MFG_AMQP_URL; unset it to use a broker on
       127.0.0.1:5672 or a private node in .state/rabbitmq."
        export MFG_AMQP_URL
        return
    fi
    if amqp_answers "$DEFAULT_AMQP_URL"; then
        export MFG_AMQP_URL="$DEFAULT_AMQP_URL"
        return
    fi
    if ! amqp_answers "$PRIVATE_AMQP_URL"; then start_private_rabbitmq; fi
    say "using the private RabbitMQ node on port $PRIVATE_RABBIT_PORT"
    export MFG_AMQP_URL="$PRIVATE_AMQP_URL"
}

# the PID of the private node's Erlang VM, if it runs
private_rabbit_pid() {
    local pid
    pid="$(cat "$PRIVATE_RABBIT_DIR/mnesia/$PRIVATE_RABBIT_NODE.pid" 2>/dev/null)" || return 1
    [ -n "$pid" ] && [[ "$(ps -o comm= -p "$pid" 2>/dev/null)" == beam* ]] && echo "$pid"
}

# rabbitmq_script NAME: the path of a RabbitMQ script; on Debian the one that
# the /usr/sbin wrapper runs (the wrapper runs it as 'rabbitmq' with that
# user's home and cookie, and writes the system node's startup log)
rabbitmq_script() {
    if [ -x "/usr/lib/rabbitmq/bin/$1" ]; then echo "/usr/lib/rabbitmq/bin/$1"; else command -v "$1"; fi
}

# as_rabbitmq COMMAND...: as the user 'rabbitmq' when root (the private node
# runs as that user and its files are that user's), else as oneself
as_rabbitmq() {
    if [ "$(id -u)" = 0 ]; then runuser -u rabbitmq -- "$@"; else "$@"; fi
}

start_private_rabbitmq() {
    local dir="$PRIVATE_RABBIT_DIR" log="$PRIVATE_RABBIT_DIR/log/$PRIVATE_RABBIT_NODE.log" server
    server="$(rabbitmq_script rabbitmq-server)" || apt_install rabbitmq-server
    server="$(rabbitmq_script rabbitmq-server)" || die "no rabbitmq-server after installing it"
    if [ "$(id -u)" = 0 ] && ! id rabbitmq >/dev/null 2>&1; then
        die "no 'rabbitmq' user to run a private RabbitMQ node: install Debian's
       rabbitmq-server, or point MFG_AMQP_URL at a running broker."
    fi
    local from=1  # the log's first line of this start
    if ! private_rabbit_pid >/dev/null; then
        mkdir -p "$dir"
        [ -f "$log" ] && from=$(($(wc -l < "$log") + 1))
        # its own configuration: the system's may name listeners (5672) or
        # plugins (management on 15672) that a second node cannot open
        echo "# private node of the suite: listeners come from RABBITMQ_NODE_PORT" \
            > "$dir/rabbitmq.conf"
        echo "[]." > "$dir/enabled_plugins"
        [ "$(id -u)" = 0 ] && chown -R rabbitmq "$dir"
        as_rabbitmq test -w "$dir" || die "the user rabbitmq cannot write to $dir:
       every folder above it must be searchable (chmod o+x), or set MFG_AMQP_URL."
        say "starting a private RabbitMQ node on port $PRIVATE_RABBIT_PORT ($dir)"
        as_rabbitmq env HOME="$dir" RABBITMQ_NODENAME="$PRIVATE_RABBIT_NODE" \
            RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$PRIVATE_RABBIT_PORT" \
            RABBITMQ_DIST_PORT="$PRIVATE_RABBIT_DIST_PORT" \
            RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" \
            RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" \
            RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
            RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" ERL_EPMD_ADDRESS=127.0.0.1 \
            RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
            "$server" -detached
    fi
    # ready when it answers; dead when its VM is gone (the PID file appears a
    # moment after the start, and stays when the VM dies)
    local started=$SECONDS seen=0
    while [ $((SECONDS - started)) -lt 60 ]; do
        sleep 1
        if private_rabbit_pid >/dev/null; then
            seen=1
        elif [ "$seen" = 1 ] || [ $((SECONDS - started)) -ge 15 ]; then
            break
        fi
        amqp_answers "$PRIVATE_AMQP_URL" && return
    done
    local errors
    errors="$(tail -n "+$from" "$log" 2>/dev/null | grep -m 6 -E '\[(error|critical)\]' | cut -c1-300)"
    die "the private RabbitMQ node did not answer on port $PRIVATE_RABBIT_PORT within $((SECONDS - started)) s; from $log:
${errors:-$(tail -n 10 "$log" 2>/dev/null)}"
}

# rabbitmqctl_cmd ARGS...: rabbitmqctl for the broker in use (after
# ensure_rabbitmq): the private node by its name and cookie, else the
# system's default node, e.g. rabbitmqctl_cmd list_queues name messages
rabbitmqctl_cmd() {
    if [ "${MFG_AMQP_URL:-}" = "$PRIVATE_AMQP_URL" ]; then
        local ctl; ctl="$(rabbitmq_script rabbitmqctl)" || die "rabbitmqctl is not installed"
        # HOME: the CLI's Erlang VM makes a cookie file in HOME when there is none
        as_rabbitmq env HOME="$PRIVATE_RABBIT_DIR" "$ctl" -n "$PRIVATE_RABBIT_NODE" \
            --erlang-cookie "$(cat "$PRIVATE_RABBIT_DIR/.erlang.cookie")" "$@"
    else
        command -v rabbitmqctl >/dev/null || die "rabbitmqctl is not installed (Debian: rabbitmq-server)"
        rabbitmqctl "$@"
    fi
}

# --- Prometheus ---------------------------------------------------------------
# Debian's prometheus package (the server and promtool): the tests check the
# shipped rules with promtool and scrape a test server; setup/start --observe
# runs one beside the demo
ensure_prometheus() {
    if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
        apt_install prometheus
    fi
    command -v prometheus >/dev/null || die "no prometheus after installing Debian's package"
}

db_exists() { [ "$(psql -d postgres -Atqc "select 1 from pg_database where datname='$1'")" = 1 ]; }

drop_db() {
    psql -d postgres -qc "select pg_terminate_backend(pid) from pg_stat_activity where datname='$1'" \
        >/dev/null
    PGOPTIONS="-c client_min_messages=warning" dropdb --if-exists "$1"
    rm -rf "$STATE/data/filestore/$1"
}

# copy_db SOURCE TARGET: a fresh copy of a database and its filestore
copy_db() {
    drop_db "$2"
    createdb -T "$1" "$2"
    if [ -d "$STATE/data/filestore/$1" ]; then
        mkdir -p "$STATE/data/filestore"
        cp -a "$STATE/data/filestore/$1" "$STATE/data/filestore/$2"
    fi
}

# --- Odoo configuration and databases ---------------------------------------
# the product's addons; the demo plant is installed by setup/start and the
# end-to-end tests only
DEMO_ADDON=mfg_integration_demo
# loaded before any database: queue_job's runner, the API's answer when the database is down,
# and the metrics directory that every worker writes to, prepared before they fork
SERVER_WIDE_MODULES="base,web,queue_job,mfg_integration_api,mfg_integration_observability"
# suite_addons [--product]: every addon but the demo plant; with --product, also
# without the test-only addons (test_*), which only the test database gets
suite_addons() {
    local dir name names=()
    for dir in "$SUITE_ADDONS_DIR"/*/; do
        name="$(basename "$dir")"
        [ -f "$dir/__manifest__.py" ] && [ "$name" != "$DEMO_ADDON" ] || continue
        [ "${1:-}" = --product ] && [[ "$name" == test_* ]] && continue
        names+=("$name")
    done
    (IFS=,; echo "${names[*]}")
}

# installed_addons DB A,B,C: those of A,B,C installed in DB, comma-separated
installed_addons() {
    local names="'${2//,/\',\'}'"
    psql -d "$1" -Atqc "select name from ir_module_module where state = 'installed' and name in ($names) order by name" | paste -sd,
}

# write_config FILE HTTP_PORT SERVER_WIDE_MODULES [extra option lines...]
write_config() {
    local file="$1" port="$2" wide="$3"; shift 3
    local site; site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    {
        echo "[options]"
        echo "addons_path = ${EXTRA_ADDONS_PATH:+$EXTRA_ADDONS_PATH,}$SUITE_ADDONS_DIR,$ODOO_SRC/addons,$site/odoo/addons"
        echo "db_host = $PGHOST"
        echo "db_port = $PGPORT"
        echo "db_user = $PGUSER"
        echo "db_password = ${PGPASSWORD:-False}"
        echo "http_port = $port"
        echo "server_wide_modules = $wide"
        echo "list_db = False"
        echo "data_dir = $STATE/data"
        echo "mfg_integration_secret_key = $(secret_key)"
        local line; for line in "$@"; do echo "$line"; done
        if [ -f "$ROOT/odoo.conf.local" ]; then cat "$ROOT/odoo.conf.local"; fi
    } > "$file"
}

# Fernet key that encrypts webhook signing secrets at rest; made once, kept in .state
secret_key() {
    local file="$STATE/secret.key"
    if [ ! -s "$file" ]; then
        (umask 077; "$VENV/bin/python" -c \
            'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' > "$file")
    fi
    cat "$file"
}

odoo_bin() { "$VENV/bin/python" "$ODOO_SRC/odoo-bin" "$@"; }

# Fingerprint of the suite's addons: a database built from other code is rebuilt.
addons_fingerprint() {
    (cd "$SUITE_ADDONS_DIR" && find . -type f \( -name '*.py' -o -name '*.xml' -o -name '*.csv' \
        -o -name '*.js' -o -name '*.json' -o -name '*.scss' \) -print0 | sort -z \
        | xargs -0 sha256sum) | sha256sum | cut -c1-16
}

# the exception app and the broker with no business addon and no REST transport:
# each installs and works without them
MINIMAL_ADDONS=mfg_integration_core,mfg_integration_governance,mfg_integration_command,mfg_integration_exception,mfg_integration_broker

# ensure_test_db DB CONF FRESH [ADDONS]: ADDONS (default: every addon of the
# suite) installed, no demo data; rebuilt when the addons changed (or FRESH=1)
ensure_test_db() {
    local db="$1" conf="$2" fresh="${3:-0}" addons="${4:-$(suite_addons)}" stamp="$STATE/$1.fingerprint"
    if [ "$fresh" = 1 ] || ! db_exists "$db" || [ "$(cat "$stamp" 2>/dev/null)" != "$(addons_fingerprint)" ]; then
        drop_db "$db"
        say "creating test database $db with $addons"
        odoo_bin -c "$conf" -d "$db" -i "$addons" --without-demo=all --stop-after-init --log-level=warn
        addons_fingerprint > "$stamp"
    fi
}
