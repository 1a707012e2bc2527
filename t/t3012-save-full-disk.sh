#!/bin/bash
test_description='bup index and bup save onto a full disk: one line naming the file, exit 1, nothing lost, no temporary file left'
. "$(dirname "$0")/lib.sh"

# The repository lives on a 3 MB tmpfs; the tree to save lives beside it.
SRC=$TRASH/src
MNT=$TRASH/mnt
# nothing in BUP_DIR but what git and bup keep there
stray() { find "$BUP_DIR" -maxdepth 2 -name "*tmp*" | grep . ; }
ours_git() { git --git-dir="$BUP_DIR" "$@"; }

test_expect_success TMPFS 'setup: a first save that fits' '
	mkdir -p "$SRC/sub" "$MNT" &&
	mount -t tmpfs -o size=3m none "$MNT" &&
	export BUP_DIR=$MNT/bup &&
	bup init 2>/dev/null &&
	for i in 1 2 3; do echo "file $i" >"$SRC/f$i" || return 1; done &&
	echo deeper >"$SRC/sub/g" &&
	bup index "$SRC" >/dev/null &&
	bup save -q -n s "$SRC" &&
	ours_git rev-parse --verify s >ref.before
'

test_expect_success TMPFS 'save of a file bigger than the disk: one line naming the pack, exit 1, branch unchanged' '
	export BUP_DIR=$MNT/bup &&
	bup random 20M >"$SRC/big" &&
	bup index "$SRC" >/dev/null &&
	test_expect_code 1 bup save -q -n s "$SRC" >out 2>err &&
	test ! -s out &&
	cat err &&
	test "$(wc -l <err)" = 1 &&
	grep -q "^error: cannot write .$MNT/bup/objects/.*: No space left on device$" err &&
	ours_git rev-parse --verify s >ref.now &&
	test_cmp ref.before ref.now &&
	test_packs_complete --no-tmp &&
	! stray &&
	test_fsck
'

test_expect_success TMPFS 'with the big file gone, the next save completes and restores' '
	export BUP_DIR=$MNT/bup &&
	rm "$SRC/big" && echo "file 4" >"$SRC/f4" &&
	bup index "$SRC" >/dev/null &&
	bup save -q -n s "$SRC" &&
	test "$(ours_git rev-list s | wc -l)" = 2 &&
	bup restore -C restored "s/latest$SRC/" >/dev/null &&
	diff -r "$SRC" restored &&
	test_packs_complete --no-tmp &&
	test_fsck
'

test_expect_success TMPFS 'index onto a full disk: one line naming the file, exit 1, the index still reads, nothing left' '
	export BUP_DIR=$MNT/bup &&
	dd if=/dev/zero of="$MNT/filler" bs=64k 2>/dev/null;
	for i in $(seq 1 300); do echo "$i" >"$SRC/sub/n$i" || return 1; done &&
	test_expect_code 1 bup index "$SRC" >out 2>err &&
	cat err &&
	test "$(wc -l <err)" = 1 &&
	grep -q "^error: cannot write .$MNT/bup/bupindex.*: No space left on device$" err &&
	! stray &&
	bup index -p "$SRC" >listed &&
	grep -qx "$SRC/f4" listed &&
	! grep -q "n1$" listed
'

test_expect_success TMPFS 'with space again, index and save take the new files' '
	export BUP_DIR=$MNT/bup &&
	rm "$MNT/filler" &&
	bup index "$SRC" >/dev/null &&
	bup index -p "$SRC" >listed &&
	grep -qx "$SRC/sub/n300" listed &&
	bup save -q -n s "$SRC" &&
	test "$(ours_git show "s:${SRC#/}/sub/n300")" = 300 &&
	test_fsck
'

test_expect_success TMPFS 'cleanup: unmount' '
	umount "$MNT"
'

test_done
