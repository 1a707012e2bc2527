#!/bin/bash
test_description='bup restore: round trips of saves made by bup 0.33, against its own restore'
. "$(dirname "$0")/lib.sh"
. "$TEST_ROOT/t/lib-tree.sh"

# Saves are made by Debian's bup (our save is a separate command); every
# restore is compared with the original tree and with bup 0.33's restore
# of the same save.  S is the saved tree's path inside a save.
S=/t/latest$TRASH/src

# Tree $1 (from make_bupm_name_tree) saved by bup 0.33 and restored by it
# (into o) and by us (into c): the restores match and the .bupm-named
# files kept their contents.
restore_bupm_names() {
	oracle_bup index "$1" >/dev/null &&
	oracle_bup save -q -n "$1" "$1" &&
	oracle_bup restore -q -C o "/$1/latest$TRASH/$1" &&
	bup restore -q -C c "/$1/latest$TRASH/$1" &&
	compare_trees "o/$1" "c/$1" &&
	for f in .bupm .bupm.x .bupm-y .bupm.d/f; do
		cmp "$1/$f" "c/$1/$f" || return 1
	done
}

test_expect_success ORACLE 'setup: the fixture tree, saved by bup 0.33' '
	make_fixture_tree src &&
	oracle_bup init >/dev/null 2>&1 &&
	oracle_bup index src >/dev/null &&
	oracle_bup save -q -n t src &&
	oracle_bup restore -q -C oracle "$S" &&
	test -f oracle/src/reg
'

test_expect_success ORACLE 'our restore matches bup 0.33 restore exactly, atimes too' '
	# first: comparing reads symlinks, which can update their atimes
	bup restore -q -C ours "$S" &&
	compare_trees ours/src oracle/src
'

test_expect_success ORACLE 'our restore matches the original tree (all but atimes)' '
	compare_trees --no-atime src ours/src
'

test_expect_success ORACLE 'several paths in one run: contents, excluded, linked across paths' '
	bup restore -q -C many --exclude-rx "/sticky/\$" "$S/hl" "$S/other/" \
		"$S/sticky" "$S/chunked" "$S/deep/d1/" "$S/sticky/." &&
	# other/ holds links to hl/ files: linked again across the paths
	test "$(stat -c %i many/c)" = "$(stat -c %i many/hl/a)" &&
	compare_trees --no-atime --no-top src/hl many/hl &&
	cmp src/chunked many/chunked && cmp src/other/big many/big &&
	cmp src/sticky/f many/f && test -d many/d2 && test ! -e many/sticky
'

test_expect_success ORACLE 'the fixture has what it should (so the comparisons mean something)' '
	test "$(stat -c %h ours/src/hl/a)" = 3 &&
	test "$(stat -c %i ours/src/hl/a)" = "$(stat -c %i ours/src/other/c)" &&
	test "$(stat -c %h ours/src/hl/e1)" = 2 &&
	test -p ours/src/fifo && test -S ours/src/sock &&
	test "$(readlink ours/src/dangling)" = no/where &&
	test -f ours/src/x.bup && test -f ours/src/y.bupm &&
	test -d ours/src/z.bup &&
	test "$(stat -c %s ours/src/chunked)" = 1500000 &&
	test "$(stat -c %y ours/src/reg)" = "2020-01-02 03:04:05.123456789 +0000" &&
	test "$(stat -c %a ours/src/setuid)" = 4755 &&
	test "$(stat -c %a ours/src/rodir)" = 555 &&
	test -f "ours/src/$(printf "bad\377\376name")" &&
	find ours/src/lp -name f | grep -q . &&
	test -f ours/src/deep/d1/d2/d3/d4/d5/d6/d7/d8/d9/d10/d11/d12/d13/d14/d15/d16/d17/d18/d19/d20/d21/d22/d23/d24/d25/d26/d27/d28/d29/d30/bottom
'

