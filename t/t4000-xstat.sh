#!/bin/bash
test_description='bup xstat, against Debian bup'
. "$(dirname "$0")/lib.sh"
. "$TEST_ROOT/t/lib-meta.sh"

test_expect_success 'setup: a tree with every file type' '
	make_meta_tree src &&
	find src -mindepth 1 | sort >paths &&
	test $(wc -l <paths) -ge 14
'

test_expect_success 'xstat of one file: the fields, in order' '
	bup xstat src/sub/deeper/inner >out &&
	sed -n "1,3p;10p" out >head &&
	printf "path: src/sub/deeper/inner\nmode: 100644 (-rw-r--r--)\nrdev: 0\nmtime: 4105310706.000000001\n" >expect &&
	test_cmp expect head &&
	grep -q "^size: 6$" out
'

test_expect_success 'negative times: bup adds one to the floored seconds' '
	bup xstat --include-fields mtime src/empty src/hl1 >out &&
	printf "mtime: -315619199.250000000\n\nmtime: 0\n" >expect &&
	test_cmp expect out
'

test_expect_success ORACLE 'every path prints what bup 0.33 prints' '
	tr "\n" "\0" <paths >paths0 &&
	xargs -0 "$ORACLE_BUP" xstat <paths0 >expect &&
	xargs -0 "$BUP_EXE" xstat <paths0 >actual &&
	{ test_cmp expect actual || { diff -a expect actual >&2; false; }; } &&
	grep -q "^linux-xattr: user.foo -> bar" actual &&
	grep -q "^posix1e-acl: u::rw-,u:nobody:r--" actual &&
	grep -q "^posix1e-acl-default: u::rwx,u:nobody:r-x" actual &&
	grep -q "^mode: 10600 (prw-------)" actual
'

test_expect_success ORACLE,ROOT 'devices and sockets as bup 0.33 shows them' '
	bup xstat src/chr src/blk >actual &&
	oracle_bup xstat src/chr src/blk >expect &&
	test_cmp expect actual &&
	grep -q "^rdev: 1,3$" actual &&
	if [ -S src/sock ]; then
		oracle_bup xstat src/sock >expect && bup xstat src/sock >actual &&
		test_cmp expect actual && grep -q "(srwx" actual
	fi
'

test_expect_success ORACLE 'field selection, in command-line order, as bup 0.33' '
	for args in "--include-fields path,mode" \
		    "--exclude-fields atime,ctime,user" \
		    "--exclude-fields size --include-fields size,uid" \
		    "--include-fields path --include-fields gid" \
		    "--include-fields uid --exclude-fields uid" \
		    "--exclude-fields linux-xattr,posix1e-acl,link-target,rdev"; do
		oracle_bup xstat $args src/reg src/link src/acldir >expect &&
		bup xstat $args src/reg src/link src/acldir >actual &&
		test_cmp expect actual || { echo "differs: $args" >&2; exit 1; }
	done
'

test_expect_success ORACLE 'time resolutions round as bup 0.33 does (in floating point)' '
	for args in "--mtime-resolution s" "--atime-resolution ms --ctime-resolution us" \
		    "--mtime-resolution 10ns" "--mtime-resolution 100s" "--atime-resolution 1ns"; do
		oracle_bup xstat $args src/reg src/empty src/hl1 src/link src/sub/deeper/inner >expect &&
		bup xstat $args src/reg src/empty src/hl1 src/link src/sub/deeper/inner >actual &&
		test_cmp expect actual || { echo "differs: $args" >&2; exit 1; }
	done
'

test_expect_success 'bad fields and resolutions: exit 97' '
	test_expect_code 97 bup xstat --include-fields nope src/reg 2>err &&
	grep -q "nope is not a valid field name" err &&
	test_expect_code 97 bup xstat --mtime-resolution 10 src/reg 2>err &&
	grep -q "must include units" err &&
	test_expect_code 97 bup xstat --mtime-resolution 7ns src/reg 2>err &&
	grep -q "must be a power of 10" err &&
	test_expect_code 97 bup xstat --ctime-resolution xs src/reg 2>err
'

test_expect_success 'a missing path is reported, the others printed, exit 1' '
	test_expect_code 1 bup xstat src/reg nope src/empty >out 2>err &&
	test $(grep -c "^path: " out) = 2 &&
	grep -q "nope" err &&
	grep -q "WARNING: 1 errors encountered" err
'

test_expect_success '-q prints nothing' '
	bup xstat -q src/reg >out &&
	test ! -s out
'

test_done
