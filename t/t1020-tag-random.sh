#!/bin/bash
test_description='bup tag and bup random, against Debian bup'
. "$(dirname "$0")/lib.sh"

test_expect_success 'setup: a repository with two split commits' '
	bup init 2>/dev/null &&
	printf one | bup split -q -n one -d 1700000000 &&
	printf two | bup split -q -n two -d 1700000100
'

test_expect_success 'tag creates refs/tags/NAME at the commit' '
	bup tag v1 one &&
	test "$(git --git-dir="$BUP_DIR" rev-parse refs/tags/v1)" = \
	     "$(git --git-dir="$BUP_DIR" rev-parse refs/heads/one)"
'

test_expect_success 'tag without arguments lists the tags, sorted' '
	bup tag a-first two &&
	bup tag >out &&
	printf "a-first\nv1\n" >expect &&
	test_cmp expect out
'

test_expect_success 'an existing tag is kept unless -f' '
	test_expect_code 1 bup tag v1 two 2>err &&
	grep "tag .v1. already exists" err &&
	test "$(git --git-dir="$BUP_DIR" rev-parse refs/tags/v1)" = \
	     "$(git --git-dir="$BUP_DIR" rev-parse one)" &&
	bup tag -f v1 two &&
	test "$(git --git-dir="$BUP_DIR" rev-parse refs/tags/v1)" = \
	     "$(git --git-dir="$BUP_DIR" rev-parse two)"
'

test_expect_success 'tag of a commit that does not exist exits 2' '
	test_expect_code 2 bup tag nope 0123456789012345678901234567890123456789 2>err &&
	grep "not found" err &&
	test_must_fail git --git-dir="$BUP_DIR" rev-parse -q --verify refs/tags/nope
'

test_expect_success 'tag names starting with a dot and empty names are refused' '
	test_expect_code 97 bup tag .hidden one 2>err &&
	grep "not a valid tag name" err &&
	test "$(grep -c "^error:" err)" = 1 &&
	test_expect_code 97 bup tag "" one 2>err &&
	grep "must not be empty" err
'

test_expect_success 'tag -d deletes; a missing tag is an error unless -f' '
	bup tag -d a-first &&
	test_must_fail git --git-dir="$BUP_DIR" rev-parse -q --verify refs/tags/a-first &&
	test_expect_code 1 bup tag -d a-first 2>err &&
	grep "doesn.t exist" err &&
	bup tag -f -d a-first
'

test_expect_success ORACLE 'Debian bup lists our tags the same way' '
	bup tag >ours &&
	oracle_bup tag >theirs &&
	test_cmp theirs ours
'

test_expect_success ORACLE 'random gives the same bytes as Debian bup for a seed' '
	for args in "-S 1 5000" "-S 2 1k" "-S 77 1234567" "0" "-S 0 4096" "100"; do
		bup random $args >ours &&
		oracle_bup random $args >theirs &&
		cmp ours theirs || return 1
	done
'

test_expect_success 'random refuses to write to a terminal without -f' '
	test_expect_code 1 script -qec "$BUP_EXE random 10" /dev/null >out 2>&1 &&
	grep "not writing binary data to a terminal" out
'

test_expect_success 'random needs exactly one size' '
	test_expect_code 97 bup random 2>err &&
	grep "exactly one argument" err &&
	test_expect_code 97 bup random 1x 2>err &&
	grep "1x" err
'

test_done