test_expect_success ORACLE,ROOT 'as root: devices, owners, xattrs and ACLs came back' '
	test "$(stat -c %t,%T ours/src/chr)" = 1,3 &&
	test -b ours/src/blk &&
	test "$(stat -c %u:%g ours/src/reg)" = 12345:54321 &&
	test "$(stat -c %u:%g ours/src/emptydir)" = 4242:4243 &&
	if tree_have_xattr .; then
		test "$(getfattr --only-values -n user.foo ours/src/reg)" = bar &&
		getfacl -n ours/src/acldir 2>/dev/null | grep -q "^default:user:65534:r-x"
	fi
'

test_expect_success ORACLE 'x, x/ and x/. restore what bup 0.33 restores' '
	for form in "" / /.; do
		rm -rf o c &&
		mkdir o c &&
		touch -d "2000-01-01 UTC" o c && chmod 700 o c &&
		oracle_bup restore -q -C o "$S/sticky$form" &&
		bup restore -q -C c "$S/sticky$form" &&
		top=--no-top && test "$form" = /. && top= ;
		compare_trees $top o c || { echo "form sticky$form differs" >&2; exit 1; }
	done
'

test_expect_success ORACLE 'x/: the contents, without x'"'"'s own metadata' '
	rm -rf c && mkdir c && chmod 700 c &&
	bup restore -q -C c "$S/" &&
	compare_trees --no-atime --no-top src c &&
	test "$(stat -c %a c)" = 700
'

test_expect_success ORACLE 'x/.: the contents, then x'"'"'s metadata on the output directory' '
	rm -rf c && mkdir c && chmod 700 c &&
	bup restore -q -C c "$S/." &&
	compare_trees --no-atime src c
'

test_expect_success ORACLE '/BRANCH/latest restores the save as a directory named latest' '
	rm -rf c o &&
	bup restore -q -C c /t/latest &&
	oracle_bup restore -q -C o /t/latest &&
	test -d "c/latest$TRASH/src" &&
	compare_trees --no-top c o &&
	compare_trees --no-atime src "c/latest$TRASH/src"
'

test_expect_success ORACLE 'single files, symlinks and a hardlink set member alone' '
	rm -rf c o &&
	for p in reg link dangling hl/b fifo chunked; do
		bup restore -q -C c "$S/$p" &&
		oracle_bup restore -q -C o "$S/$p" || exit 1
	done &&
	compare_trees --no-top c o &&
	test "$(stat -c %h c/b)" = 1
'

test_expect_success ORACLE '-C makes missing parents' '
	rm -rf c &&
	bup restore -q -C c/d/e "$S/reg" &&
	cmp src/reg c/d/e/reg
'

test_expect_success ORACLE 'files, symlinks and empty directories in the way are replaced' '
	for d in o c; do
		rm -rf $d && mkdir $d &&
		echo junk >$d/reg && ln -s junk $d/link && mkdir $d/exec &&
		mkfifo $d/dangling && mkdir $d/emptydir || exit 1
	done &&
	oracle_bup restore -q -C o "$S/reg" "$S/link" "$S/exec" "$S/dangling" "$S/emptydir" &&
	bup restore -q -C c "$S/reg" "$S/link" "$S/exec" "$S/dangling" "$S/emptydir" &&
	compare_trees --no-top o c &&
	cmp src/reg c/reg && test -x c/exec && test -L c/dangling
'

test_expect_success ORACLE '-v and -vv print what bup 0.33 prints, on stdout' '
	for v in -v -vv; do
		for form in "" / /.; do
			rm -rf o c &&
			oracle_bup restore $v -C o "$S$form" >expect 2>oerr &&
			bup restore $v -C c "$S$form" >actual 2>err &&
			test_cmp expect actual &&
			test ! -s err || { echo "differs: $v $form" >&2; exit 1; }
		done
	done &&
	grep -q "^/hl/$" expect && grep -q "^/link@ -> reg$" actual &&
	bup restore -q -vv -C c "$S/reg" >actual &&
	test ! -s actual
'

