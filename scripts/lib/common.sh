# Shared helpers for Strain's scripts. Source it; it defines functions and STRAIN_ROOT only.

# The repository root, whatever the caller's working directory.
STRAIN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Debian packages the build, the tests and the benchmarks need.
# postgresql-15 already contains the contrib modules (pg_stat_statements).
STRAIN_PACKAGES=(
    ca-certificates pkg-config openssl
    libcurl4-openssl-dev libpq-dev
    postgresql-15 postgresql-15-hypopg
    nginx wrk
    time  # GNU time: the benchmarks' peak RSS, from the kernel's own count
    linux-perf  # perf, for the diagnoser's profiler (strain diagnose --pid)
    chromium  # headless, for the HTML report test
    python3 python3-psycopg2  # pyshop (scripts/fixtures/pyshop.py) and the fixed-delay test server
    prometheus  # its remote-write receiver, for the `--output prometheus=URL` test
    python3-venv  # for the PyPI tools below
)

# PyPI tools the tests need, in a virtual environment under the build folder (nothing system-wide):
# kubernetes-validate checks the `strain k8s` manifests offline against the Kubernetes schema.
STRAIN_PYTHON_TOOLS=(kubernetes-validate==1.37.0)
STRAIN_TOOLS_VENV="$STRAIN_ROOT/.build/tools/venv"

# Prints the packages from STRAIN_PACKAGES that are not installed, one per line.
missing_packages() {
    local package
    for package in "${STRAIN_PACKAGES[@]}"; do
        if [[ "$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null)" != installed ]]; then
            printf '%s\n' "$package"
        fi
    done
}

# The Swift toolchain is usually unpacked in /opt/swift, which is not always on PATH.
ensure_swift_on_path() {
    if ! command -v swift >/dev/null && [[ -x /opt/swift/usr/bin/swift ]]; then
        export PATH="/opt/swift/usr/bin:$PATH"
    fi
    command -v swift >/dev/null ||
        die "swift not found: install a Swift 6 toolchain (https://www.swift.org/install/linux/) into /opt/swift or put it on PATH"
}
