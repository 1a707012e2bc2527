#!/bin/bash
test_description='the test library and the binary work at all'
. "$(dirname "$0")/lib.sh"

test_expect_success 'bup runs and prints its version' '
	bup version >out &&
	grep -q "^0\.33" out
'

test_expect_success 'test_must_fail catches a failure but not a crash' '
	test_must_fail false &&
	! test_must_fail sh -c "kill -SEGV \$\$"
'

test_expect_success 'test_data makes shared inputs once' '
	f=$(test_data one.bin) &&
	test "$(cat "$f")" = a
'

test_expect_success 'bup init makes a repository git accepts' '
	bup init 2>err &&
	test -d "$BUP_DIR/objects/pack" &&
	test "$(git --git-dir="$BUP_DIR" config core.logAllRefUpdates)" = true &&
	test "$(git --git-dir="$BUP_DIR" config pack.indexVersion)" = 2 &&
	test_fsck
'

test_expect_success ORACLE 'bup init again says the repository was reinitialized, as bup does' '
	bup init 2>err &&
	oracle_bup init 2>oerr &&
	echo "Reinitialized existing Git repository in $BUP_DIR/" >expect &&
	test_cmp expect err &&
	grep -v "^hint:" oerr >oerr2 &&
	test_cmp expect oerr2 &&
	test_fsck
'

test_done