test_expect_success ORACLE 'progress on a terminal: Restoring: N as bup 0.33 counts; -q silences it' '
	rm -rf o c &&
	BUP_FORCE_TTY=2 oracle_bup restore -C o "$S" 2>expect &&
	BUP_FORCE_TTY=2 bup restore -C c "$S" 2>actual &&
	tr "\r" "\n" <expect | tail -n 1 >expect.last &&
	tr "\r" "\n" <actual | tail -n 1 >actual.last &&
	test_cmp expect.last actual.last &&
	grep -q "^Restoring: [0-9]*, done\.$" actual.last &&
	rm -rf c && BUP_FORCE_TTY=2 bup restore -q -C c "$S" 2>actual &&
	test ! -s actual &&
	rm -rf c && bup restore -C c "$S" 2>actual &&
	test ! -s actual
'

test_expect_success ORACLE '--exclude-rx and --exclude-rx-from skip what bup 0.33 skips' '
	printf "/hl/\$\n\n^/src/deep/d1/.\n" >rx &&
	for args in "--exclude-rx /reg\$" "--exclude-rx ^/src/sticky/" \
		    "--exclude-rx /sticky/. --exclude-rx [0-9]\$" \
		    "--exclude-rx-from rx"; do
		rm -rf o c &&
		oracle_bup restore -vv $args -C o "$S" >expect &&
		bup restore -vv $args -C c "$S" >actual &&
		test_cmp expect actual &&
		compare_trees --no-top o c || { echo "differs: $args" >&2; exit 1; }
	done &&
	test -d c/src/deep/d1 && test ! -e c/src/deep/d1/d2 && test ! -e c/src/hl
'

test_expect_success ORACLE 'names starting with .bupm: restored as bup 0.33 restores them' '
	make_bupm_name_tree bn &&
	restore_bupm_names bn
'

test_expect_success ORACLE 'a .bupm file beside a chunked .bupm: as bup 0.33 (which loses the metadata)' '
	make_bupm_name_tree bc &&
	if tree_have_xattr .; then
		# 100 KB of metadata: the .bupm is split into a tree
		for i in $(seq 1 100); do
			echo $i >bc/f$i &&
			setfattr -n user.r -v "$(head -c 1000 /dev/zero | tr "\0" r)$i" bc/f$i || exit 1
		done
	fi &&
	restore_bupm_names bc
'

test_expect_success ORACLE 'hardlinked symlinks and fifos: linked again as bup 0.33 links them' '
	mkdir hs && echo t >hs/target && ln -s target hs/l1 && ln -P hs/l1 hs/l2 &&
	ln -s nowhere hs/d1 && ln -P hs/d1 hs/d2 && mkfifo hs/p1 && ln hs/p1 hs/p2 &&
	oracle_bup index hs >/dev/null &&
	oracle_bup save -q -n hs hs &&
	oracle_bup restore -q -C hso "/hs/latest$TRASH/hs/" &&
	bup restore -q -C hsc "/hs/latest$TRASH/hs/" &&
	# checking whether l1 still exists reads the link: atimes vary
	compare_trees --no-top --no-atime hso hsc &&
	test "$(stat -c %i hsc/p1)" = "$(stat -c %i hsc/p2)"
'

# a file with long zero runs, at the start, inside and at the end
test_expect_success ORACLE 'setup: a sparse-friendly file, saved' '
	mkdir sp &&
	{ head -c 1048576 /dev/zero; printf data; head -c 600 /dev/zero
	  printf more; head -c 300 /dev/zero; printf x
	  head -c 100000 "$(test_data rand100000.bin)"
	  head -c 3000000 /dev/zero; printf y; head -c 2097152 /dev/zero; } >sp/holes &&
	head -c 1000000 /dev/zero >sp/allzero &&
	printf "no zeros" >sp/plain &&
	oracle_bup index sp >/dev/null &&
	oracle_bup save -q -n sp sp
'

