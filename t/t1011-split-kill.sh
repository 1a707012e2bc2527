#!/bin/bash
test_description='split killed in the middle leaves a sound repository, and the next split reuses what was durable'
. "$(dirname "$0")/lib.sh"

no_tmpdirs() {
	if ls -d "${1:-$BUP_DIR}"/objects/pack-tmp-* 2>/dev/null; then
		echo "temporary pack directory left behind" >&2
		return 1
	fi
	return 0
}

# Objects in the packs of a repository (or in the idx files listed in $2).
count_objects() {
	local n=0 idx
	for idx in "$1"/objects/pack/*.idx; do
		test -f "$idx" || continue
		n=$((n + $(git show-index <"$idx" | wc -l)))
	done
	echo $n
}

# Start a split in the background; $SPLIT_PID is bup itself (no wrapper).
# The last argument is the input file: the split reads its first 120 MB
# through a pipe that then stays open, so the split is still running,
# blocked on its input, whenever the test kills it (no race with a fast
# split finishing first).  $FEED_PID is the process holding the pipe.
start_split() {
	local file=${!#}
	rm -f feed
	mkfifo feed || return 1
	( head -c 120000000 "$file"; exec sleep 300 ) >feed 2>/dev/null </dev/null &
	FEED_PID=$!
	"$BUP_EXE" split -q "${@:1:$(($# - 1))}" <feed >split.out 2>split.err &
	SPLIT_PID=$!
}

# Wait (up to 60s) until a complete pack has appeared in objects/pack,
# beyond the $1 there were before.  Fails if the split ends first.
wait_for_pack() {
	local before=$1 i=0
	while [ $i -lt 6000 ]; do
		if [ "$(ls "$BUP_DIR"/objects/pack/*.idx 2>/dev/null | wc -l)" -gt "$before" ]; then
			kill -0 $SPLIT_PID 2>/dev/null || { echo "split ended too soon" >&2; return 1; }
			return 0
		fi
		kill -0 $SPLIT_PID 2>/dev/null || { echo "split ended before a pack appeared" >&2; return 1; }
		sleep 0.01
		i=$((i + 1))
	done
	echo "no pack appeared" >&2
	return 1
}

# Wait until a temporary pack directory exists (a pack is being written).
wait_for_tmpdir() {
	local i=0
	while [ $i -lt 6000 ]; do
		if ls -d "$BUP_DIR"/objects/pack-tmp-* >/dev/null 2>&1; then
			kill -0 $SPLIT_PID 2>/dev/null || { echo "split ended too soon" >&2; return 1; }
			return 0
		fi
		kill -0 $SPLIT_PID 2>/dev/null || { echo "split ended before writing" >&2; return 1; }
		sleep 0.01
		i=$((i + 1))
	done
	echo "no temporary pack appeared" >&2
	return 1
}

# Kill the split with a signal and check it died of it.
kill_split() {
	local sig=$1 want=$2 rc
	kill -"$sig" $SPLIT_PID
	wait $SPLIT_PID
	rc=$?
	kill $FEED_PID 2>/dev/null
	wait $FEED_PID 2>/dev/null
	if [ $rc != "$want" ]; then
		echo "split exited $rc after SIG$sig, wanted $want" >&2
		cat split.err >&2
		return 1
	fi
	return 0
}

DATA=$(test_data rand200m.bin)

test_expect_success 'setup: a fresh split of the data, for comparison' '
	BUP_DIR=$TRASH/fresh "$BUP_EXE" init 2>/dev/null &&
	BUP_DIR=$TRASH/fresh "$BUP_EXE" split -q -n big --max-pack-size 2m "$DATA" &&
	count_objects fresh >fresh-count &&
	test "$(cat fresh-count)" -gt 100
'

test_expect_success 'setup: a repository whose branch has a previous commit' '
	bup init 2>/dev/null &&
	echo previous >small &&
	bup split -q -n big small &&
	git --git-dir="$BUP_DIR" rev-parse --verify big >prev &&
	count_objects "$BUP_DIR" >before-count
'

test_expect_success 'kill -9 after a pack is durable: sound repository, branch unchanged' '
	start_split -n big --max-pack-size 2m "$DATA" &&
	wait_for_pack 1 &&
	kill_split KILL 137 &&
	git --git-dir="$BUP_DIR" rev-parse --verify big >now &&
	test_cmp prev now &&
	test_packs_complete &&
	test_fsck &&
	count_objects "$BUP_DIR" >killed-count &&
	test "$(cat killed-count)" -gt "$(cat before-count)" &&
	echo $SPLIT_PID >killed-pid
'

test_expect_success 'the next split succeeds and reuses the durable packs' '
	ls "$BUP_DIR"/objects/pack/*.idx >idx-before &&
	bup split -q -n big --max-pack-size 2m "$DATA" &&
	ls "$BUP_DIR"/objects/pack/*.idx >idx-after &&
	n=0 &&
	for idx in $(comm -13 idx-before idx-after); do
		n=$((n + $(git show-index <"$idx" | wc -l)))
	done &&
	echo "new objects: $n, fresh split: $(cat fresh-count)" &&
	test "$n" -gt 0 &&
	test "$n" -lt "$(cat fresh-count)" &&
	test "$((n + $(cat killed-count) - $(cat before-count)))" -ge "$(cat fresh-count)" &&
	git --git-dir="$BUP_DIR" rev-parse --verify big^ >parent &&
	test_cmp prev parent &&
	test_packs_complete --no-tmp &&
	no_tmpdirs &&
	test_fsck
'

test_expect_success 'join gives back the original bytes' '
	bup join big >joined &&
	cmp "$DATA" joined &&
	rm joined &&
	bup join big^ >joined &&
	test_cmp small joined
'

test_expect_success 'the tree is the same as a fresh split of the data' '
	test "$(git --git-dir="$BUP_DIR" rev-parse big^{tree})" = \
		"$(git --git-dir=fresh rev-parse big^{tree})"
'

test_expect_success 'kill -9 of a split of a new branch leaves no branch' '
	start_split -n newbranch --max-pack-size 2m "$(test_data rand300m.bin)" &&
	wait_for_pack "$(ls "$BUP_DIR"/objects/pack/*.idx | wc -l)" &&
	kill_split KILL 137 &&
	test_must_fail git --git-dir="$BUP_DIR" rev-parse --verify -q refs/heads/newbranch &&
	test_packs_complete &&
	test_fsck &&
	echo $SPLIT_PID >killed-pid2
'

test_expect_success 'the stale temporary directory and files of the killed split are removed by the next split' '
	ls -d "$BUP_DIR"/objects/pack-tmp-$(cat killed-pid2)-* >stale 2>/dev/null ||
		: the kill may have fallen between two packs &&
	echo again >again &&
	bup split -q -n other again &&
	no_tmpdirs &&
	test_packs_complete --no-tmp
'

test_expect_success 'SIGTERM in the middle: exits by the signal, no temporary directory left' '
	git --git-dir="$BUP_DIR" rev-parse --verify big >prev2 &&
	start_split -n big --max-pack-size 2m "$(test_data rand300m.bin)" &&
	wait_for_tmpdir &&
	kill_split TERM 143 &&
	no_tmpdirs &&
	test_packs_complete &&
	git --git-dir="$BUP_DIR" rev-parse --verify big >now &&
	test_cmp prev2 now &&
	test_fsck
'

test_expect_success 'SIGINT in the middle: exits by the signal, no temporary directory left' '
	start_split -n big --max-pack-size 2m "$(test_data rand300m.bin)" &&
	wait_for_tmpdir &&
	kill_split INT 130 &&
	no_tmpdirs &&
	test_packs_complete &&
	git --git-dir="$BUP_DIR" rev-parse --verify big >now &&
	test_cmp prev2 now &&
	test_fsck
'

test_expect_success 'SIGTERM without max-pack-size (one big pack in progress) leaves nothing' '
	rm -rf one && BUP_DIR=$TRASH/one "$BUP_EXE" init 2>/dev/null &&
	BUP_DIR=$TRASH/one start_split -n b "$DATA" &&
	BUP_DIR=$TRASH/one wait_for_tmpdir &&
	kill_split TERM 143 &&
	no_tmpdirs one &&
	test -z "$(ls one/objects/pack)" &&
	test_must_fail git --git-dir=one rev-parse --verify -q refs/heads/b
'

# Packs are finished on a thread of their own while the next one fills:
# SIGTERM at any moment (here at 8 different delays, many 2 MB packs
# being finished) must still leave only whole packs with their idx and
# no temporary directory.
test_expect_success 'SIGTERM at eight moments while packs are being finished' '
	for d in 0 0.05 0.1 0.15 0.2 0.3 0.45 0.6; do
		start_split -n big --max-pack-size 2m "$(test_data rand300m.bin)" &&
		wait_for_tmpdir &&
		sleep $d &&
		kill_split TERM 143 &&
		no_tmpdirs &&
		test_packs_complete || return 1
	done &&
	git --git-dir="$BUP_DIR" rev-parse --verify big >now &&
	test_cmp prev2 now &&
	test_fsck
'

test_expect_success 'stale pack-tmp directories of dead processes are removed by the next split' '
	sh -c "exit 0" & deadpid=$! && wait $deadpid &&
	! kill -0 $deadpid 2>/dev/null &&
	stale=$BUP_DIR/objects/pack-tmp-$deadpid-AbCdEf &&
	mkdir "$stale" &&
	echo junk >"$stale/pack" &&
	echo junk >"$stale/idx" &&
	live=$BUP_DIR/objects/pack-tmp-$$-XyZxyZ &&
	mkdir "$live" &&
	echo busy >"$live/pack" &&
	echo stale-test >input &&
	bup split -q -n stale input &&
	test ! -e "$stale" &&
	test -f "$live/pack" &&
	rm -rf "$live" &&
	test_fsck
'

test_done
