#!/bin/bash
test_description='bup restore of saves made by our own index and save, both ways with bup 0.33'
. "$(dirname "$0")/lib.sh"
. "$TEST_ROOT/t/lib-tree.sh"

S=/t/latest$TRASH/src

test_expect_success 'setup: the fixture tree, saved by our index and save' '
	make_fixture_tree src &&
	bup init >/dev/null 2>&1 &&
	bup index src >/dev/null &&
	bup save -q -n t src
'

test_expect_success ORACLE 'our restore and bup 0.33 restore of our save are identical' '
	bup restore -q -C ours "$S" &&
	oracle_bup restore -q -C oracle "$S" &&
	compare_trees ours/src oracle/src
'

test_expect_success 'our save, our restore: the original tree (all but atimes)' '
	compare_trees --no-atime src ours/src
'

test_expect_success ORACLE 'our save, bup 0.33 restore: the original tree (all but atimes)' '
	compare_trees --no-atime src oracle/src
'

test_expect_success 'a second save of the unchanged tree restores the same' '
	bup index src >/dev/null &&
	bup save -q -n t src &&
	test "$(git --git-dir="$BUP_DIR" rev-list t | wc -l)" = 2 &&
	bup restore -q -C second "$S" &&
	compare_trees --no-atime src second/src
'

test_expect_success 'after a change, the new save has it and the old one does not' '
	echo changed >src/reg && touch -d "2022-02-22 22:22:22.222 UTC" src/reg &&
	rm src/hl/p2 && mkdir src/newdir && echo new >src/newdir/f &&
	bup index src >/dev/null &&
	bup save -q -n t src &&
	bup restore -q -C third "$S" &&
	compare_trees --no-atime src third/src &&
	old=$(bup ls /t | sed -n 1p) &&
	bup restore -q -C first "/t/$old$TRASH/src/reg" &&
	test "$(cat first/reg)" = hello
'

test_expect_success 'the repository is clean' '
	test_fsck
'

test_done