test_expect_success ORACLE '--sparse: same content, same holes as bup 0.33, fewer blocks' '
	rm -rf o c n &&
	oracle_bup restore -q --sparse -C o "/sp/latest$TRASH/sp/" &&
	bup restore -q --sparse -C c "/sp/latest$TRASH/sp/" &&
	bup restore -q -C n "/sp/latest$TRASH/sp/" &&
	compare_trees --no-top sp c &&
	compare_trees --no-top sp n &&
	for f in holes allzero plain; do
		test "$(stat -c %b o/$f)" = "$(stat -c %b c/$f)" ||
			{ echo "$f: $(stat -c %b o/$f) vs $(stat -c %b c/$f) blocks" >&2; exit 1; }
	done &&
	test "$(stat -c %b c/holes)" -lt $(($(stat -c %b n/holes) / 4)) &&
	test "$(stat -c %b c/allzero)" = 0 &&
	test "$(du -k c/holes | cut -f1)" = "$(du -k o/holes | cut -f1)"
'

test_expect_success ORACLE,ROOT '--numeric-ids and --map-* set the owners bup 0.33 sets' '
	for args in "--numeric-ids" \
		    "--map-uid 12345=2000 --map-gid 54321=3000" \
		    "--map-user nobody=daemon --map-group nogroup=daemon" \
		    "--map-user daemon= --map-uid 1=5 --map-group daemon= --map-gid 1=6" \
		    "--map-user nobody=root --map-user nobody=daemon" \
		    "--numeric-ids --map-uid 65534=7 --map-gid 65534=8"; do
		rm -rf o c &&
		oracle_bup restore -q $args -C o "$S" &&
		bup restore -q $args -C c "$S" &&
		compare_trees --no-top o c || { echo "differs: $args" >&2; exit 1; }
	done &&
	rm -rf c &&
	bup restore -q --map-uid 12345=2000 --map-gid 54321=3000 --map-user daemon= --map-uid 1=5 -C c "$S" &&
	test "$(stat -c %u:%g c/src/reg)" = 2000:3000 &&
	test "$(stat -c %u c/src/fifo)" = 5
'

test_expect_success ORACLE 'bad --map-* values: exit 97 with bup 0.33'"'"'s message' '
	for m in "--map-uid x=1" "--map-gid 1=" "--map-user =x" "--map-group a=b=c"; do
		test_expect_code 97 oracle_bup restore $m "$S" 2>expect &&
		test_expect_code 97 bup restore $m "$S" 2>actual &&
		test_cmp expect actual || { echo "differs: $m" >&2; exit 1; }
	done
'

test_expect_success ORACLE 'usage: no paths, and -h, as bup 0.33' '
	test_expect_code 97 oracle_bup restore 2>expect &&
	test_expect_code 97 bup restore 2>actual &&
	test_cmp expect actual &&
	test_expect_code 97 oracle_bup restore -h 2>expect &&
	test_expect_code 97 bup restore -h 2>actual &&
	test_cmp expect actual
'

test_expect_success ORACLE 'paths without a branch and save, missing paths: bup 0.33'"'"'s errors, exit 1' '
	for p in / /t t /t/ /nobranch/x /t/latest/nope "$S/nope" "$S/hl/nope/x"; do
		rm -rf o c &&
		test_expect_code 1 oracle_bup restore -C o "$p" 2>expect &&
		test_expect_code 1 bup restore -C c "$p" 2>actual &&
		test_cmp expect actual || { echo "differs: $p" >&2; exit 1; }
	done &&
	test_expect_code 1 bup restore -C c "$S/reg" /t "$S/nope" 2>actual &&
	test "$(tail -n 1 actual)" = "warning: 2 errors encountered" &&
	cmp src/reg c/reg
'

test_expect_success ORACLE 'a path through a file: one error, exit 1, the rest restored' '
	rm -rf c &&
	test_expect_code 1 bup restore -C c "$S/reg/x" "$S/link/" "$S/exec" 2>err &&
	grep -q "^\[Errno 20\] .*reg/x" err &&
	grep -q "^\[Errno 20\] .*link/" err &&
	test "$(tail -n 1 err)" = "warning: 2 errors encountered" &&
	test -x c/exec
