#!/bin/bash
test_description='bup meta: archives, listings and extraction, against Debian bup'
. "$(dirname "$0")/lib.sh"
. "$TEST_ROOT/t/lib-meta.sh"

test_expect_success 'setup: a tree with every file type' '
	make_meta_tree src &&
	rmdir src/acldir &&	# bup -tvv fails on its ACL (see below)
	oracle_bup meta -c -R src >/dev/null 2>&1; :
'

test_expect_success 'create: children first, descending, dirs end in /' '
	bup meta -c -f a.meta src/sub &&
	bup meta -t -f a.meta >out &&
	printf "src/sub/deeper/inner\nsrc/sub/deeper/\nsrc/sub/\n" >expect &&
	test_cmp expect out
'

test_expect_success 'create: an empty directory, alone and in a tree' '
	mkdir -p e/empty &&
	bup meta -c -f e.meta e/empty &&
	bup meta -t -f e.meta >out &&
	printf "e/empty/\n" >expect &&
	test_cmp expect out &&
	bup meta -c -f e.meta e &&
	bup meta -t -f e.meta >out &&
	printf "e/empty/\ne/\n" >expect &&
	test_cmp expect out
'

test_expect_success ORACLE 'create -R: the archive is byte-identical to bup 0.33' '
	oracle_bup meta -c -R src >expect.meta &&
	bup meta -c -R src >actual.meta &&
	cmp expect.meta actual.meta &&
	test $(bup meta -t -f actual.meta | wc -l) -ge 15
'

test_expect_success ORACLE 'create: cleaned paths, --no-recurse, --no-paths, --no-symlinks as bup 0.33' '
	for args in "-R ./src/../src/reg" "--no-recurse src src/link /$PWD/src/reg" \
		    "--no-paths src/sub" "--no-symlinks src/link src/dangling" \
		    "--xdev src/sub"; do
		oracle_bup meta -c $args >expect 2>/dev/null &&
		bup meta -c $args >actual 2>/dev/null &&
		cmp expect actual || { echo "differs: $args" >&2; exit 1; }
	done
'

test_expect_success ORACLE 'list: -t, -tv and -tvv print what bup 0.33 prints' '
	for v in -t -tv -tvv; do
		oracle_bup meta $v -f expect.meta >expect &&
		bup meta $v -f expect.meta >actual &&
		test_cmp expect actual || { echo "differs: $v" >&2; exit 1; }
	done &&
	bup meta -tv <expect.meta >actual &&
	grep -q "^lrwxrwxrwx .* src/link -> reg$" actual
'

test_expect_success ORACLE 'extract: an archive by bup 0.33 restores what bup 0.33 restores' '
	mkdir xo xc &&
	(cd xo && oracle_bup meta -x -f ../expect.meta) &&
	(cd xc && bup meta -x -f ../expect.meta) &&
	oracle_bup meta -t -f expect.meta | tr "\n" "\0" >paths0 &&
	(cd xo && xargs -0 "$ORACLE_BUP" xstat --exclude-fields ctime <../paths0) >expect &&
	(cd xc && xargs -0 "$ORACLE_BUP" xstat --exclude-fields ctime <../paths0) >actual &&
	test_cmp expect actual &&
	test -p xc/src/fifo && test -L xc/src/dangling && test ! -s xc/src/reg
'

test_expect_success ORACLE 'extract with --numeric-ids restores the same as bup 0.33' '
	mkdir no nc &&
	(cd no && oracle_bup meta -x --numeric-ids -f ../expect.meta) &&
	(cd nc && bup meta -x --numeric-ids -f ../expect.meta) &&
	(cd no && xargs -0 "$ORACLE_BUP" xstat --exclude-fields ctime <../paths0) >expect &&
	(cd nc && xargs -0 "$ORACLE_BUP" xstat --exclude-fields ctime <../paths0) >actual &&
	test_cmp expect actual
'

test_expect_success ORACLE 'start-extract then finish-extract equals extract' '
	mkdir s2 &&
	(cd s2 && bup meta --start-extract -f ../expect.meta &&
	 bup meta --finish-extract -f ../expect.meta) &&
	(cd s2 && xargs -0 "$ORACLE_BUP" xstat --exclude-fields ctime <../paths0) >actual2 &&
	test_cmp expect actual2
'

test_expect_success 'extract replaces what is there, refuses a non-empty dir' '
	mkdir rx && echo junk >rx/reg2 &&
	bup meta -c --no-recurse -f r.meta src/reg &&
	mkdir -p rx/src/reg/full && touch rx/src/reg/full/x &&
	(cd rx && test_expect_code 1 bup meta -x -f ../r.meta 2>../err) &&
	grep -q "refusing to overwrite non-empty dir" err &&
	rm -r rx/src/reg && mkdir rx/src/reg &&
	(cd rx && bup meta -x -f ../r.meta) &&
	test -f rx/src/reg && test ! -s rx/src/reg
'

test_expect_success 'risky paths are skipped with an error' '
	bup meta -c --no-recurse -f one.meta src/empty &&
	python3 -c "import sys; d=open(sys.argv[1],\"rb\").read(); open(sys.argv[2],\"wb\").write(d.replace(b\"\\x01\\x0a\\x09src/empty\", b\"\\x01\\x0b\\x0a../escaped\"))" one.meta risky.meta &&
	bup meta -t -f risky.meta >out && test "$(cat out)" = "../escaped" &&
	mkdir rk && (cd rk && test_expect_code 1 bup meta -x -f ../risky.meta 2>../err) &&
	grep -q "skipping risky path" err &&
	test ! -e escaped
'

test_expect_success ORACLE 'edit: --set-*/--unset-* as bup 0.33, last one wins' '
	for args in "--set-uid 7 --set-gid 8" "--set-user alice --unset-user" \
		    "--unset-group --set-group staff" "--set-user bob --set-group x --set-uid 0"; do
		oracle_bup meta --edit $args expect.meta >expect &&
		bup meta --edit $args expect.meta >actual &&
		cmp expect actual || { echo "differs: $args" >&2; exit 1; }
	done &&
	bup meta --edit --set-uid 7 --unset-user expect.meta | bup meta -tv >out &&
	grep -q "^-rw-r--r-- 7/" out
'

test_expect_success 'usage errors exit 97' '
	test_expect_code 97 bup meta 2>err && grep -q "no action specified" err &&
	test_expect_code 97 bup meta -c -t src 2>err && grep -q "only one action" err &&
	test_expect_code 97 bup meta -c 2>err && grep -q "no paths specified for create" err &&
	test_expect_code 97 bup meta -t src 2>err && grep -q "cannot specify paths for --list" err &&
	test_expect_code 97 bup meta --edit --set-uid x expect.meta 2>err && grep -q "uid must be an integer" err
'

test_expect_success 'a directory with an access ACL only: -tvv prints an empty default (bup fails)' '
	mkdir ad && setfacl -m u:nobody:rwx ad &&
	bup meta -c --no-recurse -f ad.meta ad &&
	bup meta -tvv -f ad.meta >out &&
	grep -q "^posix1e-acl: u::rwx,u:nobody:rwx" out &&
	grep -q "^posix1e-acl-default: $" out
'

test_done
