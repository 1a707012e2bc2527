#!/bin/bash
test_description='bup save of files that change while it reads them: no error, a valid repository, and the next index and save take the final contents'
. "$(dirname "$0")/lib.sh"

SRC=$TRASH/src
ours_git() { git --git-dir="$BUP_DIR" "$@"; }

test_expect_success 'setup: files to flip between sizes and to grow' '
	bup init >/dev/null 2>&1 &&
	mkdir "$SRC" &&
	bup random -S 3 30M >"$SRC/flip" &&
	bup random -S 4 1M >"$SRC/grow" &&
	echo steady >"$SRC/steady" &&
	bup index "$SRC" >/dev/null
'

test_expect_success 'save while one file shrinks and grows and another is appended to' '
	{
		for i in $(seq 1 300); do
			truncate -s 1M "$SRC/flip" &&
			truncate -s 30M "$SRC/flip" &&
			head -c 50000 /dev/urandom >>"$SRC/grow" || break
		done
	} &
	mutator=$! &&
	bup save -n s "$SRC" 2>err &&
	wait $mutator &&
	test ! -s err &&
	ours_git rev-parse --verify s &&
	test "$(ours_git show "s:${SRC#/}/steady")" = steady &&
	test_packs_complete --no-tmp &&
	test_fsck
'

test_expect_success 'the next index and save take the final contents' '
	bup index "$SRC" &&
	bup save -n s "$SRC" &&
	test "$(ours_git rev-list s | wc -l)" = 2 &&
	bup restore -C out "s/latest$SRC/" >/dev/null &&
	cmp out/flip "$SRC/flip" && cmp out/grow "$SRC/grow" &&
	cmp out/steady "$SRC/steady" &&
	bup random -S 3 30M >orig && ! cmp -s orig out/flip &&
	test "$(wc -c <out/grow)" -gt 1048576 &&
	test_fsck
'

test_done