'

test_expect_success ORACLE 'a non-empty directory in the way is refused, the rest restored' '
	rm -rf c && mkdir -p c/sticky/keep &&
	test_expect_code 1 bup restore -C c "$S/sticky" "$S/reg" 2>err &&
	grep -q "refusing to overwrite non-empty dir" err &&
	test -d c/sticky/keep && cmp src/reg c/reg &&
	test "$(tail -n 1 err)" = "warning: 1 errors encountered"
'

test_expect_success ORACLE,UNPRIV 'unprivileged: the owners bup 0.33 sets, so no errors' '
	mkdir uo uc && chown nobody uo uc &&
	as_unpriv "$ORACLE_BUP" restore -q -C uo "$S/reg" "$S/hl" "$S/sticky" "$S/emptydir" &&
	as_unpriv "$BUP_EXE" restore -q -C uc "$S/reg" "$S/hl" "$S/sticky" "$S/emptydir" &&
	compare_trees --no-top uo uc &&
	test "$(stat -c %U uc/reg)" = nobody
'

test_expect_success ORACLE,UNPRIV 'unprivileged, a read-only output directory: an error per item, exit 1' '
	mkdir rodir && chown nobody rodir && chmod 555 rodir &&
	test_expect_code 1 as_unpriv "$BUP_EXE" restore -C rodir "$S/reg" "$S/sticky" "$S/link" 2>err &&
	test "$(grep -c "Permission denied" err)" = 3 &&
	grep -q "cannot create .reg.: Permission denied" err &&
	test "$(tail -n 1 err)" = "warning: 3 errors encountered" &&
	test -z "$(ls rodir)"
'

test_expect_success ORACLE,TMPFS 'a read-only output directory: an error per item, exit 1' '
	mkdir ro && mount -t tmpfs -o ro,size=1m none ro &&
	{ test_expect_code 1 bup restore -C ro "$S/reg" "$S/sticky" "$S/link" 2>err; rc=$?; umount ro; } &&
	test $rc = 0 &&
	test "$(grep -c "Read-only file system" err)" = 3 &&
	test "$(tail -n 1 err)" = "warning: 3 errors encountered"
'

test_expect_success ORACLE,TMPFS 'a full filesystem: the file is named, exit 1, no crash' '
	mkdir full && mount -t tmpfs -o size=1m none full &&
	{ test_expect_code 1 bup restore -C full "$S/chunked" "$S/reg" 2>err; rc=$?
	  ls full >listing; umount full; } &&
	test $rc = 0 &&
	grep -q "cannot write .chunked.: No space left on device" err &&
	grep -q "^warning: [0-9]* errors encountered$" err &&
	grep -q chunked listing
'

test_expect_success ORACLE,TMPFS 'into a tmpfs: the errors bup 0.33 reports (chattr of ext4 attrs), word for word' '
	mkdir tfs && mount -t tmpfs -o size=10m none tfs &&
	{ oracle_bup restore -q -C tfs/o "$S/hl" "$S/sticky" "$S/link" 2>expect; orc=$?
	  bup restore -q -C tfs/c "$S/hl" "$S/sticky" "$S/link" 2>actual; rc=$?
	  compare_trees --no-top tfs/o tfs/c >&2; crc=$?; umount tfs; } &&
	test $rc = $orc && test $crc = 0 &&
	test_cmp expect actual
'

test_expect_success ORACLE 'a missing repository: exit 15 as bup 0.33' '
	test_expect_code 15 env BUP_DIR=$TRASH/none oracle_bup restore /t/latest 2>expect;
	test_expect_code 15 env BUP_DIR=$TRASH/none "$BUP_EXE" restore /t/latest 2>actual
'

test_expect_success ORACLE 'the repository is still clean' '
	test_fsck
'

test_done
