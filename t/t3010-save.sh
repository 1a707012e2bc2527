#!/bin/bash
test_description='bup save against bup 0.33 (FORMATS-2 §1, §3.7)'
. "$(dirname "$0")/lib.sh"

# The oracle saves into $OBUP_DIR, we into $BUP_DIR, both from the same
# index: it is made once (by the oracle) and copied to our repository
# before each save, so both saves start from the same bytes.  The tree
# lives in $TRASH/s/src; nothing else is written under $TRASH/s, and
# comparisons of unstripped saves look only at the subtree of src (the
# metadata of /, /tmp... changes as other tests run).
OBUP_DIR=$TRASH/oracle
theirs() { env BUP_DIR="$OBUP_DIR" "$ORACLE_BUP" "$@"; }
SRC=$TRASH/s/src
REL=${SRC#/}
DATE=1600000000
copy_index() {
	cp "$OBUP_DIR/bupindex" "$OBUP_DIR/bupindex.meta" "$BUP_DIR/" &&
	rm -f "$BUP_DIR/bupindex.hlink" &&
	{ ! test -f "$OBUP_DIR/bupindex.hlink" ||
	  cp "$OBUP_DIR/bupindex.hlink" "$BUP_DIR/"; }
}
objects() { git --git-dir="$1" cat-file --batch-all-objects --batch-check | sort; }
ours_git() { git --git-dir="$BUP_DIR" "$@"; }
theirs_git() { git --git-dir="$OBUP_DIR" "$@"; }

test_expect_success 'setup: every file type, mangled names, chunks, hardlinks, deep and long paths' '
	bup init >/dev/null 2>&1 &&
	mkdir -p "$SRC/sub/d1/d2/d3/d4/d5/d6/d7/d8" "$SRC/empty dir" "$SRC/dir.bup" &&
	echo hello >"$SRC/reg" && : >"$SRC/empty" &&
	echo run >"$SRC/exec" && chmod 755 "$SRC/exec" &&
	echo link >"$SRC/hl1" && ln "$SRC/hl1" "$SRC/hl2" && ln "$SRC/hl1" "$SRC/sub/hl3" &&
	ln -s reg "$SRC/symlink" && ln -s /nonexistent "$SRC/dangling" &&
	mkfifo "$SRC/fifo" &&
	echo x >"$SRC/x.bup" && echo y >"$SRC/y.bupm" && echo z >"$SRC/z.bupl" &&
	echo d >"$SRC/dir.bup/inside" && echo sp >"$SRC/with space" &&
	echo bang >"$SRC/!first" &&
	echo nu >"$SRC/$(printf "non\377utf8")" &&
	echo deep >"$SRC/sub/d1/d2/d3/d4/d5/d6/d7/d8/leaf" &&
	cat "$(test_data rand5m.bin)" >"$SRC/chunked" &&
	head -c 400000 "$(test_data rand5m.bin)" >"$SRC/chunked.bup" &&
	L=$(printf "l%.0s" $(seq 1 200)) &&
	mkdir -p "$SRC/$L/$L/$L" && echo long >"$SRC/$L/$L/$L/$L" &&
	python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$SRC/sock" &&
	touch -h -d "2020-01-02 03:04:05.123456789" "$SRC/reg" "$SRC/symlink" "$SRC/hl1" &&
	sleep 1.2
'

test_expect_success ROOT 'setup: device nodes' '
	mknod "$SRC/chr" c 1 3 && mknod "$SRC/blk" b 7 0 && sleep 1.2
'

test_expect_success ORACLE 'first save: same tree, same index updates as the oracle' '
	theirs init >/dev/null 2>&1 &&
	theirs index -u "$SRC" >/dev/null &&
	copy_index &&
	theirs save -t -n s -d $DATE "$SRC" >t.tree 2>t.err &&
	bup save -t -n s -d $DATE "$SRC" >o.tree 2>o.err &&
	test ! -s o.err && test ! -s t.err &&
	test "$(theirs_git rev-parse "s:$REL")" = "$(ours_git rev-parse "s:$REL")" &&
	cmp "$OBUP_DIR/bupindex" "$BUP_DIR/bupindex" &&
	ours_git ls-tree "s:$REL" >ls &&
	grep -q "	x.bup.bupl$" ls && grep -q "	y.bupm.bupl$" ls &&
	grep -q "	z.bupl.bupl$" ls && grep -q "^040000 tree .*	dir.bup.bupl$" ls &&
	grep -q "^040000 tree .*	chunked.bup$" ls &&
	grep -q "^040000 tree .*	chunked.bup.bup$" ls &&
	grep -q "^120000 blob .*	symlink$" ls &&
	grep -q "^100644 blob e69de29bb2d1d6434b8b29ae775ad8c2e48c5391	fifo$" ls &&
	test_fsck
'

test_expect_success ORACLE 'the commit: same text as the oracle but the tree' '
	theirs_git cat-file commit s | sed 1d >t.c &&
	ours_git cat-file commit s | sed 1d >o.c &&
	test_cmp t.c o.c &&
	grep -q "^\[.save., .-t., .-n., .s., .-d., .$DATE., " o.c
'

test_expect_success 'git reads the save: log, show, ls-tree' '
	ours_git log --format=%s s >log && test "$(cat log)" = "bup save" &&
	test "$(ours_git show "s:$REL/reg")" = hello &&
	test "$(ours_git show "s:$REL/sub/d1/d2/d3/d4/d5/d6/d7/d8/leaf")" = deep &&
	ours_git ls-tree -r "s:$REL/chunked.bup" | wc -l >n && test "$(cat n)" -gt 50 &&
	ours_git cat-file -p "s:$REL/.bupm" >/dev/null
'

# A save that keeps a real path above $TRASH records the metadata of
# t/tmp, t, ... /, which other tests running beside this one change
# between the two saves: those directories' .bupm (and the trees that
# hold them) are left out of the comparison; everything from $TRASH down
# is compared whole.
TREL=${TRASH#/}
listing() {
	git --git-dir="$1" ls-tree -r -t --full-tree "$2" |
	awk -F '\t' -v trel="$TREL/" '
	function above(dir) { return index(trel, dir "/") == 1 && dir "/" != trel }
	{
		p = $2; d = p; if (!sub(/\/[^\/]*$/, "", d)) d = ""
		if (p ~ /(^|\/)\.bupm$/ && (d == "" || above(d))) next
		if ($1 ~ / tree / && above(p)) next
		print }'
}

test_expect_success ORACLE '--strip, --strip-path, --graft: same trees as the oracle' '
	for opts in "--strip" "--strip-path=$TRASH/s" "--graft=$SRC=/x/y" \
		    "--graft=$SRC/sub=/" "--strip-path=$TRASH" \
		    "--graft=$SRC/sub=/s --graft=$SRC=/a/b/c"; do
		theirs index --fake-invalid "$SRC" >/dev/null && copy_index &&
		t=$(theirs save -t -d $DATE $opts "$SRC/sub" "$SRC/reg" "$SRC/chunked") &&
		o=$(bup save -t -d $DATE $opts "$SRC/sub" "$SRC/reg" "$SRC/chunked") &&
		listing "$OBUP_DIR" "$t" >t.ls && listing "$BUP_DIR" "$o" >o.ls &&
		test -s o.ls && test_cmp t.ls o.ls ||
		{ echo "differs: $opts" >&2; return 1; }
	done
'

test_expect_success ORACLE '--strip with two sources: root collision and duplicate names' '
	mkdir -p "$TRASH/s/other/sub" && echo o >"$TRASH/s/other/reg" &&
	echo o >"$TRASH/s/other/sub/x" && sleep 1.2 &&
	theirs index -u "$TRASH/s/other" "$SRC" >/dev/null && copy_index &&
	test_expect_code 1 theirs save -t -d $DATE --strip "$SRC" "$TRASH/s/other" >t 2>t.err &&
	test_expect_code 1 bup save -t -d $DATE --strip "$SRC" "$TRASH/s/other" >o 2>o.err &&
	test_cmp t o && test_cmp t.err o.err &&
	grep -q "error: ignoring duplicate path reg in /" o.err &&
	grep -q "WARNING: 2 errors encountered while saving." o.err
'

test_expect_success ORACLE 'unchanged tree: index -u + save writes only what the oracle writes' '
	rm -rf "$TRASH/s/other" && sleep 1.2 &&
	theirs index -u "$SRC" >/dev/null && copy_index &&
	theirs save --strip -n u -d $DATE "$SRC" && bup save --strip -n u -d $DATE "$SRC" &&
	cmp "$OBUP_DIR/bupindex" "$BUP_DIR/bupindex" &&
	objects "$OBUP_DIR" >t1 && objects "$BUP_DIR" >o1 &&
	theirs index -u "$SRC" >/dev/null && copy_index &&
	theirs save --strip -n u -d $((DATE + 1)) "$SRC" &&
	strace -f -e trace=openat -o trace "$BUP_EXE" save --strip -n u -d $((DATE + 1)) "$SRC" &&
	objects "$OBUP_DIR" >t2 && objects "$BUP_DIR" >o2 &&
	comm -13 t1 t2 >tnew && comm -13 o1 o2 >onew &&
	test_cmp tnew onew &&
	test "$(wc -l <onew)" = 1 && grep -q " commit " onew &&
	! grep "openat(.*\"$SRC/" trace &&
	test "$(theirs_git rev-parse u)" = "$(ours_git rev-parse u)" &&
	test_fsck
'

test_expect_success ORACLE 'changed file and directory: the same new objects as the oracle, same -v output' '
	echo changed >"$SRC/reg" && chmod 700 "$SRC/sub/d1" && sleep 1.2 &&
	theirs index -u "$SRC" >/dev/null && copy_index &&
	objects "$OBUP_DIR" >t1 && objects "$BUP_DIR" >o1 &&
	theirs save -v --strip -n u -d $((DATE + 2)) "$SRC" 2>t.v &&
	bup save -v --strip -n u -d $((DATE + 2)) "$SRC" 2>o.v &&
	test_cmp t.v o.v && grep -q "^  *$SRC/sub/ *$" o.v &&
	objects "$OBUP_DIR" >t2 && objects "$BUP_DIR" >o2 &&
	comm -13 t1 t2 >tnew && comm -13 o1 o2 >onew &&
	test_cmp tnew onew &&
	cmp "$OBUP_DIR/bupindex" "$BUP_DIR/bupindex" &&
	theirs index --fake-invalid "$SRC" >/dev/null && copy_index &&
	theirs save -vv --strip -n u -d $((DATE + 3)) "$SRC" 2>t.vv &&
	bup save -vv --strip -n u -d $((DATE + 3)) "$SRC" 2>o.vv &&
	test_cmp t.vv o.vv && grep -q "^M $SRC/reg  *$" o.vv &&
	test "$(theirs_git rev-parse u)" = "$(ours_git rev-parse u)"
'

test_expect_success ORACLE '--smaller: large files skipped and their directory left invalid, as the oracle does' '
	theirs index --fake-invalid "$SRC" >/dev/null && copy_index &&
	t=$(theirs save -t -d $DATE --strip --smaller=100k "$SRC") &&
	o=$(bup save -t -d $DATE --strip --smaller=100k "$SRC") &&
	test "$t" = "$o" && cmp "$OBUP_DIR/bupindex" "$BUP_DIR/bupindex" &&
	! ours_git ls-tree "$o" | grep -q chunked
'

test_expect_success ORACLE 'vanished, replaced by a fifo or a directory, missing argument: one line each, exit 1, commit made' '
	echo v >"$SRC/vanish" && echo f >"$SRC/to-fifo" && echo d >"$SRC/to-dir" &&
	sleep 1.2 && theirs index -u "$SRC" >/dev/null && copy_index &&
	rm "$SRC/vanish" "$SRC/to-fifo" "$SRC/to-dir" && mkfifo "$SRC/to-fifo" &&
	mkdir "$SRC/to-dir" && echo in >"$SRC/to-dir/in" &&
	test_expect_code 1 theirs save --strip -n e -d $DATE "$SRC" "$TRASH/nope" 2>t.err &&
	test_expect_code 1 bup save --strip -n e -d $DATE "$SRC" "$TRASH/nope" 2>o.err &&
	test_cmp t.err o.err &&
	grep -q "No such file or directory: .$SRC/vanish.$" o.err &&
	grep -q "^$SRC/to-fifo: mode changed since indexing, skipping\." o.err &&
	grep -q "^$SRC/to-dir: mode changed since indexing, skipping\." o.err &&
	grep -q "^reduce_paths: .*nope" o.err &&
	grep -q "WARNING: 4 errors encountered while saving\.$" o.err &&
	test "$(theirs_git rev-parse e)" = "$(ours_git rev-parse e)" &&
	test "$(ours_git show e:reg)" = changed &&
	cmp "$OBUP_DIR/bupindex" "$BUP_DIR/bupindex" &&
	test_fsck
'

test_expect_success 'a path missing from the index: reported, the rest saved' '
	echo new >"$SRC/not-indexed" &&
	test_expect_code 1 bup save --strip-path="$SRC" -n m -d $DATE "$SRC/not-indexed" "$SRC/reg" 2>err &&
	grep -q "^cannot find b.$SRC/not-indexed. *$" err &&
	test "$(ours_git show m:reg)" = changed &&
	rm "$SRC/not-indexed" && test_fsck
'

test_expect_success 'no index: bup says so' '
	test_expect_code 1 bup save -n x -f "$TRASH/no-such-index" "$SRC" 2>err &&
	grep -q "cannot access .*no-such-index.; have you run bup index?" err &&
	test_must_fail ours_git rev-parse --verify -q x
'

test_expect_success 'nothing that can be saved: no commit, exit 1' '
	test_expect_code 1 bup save -n none "$TRASH/nope1" "$TRASH/nope2" 2>err &&
	test "$(grep -c "^reduce_paths: .*nope" err)" = 2 &&
	grep -q "error: nothing to save" err &&
	test_must_fail ours_git rev-parse --verify -q none
'

test_expect_success '-t and -c: tree then commit, one line each' '
	bup save -t -c --strip -d $DATE "$SRC/sub" >out &&
	test "$(wc -l <out)" = 2 &&
	test "$(ours_git rev-parse "$(sed -n 2p out)^{tree}")" = "$(sed -n 1p out)" &&
	test "$(ours_git cat-file -t "$(sed -n 2p out)")" = commit
'

test_expect_success 'progress on a terminal: index pass, percentage and file counts' '
	command -v script >/dev/null || { echo "no script(1): skipped"; return 0; }
	bup index --fake-invalid "$SRC" >/dev/null &&
	script -qec "$BUP_EXE save -t --strip $SRC" /dev/null >tty.out &&
	tr "\r" "\n" <tty.out >tty.lines &&
	grep -q "^Reading index: [0-9]*, done\.$" tty.lines &&
	grep -q "^Saving: [0-9.]*% ([0-9]*/[0-9]*k, [0-9]*/[0-9]* files), done\\." tty.lines &&
	bup save -t --strip "$SRC" 2>err >/dev/null && test ! -s err
'

test_expect_success ORACLE 'usage: the same text, bad options refused' '
	test_expect_code 97 bup save -h >o 2>&1; test_expect_code 97 theirs save -h >t 2>&1;
	test_cmp t o &&
	test_expect_code 97 bup save "$SRC" 2>err && grep -q "use one or more of -t, -c, -n" err &&
	test_expect_code 97 bup save -t 2>err && grep -q "no filenames given" err &&
	test_expect_code 97 bup save -t --strip --strip-path=/ "$SRC" 2>err &&
	grep -q "incompatible" err &&
	test_expect_code 97 bup save -t --graft=a "$SRC" 2>err &&
	grep -q "a graft point must be of the form old_path=new_path" err &&
	test_expect_code 97 bup save -n "bad..name" "$SRC" 2>err &&
	grep -q "is not a valid branch name" err
'

if command -v setpriv >/dev/null && id nobody >/dev/null 2>&1; then
	have_nobody=1
else
	have_nobody=
fi

test_expect_success ROOT,ORACLE 'unreadable file and directory (as nobody): bup wording, exit 1, the rest saved' '
	test -n "$have_nobody" || { echo "no setpriv/nobody: skipped"; return 0; }
	mkdir -p "$TRASH/nb/src/ud" "$TRASH/nb/r" && cd "$TRASH/nb" &&
	echo a >src/a && echo u >src/unread && echo q >src/ud/q &&
	chmod -R a+rwX "$TRASH/nb" && chmod a+x "$TRASH" &&
	chown -R nobody "$TRASH/nb/src" && sleep 1.2 &&
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups env HOME="$TRASH/nb" "$@"; } &&
	as_nobody env BUP_DIR="$TRASH/nb/r/t" "$ORACLE_BUP" init >/dev/null 2>&1 &&
	as_nobody env BUP_DIR="$TRASH/nb/r/o" "$ORACLE_BUP" init >/dev/null 2>&1 &&
	as_nobody env BUP_DIR="$TRASH/nb/r/t" "$ORACLE_BUP" index -u "$TRASH/nb/src" >/dev/null &&
	cp r/t/bupindex r/t/bupindex.meta r/o/ && chmod a+rw r/o/bupindex* &&
	chmod 000 src/unread src/ud &&
	test_expect_code 1 as_nobody env BUP_DIR="$TRASH/nb/r/t" "$ORACLE_BUP" save --strip -n s -d $DATE "$TRASH/nb/src" 2>t.err &&
	test_expect_code 1 as_nobody env BUP_DIR="$TRASH/nb/r/o" "$BUP_EXE" save --strip -n s -d $DATE "$TRASH/nb/src" 2>o.err &&
	chmod 755 src/ud && chmod 644 src/unread &&
	test_cmp t.err o.err &&
	grep -q "^b.$TRASH/nb/src/unread.: \[Errno 13\] Permission denied" o.err &&
	test "$(git --git-dir=r/t rev-parse s)" = "$(git --git-dir=r/o rev-parse s)" &&
	test "$(git --git-dir=r/o show s:a)" = a &&
	test_fsck "$TRASH/nb/r/o"
'

test_done
