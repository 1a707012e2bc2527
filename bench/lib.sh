# bench/lib.sh -- shared helpers for the bench/* scripts.  Source it:
#
#   here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
#   . "$here/lib.sh"
#
# Requires bash >= 5 (uses $EPOCHREALTIME) and GNU /usr/bin/time.
#
# Units: MB/s uses MB = 10^6 bytes; peak RSS "MB" is MiB (kB / 1024), which
# is what /usr/bin/time's %M (KiB) converts to most naturally.
#
# Main pieces:
#   bench_log MSG...            progress line on stderr
#   bench_die MSG...            error on stderr, exit 1
#   bench_root                  project root (parent of bench/)
#   bench_ensure_time           make sure GNU /usr/bin/time exists (apt-get)
#   bench_build                 run `make` in the root if ./bup is missing
#   bench_file_size FILE        size in bytes
#   bench_warm FILE             read FILE once so it sits in the page cache
#   bench_run_timed LOG CMD...  run CMD once (stdout+stderr -> LOG), sets
#                               BT_WALL (bash clock, s) BT_TIME_WALL (time's
#                               %e) BT_USER BT_SYS BT_CPU (user+sys) BT_RSS_KB;
#                               returns CMD's exit status
#   bench_sample_add KEY VAL    remember one sample under KEY
#   bench_sample_median KEY     median of KEY's samples (empty if none)
#   bench_sample_count KEY      number of samples under KEY
#   bench_record PREFIX         add current BT_* values under PREFIX.wall,
#                               PREFIX.cpu, PREFIX.rss (kB)
#   bench_measure PREFIX N SETUP TEARDOWN LOG -- CMD...
#                               N timed runs of CMD, SETUP/TEARDOWN (function
#                               names or ":") run around each run untimed
#   bench_median V...           median of the given numbers
#   bench_mbps BYTES SECS       throughput, MB/s, 1 decimal
#   bench_ratio NUM DEN         NUM/DEN as "1.23x" ("-" if unavailable)
#   bench_kb_to_mb KB           kB -> MiB, 1 decimal
#   bench_fmt FMT VAL           printf FMT VAL, or "-" if VAL is empty
#   bench_align NTEXT           align tab-separated rows from stdin: first
#                               NTEXT columns left-aligned, the rest right
#   bench_check LABEL OK DETAIL print a PASS/FAIL/n-a target line

# shellcheck shell=bash

BENCH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
declare -gA BENCH_SAMPLES=()

bench_log() {
    printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2
}

bench_warn() {
    printf '[bench %(%H:%M:%S)T] WARNING: %s\n' -1 "$*" >&2
}

bench_die() {
    printf '[bench] ERROR: %s\n' "$*" >&2
    exit 1
}

bench_root() {
    dirname "$BENCH_LIB_DIR"
}

bench_ensure_time() {
    if [ -x /usr/bin/time ] && /usr/bin/time -f '%e' true >/dev/null 2>&1; then
        return 0
    fi
    bench_log "/usr/bin/time missing; installing package 'time' via apt-get"
    local sudo=
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get install -y time >/dev/null 2>&1 || {
        $sudo apt-get update >/dev/null 2>&1 || true
        $sudo apt-get install -y time >/dev/null 2>&1
    } || bench_die "could not install GNU time (apt-get install time)"
    [ -x /usr/bin/time ] || bench_die "/usr/bin/time still missing"
}

# bench_build: build ./bup once if it is missing.  Returns non-zero (without
# exiting) if the build fails or produces no ./bup.  Build log in $1 if given.
bench_build() {
    local log=${1:-/dev/null} root
    root=$(bench_root)
    [ -x "$root/bup" ] && return 0
    if [ ! -f "$root/Makefile" ] && [ ! -f "$root/makefile" ] && [ ! -f "$root/GNUmakefile" ]; then
        bench_warn "no ./bup and no Makefile in $root; cannot build"
        return 1
    fi
    bench_log "./bup missing; running make in $root (log: $log)"
    if ! (cd "$root" && make) >"$log" 2>&1; then
        bench_warn "make failed; last lines of $log:"
        tail -n 15 "$log" >&2 || true
        return 1
    fi
    [ -x "$root/bup" ] || { bench_warn "make succeeded but ./bup was not produced"; return 1; }
}

bench_file_size() {
    stat -c %s -- "$1"
}

bench_warm() {
    cat -- "$1" >/dev/null
}

