#!/bin/bash
test_description='split, join and init fail cleanly: bad repositories, inputs, options, a full disk'
. "$(dirname "$0")/lib.sh"

# A hang (e.g. in usage output) must fail a test, not stall the run.
bup() { timeout 60 "$BUP_EXE" "$@"; }
oracle_bup() { timeout 60 "$ORACLE_BUP" "$@"; }

# The state a failed command must not change: refs and pack files.
snapshot() {
	{
		git --git-dir="$BUP_DIR" for-each-ref --format="%(refname) %(objectname)"
		ls -a "$BUP_DIR/objects" "$BUP_DIR/objects/pack"
	} >"$1"
}

test_expect_success 'missing BUP_DIR: exit 15, one line naming the path' '
	echo data >in &&
	test_expect_code 15 bup split -n x in >out 2>err &&
	test ! -s out &&
	test "$(wc -l <err)" = 1 &&
	grep -q "^error: .*$BUP_DIR.*does not exist" err &&
	test ! -e "$BUP_DIR"
'

test_expect_success ORACLE 'missing BUP_DIR: same exit code as bup 0.33' '
	test_expect_code 15 oracle_bup split -n x in >/dev/null 2>&1 &&
	test_expect_code 15 bup join x >/dev/null 2>err &&
	grep -q "$BUP_DIR" err
'

test_expect_success 'a plain directory as BUP_DIR: non-zero, one clear error' '
	mkdir plain &&
	test_must_fail env BUP_DIR=$TRASH/plain "$BUP_EXE" split -n x in >out 2>err &&
	test ! -s out &&
	test "$(wc -l <err)" = 1 &&
	grep -q "^error: .*$TRASH/plain.* not a repository" err &&
	test -z "$(ls -A plain)"
'

test_expect_success 'a file as BUP_DIR: non-zero, one clear error, file intact' '
	echo keep >afile &&
	test_must_fail env BUP_DIR=$TRASH/afile "$BUP_EXE" split -n x in >out 2>err &&
	test ! -s out &&
	test "$(wc -l <err)" = 1 &&
	grep -q "^error: .*$TRASH/afile.* not a repository" err &&
	test "$(cat afile)" = keep
'

test_expect_success 'setup: a repository with a branch' '
	bup init 2>/dev/null &&
	bup split -q -n keep "$(test_data rand100000.bin)" &&
	git --git-dir="$BUP_DIR" rev-parse --verify keep >before-ref &&
	test_fsck
'

test_expect_success 'nonexistent input file: one line naming it, nothing changed' '
	snapshot before &&
	test_must_fail bup split -q -n keep nosuchfile >out 2>err &&
	test ! -s out &&
	test "$(wc -l <err)" = 1 &&
	grep -q "^error: .*nosuchfile.*No such file or directory" err &&
	snapshot after &&
	test_cmp before after
'

test_expect_success 'a missing second input: nothing changed, not even the first file stored' '
	bup random -S 11 300k >first &&
	snapshot before &&
	test_must_fail bup split -q -n keep first nosuchfile >out 2>err &&
	test ! -s out &&
	test "$(wc -l <err)" = 1 &&
	grep -q "nosuchfile" err &&
	snapshot after &&
	test_cmp before after
'

test_expect_success UNPRIV 'unreadable input file: one line naming it, nothing changed' '
	echo secret >unreadable &&
	chmod 000 unreadable &&
	snapshot before &&
	test_must_fail as_unpriv "$BUP_EXE" split -q -n keep unreadable >out 2>err &&
	test ! -s out &&
	test "$(wc -l <err)" = 1 &&
	grep -q "^error: .*unreadable.*Permission denied" err &&
	snapshot after &&
	test_cmp before after
'

test_expect_success 'a directory as input: one line naming it, nothing changed' '
	mkdir adir &&
	snapshot before &&
	test_must_fail bup split -q -n keep adir >out 2>err &&
	test ! -s out &&
	head -n 1 err | grep -q "^error: .*adir.*Is a directory" &&
	! grep -v "^error: " err &&
	snapshot after &&
	test_cmp before after
'

test_expect_success 'a new branch is not created when the input is missing' '
	test_must_fail bup split -q -n newbranch nosuchfile 2>err &&
	test_must_fail git --git-dir="$BUP_DIR" rev-parse --verify -q newbranch
'

# A bad value: exit 97, the error line names the option, nothing changed.
bad_value() {
	local pattern=$1
	shift
	snapshot before &&
	test_expect_code 97 timeout 10 "$BUP_EXE" split "$@" >out 2>err &&
	test ! -s out &&
	grep -q "^usage: bup split" err &&
	tail -n 1 err >last &&
	grep -q "^error: " last &&
	grep -qi -- "$pattern" last || { cat err >&2; return 1; }
	snapshot after &&
	test_cmp before after
}

test_expect_success 'bad --max-pack-size value: exit 97 naming the option' '
	bad_value max-pack-size -n keep --max-pack-size=abc in
'

test_expect_success 'bad --max-pack-objects value: exit 97 naming the option' '
	bad_value max-pack-objects -n keep --max-pack-objects=lots in
'

test_expect_success 'bad --fanout value: exit 97 naming the option' '
	bad_value fanout -n keep --fanout=abc in
'

