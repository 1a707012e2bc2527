# t/lib.sh: the shell test library.  A test script sets test_description,
# sources this file, runs test_expect_success blocks and ends with
# test_done.  Each script runs in its own directory t/tmp/<script>.XXXXXX
# (kept when something fails), with BUP_DIR=$TRASH/bup not yet created.
#
#   test_expect_success 'title' 'commands chained with &&'
#   test_expect_success PREREQ 'title' '...'   (skipped, with the reason,
#                                              when PREREQ is missing)
#   test_must_fail CMD...     CMD exits non-zero, but not by a signal
#   test_expect_code N CMD... CMD exits with N
#   test_cmp EXPECTED ACTUAL  files are equal (diff shown if not)
#   test_fsck [REPO]          git fsck --strict is clean
#   test_packs_complete [--no-tmp] [REPO]   no half-written pack (with
#                             --no-tmp, no temporary file or directory)
#   test_data NAME            path of a shared input made once per run
#   bup ...                   our binary;  oracle_bup ... Debian's bup

set -u
TEST_ROOT=$(cd "$(dirname "$0")/.." && pwd)
TEST_NAME=$(basename "$0" .sh)
BUP_EXE=$TEST_ROOT/bup
ORACLE_BUP=/usr/bin/bup
export LC_ALL=C TZ=UTC
export GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t \
	GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t
unset BUP_DEBUG BUP_FORCE_TTY BUP_TTY_WIDTH 2>/dev/null || true
mkdir -p "$TEST_ROOT/t/tmp"
TRASH=$(mktemp -d "$TEST_ROOT/t/tmp/$TEST_NAME.XXXXXX")
export BUP_DIR=$TRASH/bup
export HOME=$TRASH/home
mkdir -p "$HOME"
# Shared inputs live here for the whole run (t/run-tests.sh sets it).
: "${BUP_TEST_DATA:=$TEST_ROOT/t/tmp/data}"
export BUP_TEST_DATA
mkdir -p "$BUP_TEST_DATA"
cd "$TRASH" || exit 1

test_count=0
test_passed=0
test_failed=0
test_skipped=0

say() { printf '%s\n' "$*"; }

bup() { "$BUP_EXE" "$@"; }
oracle_bup() { "$ORACLE_BUP" "$@"; }

test_have_prereq() {
	for p in $(echo "$1" | tr , ' '); do
		case $p in
		ORACLE) [ -x "$ORACLE_BUP" ] || { skip_reason="Debian's bup is not installed at $ORACLE_BUP"; return 1; } ;;
		ROOT) [ "$(id -u)" = 0 ] || { skip_reason="needs root"; return 1; } ;;
		NOT_ROOT) [ "$(id -u)" != 0 ] || { skip_reason="root ignores file permissions"; return 1; } ;;
		UNPRIV) [ "$(id -u)" != 0 ] || { command -v setpriv >/dev/null &&
			id nobody >/dev/null 2>&1 && setpriv --reuid=nobody --regid=nogroup --clear-groups \
				test -x "$BUP_EXE" -a -r "$BUP_EXE"; } ||
			{ skip_reason="root ignores file permissions and cannot run as nobody"; return 1; } ;;
		TMPFS) { [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=1m none "$TRASH/.probe" 2>/dev/null; } ||
			{ mkdir -p "$TRASH/.probe"; [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=1m none "$TRASH/.probe" 2>/dev/null; } ||
			{ skip_reason="cannot mount a tmpfs here"; return 1; }
			umount "$TRASH/.probe"; rmdir "$TRASH/.probe" ;;
		*) skip_reason="unknown prerequisite $p"; return 1 ;;
		esac
	done
	return 0
}