# bench_run_timed LOG CMD [ARGS...]
# stdin is inherited, so `bench_run_timed log git hash-object --stdin <file`
# works.  CMD must be an executable (not a shell function); use `env VAR=x`
# or `bash -c` for anything fancier.
bench_run_timed() {
    local log=$1; shift
    local tf rc=0 t0 t1 line
    tf=$(mktemp "${TMPDIR:-/tmp}/bench-time.XXXXXX")
    t0=$EPOCHREALTIME
    /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >"$log" 2>&1 || rc=$?
    t1=$EPOCHREALTIME
    # on failure GNU time prepends "Command exited with non-zero status N"
    line=$(tail -n 1 "$tf")
    rm -f "$tf"
    local e u s m
    read -r e u s m <<<"$line"
    BT_WALL=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
    # shellcheck disable=SC2034  # BT_* are results for the caller
    BT_TIME_WALL=$e BT_USER=$u BT_SYS=$s
    BT_CPU=$(awk -v a="$u" -v b="$s" 'BEGIN { printf "%.2f", a + b }')
    BT_RSS_KB=$m
    return "$rc"
}

bench_sample_add() {
    local key=$1 val=$2
    BENCH_SAMPLES[$key]="${BENCH_SAMPLES[$key]:-} $val"
}

bench_sample_count() {
    local v=${BENCH_SAMPLES[$1]:-}
    # shellcheck disable=SC2086
    set -- $v
    echo $#
}

bench_median() {
    [ $# -gt 0 ] || return 0
    printf '%s\n' "$@" | sort -g | awk '
        { v[NR] = $1 }
        END {
            if (NR % 2) m = v[(NR + 1) / 2]
            else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.6g\n", m
        }'
}

bench_sample_median() {
    local v=${BENCH_SAMPLES[$1]:-}
    # shellcheck disable=SC2086
    bench_median $v
}

bench_record() {
    local p=$1
    bench_sample_add "$p.wall" "$BT_WALL"
    bench_sample_add "$p.cpu" "$BT_CPU"
    bench_sample_add "$p.rss" "$BT_RSS_KB"
}

# bench_measure PREFIX N SETUP TEARDOWN LOG -- CMD...
# Returns non-zero (after running TEARDOWN) on the first failing run.
bench_measure() {
    local prefix=$1 n=$2 setup=$3 teardown=$4 log=$5 i
    shift 5
    [ "${1:-}" = "--" ] && shift
    for ((i = 1; i <= n; i++)); do
        "$setup"
        if ! bench_run_timed "$log" "$@"; then
            "$teardown"
            return 1
        fi
        "$teardown"
        bench_record "$prefix"
    done
}

bench_mbps() {
    awk -v b="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f\n", b / s / 1e6; else print "-" }'
}

bench_ratio() {
    if [ -z "${1:-}" ] || [ -z "${2:-}" ]; then
        echo "-"
        return
    fi
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx\n", a / b; else print "-" }'
}

bench_kb_to_mb() {
    [ -n "${1:-}" ] || { echo "-"; return; }
    awk -v k="$1" 'BEGIN { printf "%.1f\n", k / 1024 }'
}

bench_fmt() {
    if [ -z "${2:-}" ] || [ "$2" = "-" ]; then
        echo "-"
    else
        # shellcheck disable=SC2059
        printf "$1\n" "$2"
    fi
}

bench_align() {
    local ntext=${1:-1}
    awk -F'\t' -v nt="$ntext" '
        { for (i = 1; i <= NF; i++) { c[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) }
          nf[NR] = NF }
        END {
            for (r = 1; r <= NR; r++) {
                line = ""
                for (i = 1; i <= nf[r]; i++) {
                    sep = (i > 1) ? "  " : ""
                    if (i <= nt) f = sprintf("%-" w[i] "s", c[r, i])
                    else f = sprintf("%" w[i] "s", c[r, i])
                    line = line sep f
                }
                sub(/ +$/, "", line)
                print line
            }
        }'
}

# bench_check LABEL OK DETAIL ; OK is 1 (pass), 0 (fail) or "" (not measured)
bench_check() {
    local label=$1 ok=$2 detail=$3 verdict
    case $ok in
        1) verdict=PASS ;;
        0) verdict=FAIL ;;
        *) verdict=n/a ;;
    esac
    printf '  %-5s %s: %s\n' "$verdict" "$label" "$detail"
}