test_expect_success 'bad -d date: exit 97 naming the date' '
	bad_value "date.*notadate" -n keep -d notadate in
'

test_expect_success 'bad -n name: exit 97 naming the name' '
	bad_value "bad\.\.name" -n "bad..name" in &&
	bad_value "name" -n "a b" in &&
	bad_value "name" -n "x.lock" in
'

test_expect_success 'compression level out of range: exit 97 naming it' '
	bad_value compress --compress=12 -n keep in &&
	bad_value compress --compress=-1 -n keep in &&
	bad_value compress --compress=x -n keep in
'

test_expect_success 'a valid digit option -9 is accepted' '
	bup split -q -9 -n keep in &&
	git --git-dir="$BUP_DIR" rev-parse --verify keep >ref &&
	! test_cmp before-ref ref 2>/dev/null &&
	cp ref before-ref
'

test_expect_success 'split -r host:path is rejected clearly, nothing changed' '
	bad_value "remote" -r host:path -n keep in
'

test_expect_success 'an option missing its value: exit 97 naming it' '
	bad_value "option -n" in -n
'

test_expect_success 'join of an id that does not exist: exit 1 naming the id' '
	id=0123456789abcdef0123456789abcdef01234567 &&
	test_expect_code 1 bup join $id >out 2>err &&
	test ! -s out &&
	grep -q "^error: .*$id" err
'

test_expect_success 'join of an unknown name: exit 1 naming it' '
	test_expect_code 1 bup join no-such-branch >out 2>err &&
	test ! -s out &&
	grep -q "^error: .*no-such-branch" err
'

test_expect_success 'join of good and bad refs: the good data, then exit 1' '
	bup join keep >expect &&
	test_expect_code 1 bup join keep 0123456789abcdef0123456789abcdef01234567 >out 2>err &&
	test_cmp expect out &&
	grep -q 0123456789abcdef0123456789abcdef01234567 err
'

test_expect_success 'bup init twice is fine and keeps the branches' '
	bup init 2>err &&
	git --git-dir="$BUP_DIR" rev-parse --verify keep >ref &&
	test_cmp before-ref ref &&
	test_fsck
'

test_expect_success 'bup init over a non-empty non-repository directory refuses' '
	mkdir -p full/sub &&
	echo precious >full/file &&
	(cd full && find . -exec ls -ld {} + | sort) >before &&
	test_must_fail env BUP_DIR=$TRASH/full "$BUP_EXE" init >out 2>err &&
	test ! -s out &&
	grep -q "^error: .*$TRASH/full" err &&
	(cd full && find . -exec ls -ld {} + | sort) >after &&
	test_cmp before after
'

test_expect_success 'bup init over a file refuses and leaves the file alone' '
	echo precious >notadir &&
	test_must_fail env BUP_DIR=$TRASH/notadir "$BUP_EXE" init >out 2>err &&
	test ! -s out &&
	grep -q "^error: .*$TRASH/notadir" err &&
	test "$(cat notadir)" = precious
'

test_expect_success 'bup init in an empty directory works' '
	mkdir emptydir &&
	env BUP_DIR=$TRASH/emptydir "$BUP_EXE" init 2>err &&
	test -d emptydir/objects/pack &&
	test_fsck emptydir
'

test_expect_success TMPFS 'split onto a full disk: clear error, branch and packs intact' '
	mkdir mnt &&
	mount -t tmpfs -o size=2m none mnt &&
	{
		export BUP_DIR=$TRASH/mnt/bup &&
		bup init 2>/dev/null &&
		echo small >small &&
		bup split -q -n full small &&
		git --git-dir="$BUP_DIR" rev-parse --verify full >prev &&
		ls "$BUP_DIR/objects/pack" >packs-before &&
		test_must_fail bup split -q -n full "$(test_data rand5m.bin)" >out 2>err &&
		test ! -s out &&
		test "$(wc -l <err)" = 1 &&
		grep -q "^error: .*No space left on device" err &&
		grep -q "$TRASH/mnt/bup/objects/" err &&
		git --git-dir="$BUP_DIR" rev-parse --verify full >now &&
		test_cmp prev now &&
		test_packs_complete --no-tmp &&
		ls "$BUP_DIR/objects/pack" >packs-after &&
		test_cmp packs-before packs-after &&
		test_fsck &&
		bup join full >joined &&
		test_cmp small joined
	}
	rc=$?
	umount "$TRASH/mnt"
	exit $rc
'

test_expect_success TMPFS 'after a full disk, a split that fits still works' '
	mkdir mnt2 &&
	mount -t tmpfs -o size=2m none mnt2 &&
	{
		export BUP_DIR=$TRASH/mnt2/bup &&
		bup init 2>/dev/null &&
		test_must_fail bup split -q -n b "$(test_data rand5m.bin)" 2>err &&
		test_must_fail git --git-dir="$BUP_DIR" rev-parse --verify -q b &&
		test_packs_complete --no-tmp &&
		head -c 300000 "$(test_data rand5m.bin)" >part &&
		bup split -q -n b part &&
		bup join b >joined &&
		test_cmp part joined &&
		test_packs_complete --no-tmp &&
		test_fsck
	}
	rc=$?
	umount "$TRASH/mnt2"
	exit $rc
'

test_done
