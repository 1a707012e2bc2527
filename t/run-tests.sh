#!/bin/sh
# Run every test: the cmocka unit tests (t/unit/test-*), then the shell
# tests (t/t*.sh, two at a time), and print one summary line:
# "N passed, M failed, K skipped".  Exits non-zero if anything failed.
cd "$(dirname "$0")/.." || exit 2
root=$(pwd)
rm -rf t/tmp
mkdir -p t/tmp/data
export BUP_TEST_DATA=$root/t/tmp/data
export BUP_TEST_RESULTS=$root/t/tmp/results
: >"$BUP_TEST_RESULTS"
start=$(date +%s)

for u in t/unit/test-*; do
	case $u in *.c) continue ;; esac
	[ -x "$u" ] || continue
	out=$("$u" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -E '^\[  (PASSED|FAILED|  OK  |  SKIPPED )' | sed "s|^|$(basename "$u"): |"
	pass=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	fail=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
	skip=$(printf '%s\n' "$out" | grep -c '^\[  SKIPPED \]')
	pass=${pass:-0}; fail=${fail:-0}
	if [ $rc != 0 ] && [ "$fail" = 0 ]; then
		printf '%s\n' "$out" | tail -20
		fail=1
	fi
	[ "$fail" != 0 ] && printf '%s\n' "$out" | grep -B2 -A8 'FAILED\|ERROR\|Failure' | head -60
	echo "$(basename "$u") $pass $fail $skip" >>"$BUP_TEST_RESULTS"
done

ls t/t[0-9]*.sh | xargs -P "${BUP_TEST_JOBS:-2}" -I{} sh -c \
	'out=$(bash {} 2>&1); rc=$?; printf "%s\n" "$out"; exit 0'

passed=0; failed=0; skipped=0; scripts=0
while read -r name p f s; do
	passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
	scripts=$((scripts + 1))
done <"$BUP_TEST_RESULTS"
# A script that died before test_done reported nothing: count it failed.
for t in t/t[0-9]*.sh; do
	grep -q "^$(basename "$t" .sh) " "$BUP_TEST_RESULTS" || {
		echo "error: $t did not finish" >&2
		failed=$((failed + 1))
	}
done
echo "# $(($(date +%s) - start)) seconds"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