test_expect_success() {
	local prereq=""
	if [ $# = 3 ]; then prereq=$1; shift; fi
	test_count=$((test_count + 1))
	if [ -n "$prereq" ] && ! test_have_prereq "$prereq"; then
		test_skipped=$((test_skipped + 1))
		say "ok $test_count # skip $1 ($skip_reason)"
		return 0
	fi
	if (cd "$TRASH" && eval "$2") >"$TRASH/.out" 2>&1; then
		test_passed=$((test_passed + 1))
		say "ok $test_count - $1"
	else
		test_failed=$((test_failed + 1))
		say "not ok $test_count - $1"
		sed 's/^/#   /' "$TRASH/.out" | tail -40
		say "#   commands:"
		printf '%s\n' "$2" | sed 's/^/#   /'
	fi
}

# as_unpriv CMD...: run CMD where file permissions apply: as is when we
# are not root, else as nobody (prerequisite UNPRIV).  Whatever CMD must
# write has to be made writable for nobody by the test.
as_unpriv() {
	if [ "$(id -u)" != 0 ]; then
		"$@"
		return
	fi
	chmod go+x "$TRASH"
	setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$HOME" "$@"
}

test_skip() {
	test_count=$((test_count + 1))
	test_skipped=$((test_skipped + 1))
	say "ok $test_count # skip $1 ($2)"
}

test_must_fail() {
	"$@"
	local rc=$?
	if [ $rc = 0 ]; then
		echo "test_must_fail: command succeeded: $*" >&2
		return 1
	elif [ $rc -gt 128 ] && [ $rc -le 192 ]; then
		echo "test_must_fail: command died by signal $((rc - 128)): $*" >&2
		return 1
	fi
	return 0
}

test_expect_code() {
	local want=$1
	shift
	"$@"
	local rc=$?
	if [ $rc != "$want" ]; then
		echo "test_expect_code: wanted exit $want, got $rc: $*" >&2
		return 1
	fi
	return 0
}

test_cmp() {
	diff -u "$1" "$2" >&2
}

# git fsck --strict on a repository, failing on any complaint but dangling
# objects (bup's split -t leaves unreferenced trees by design).
test_fsck() {
	git --git-dir="${1:-$BUP_DIR}" fsck --strict --no-dangling >"$TRASH/.fsck" 2>&1 || {
		cat "$TRASH/.fsck" >&2
		return 1
	}
	if grep -v '^notice:' "$TRASH/.fsck" | grep -q .; then
		cat "$TRASH/.fsck" >&2
		return 1
	fi
	return 0
}

# Every .pack in objects/pack has its .idx and the reverse, and nothing
# else is there but midx and bloom files.  With --no-tmp, no
# objects/pack-tmp-* directory (an unfinished pack) is left either.
test_packs_complete() {
	local no_tmp= dir f
	if [ "${1:-}" = --no-tmp ]; then no_tmp=1; shift; fi
	dir=${1:-$BUP_DIR}/objects/pack
	for f in "$dir"/*; do
		case $f in
		"$dir/*") ;;
		*.pack) test -f "${f%.pack}.idx" || { echo "no idx for $f" >&2; return 1; } ;;
		*.idx) test -f "${f%.idx}.pack" || { echo "no pack for $f" >&2; return 1; } ;;
		*.midx|*.bloom) ;;
		*.midx.tmp-*|*.bloom.tmp-*)
			# a midx/bloom being written, or left by a killed run
			# (the next maintenance removes it); never under its name
			[ -z "$no_tmp" ] || { echo "temporary file left behind: $f" >&2; return 1; } ;;
		*) echo "stray file $f" >&2; return 1 ;;
		esac
	done
	if [ -n "$no_tmp" ] && ls -d "${1:-$BUP_DIR}"/objects/pack-tmp-* 2>/dev/null; then
		echo "temporary pack directory left behind" >&2
		return 1
	fi
	return 0
}

# Shared inputs, made once per run under $BUP_TEST_DATA (with a lock, so
# parallel scripts wait for each other).  Prints the path.
test_data() {
	local name=$1 path=$BUP_TEST_DATA/$1
	(
		flock 9
		if [ ! -f "$path" ]; then
			case $name in
			empty.bin) : >"$path.tmp" ;;
			one.bin) printf a >"$path.tmp" ;;
			zero100k.bin) head -c 102400 /dev/zero >"$path.tmp" ;;
			rand100000.bin) "$BUP_EXE" random -S 3 100000 >"$path.tmp" ;;
			seq200k.txt) seq 1 200000 >"$path.tmp" ;;
			rand5m.bin) "$BUP_EXE" random -S 1 5M >"$path.tmp" ;;
			zero20m.bin) head -c 20971520 /dev/zero >"$path.tmp" ;;
			rand200m.bin) "$BUP_EXE" random -S 2 200M >"$path.tmp" ;;
			rand300m.bin) "$BUP_EXE" random -S 7 300M >"$path.tmp" ;;
			yesdi100k.bin) yes di | head -c 100000 >"$path.tmp" ;;
			readbound.bin) { head -c 4506 "$(test_data rand100000.bin)"; yes di | head -c 20000000; } >"$path.tmp" ;;
			*) echo "test_data: unknown input $name" >&2; exit 1 ;;
			esac
			mv "$path.tmp" "$path"
		fi
	) 9>"$BUP_TEST_DATA/.lock-$name" || return 1
	printf '%s\n' "$path"
}

test_done() {
	say "# $TEST_NAME: $test_passed passed, $test_failed failed, $test_skipped skipped"
	if [ -n "${BUP_TEST_RESULTS:-}" ]; then
		echo "$TEST_NAME $test_passed $test_failed $test_skipped" >>"$BUP_TEST_RESULTS"
	fi
	if [ "$test_failed" = 0 ]; then
		cd "$TEST_ROOT" && rm -rf "$TRASH"
		exit 0
	fi
	say "# kept $TRASH"
	exit 1
}
