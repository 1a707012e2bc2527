#!/bin/bash
test_description='bup save killed with SIGKILL: the branch, the repository and the next save'
. "$(dirname "$0")/lib.sh"

SRC=$TRASH/src
packs() { ls "$BUP_DIR"/objects/pack/*.pack 2>/dev/null | wc -l; }
# objects in all idx files (an object in two packs counts twice)
idx_total() {
	local n=0 f
	for f in "$BUP_DIR"/objects/pack/*.idx; do
		n=$((n + $(git show-index <"$f" | wc -l)))
	done
	echo $n
}
unique_total() { git --git-dir="$BUP_DIR" cat-file --batch-all-objects --batch-check | wc -l; }

test_expect_success 'setup: a first save, then a large input' '
	bup init >/dev/null 2>&1 &&
	git --git-dir="$BUP_DIR" config pack.packSizeLimit 8m &&
	mkdir -p "$SRC/small" && echo one >"$SRC/small/a" &&
	bup index -u "$SRC" && bup save -q -n k "$SRC" &&
	git --git-dir="$BUP_DIR" rev-parse k >before &&
	cp "$(test_data rand200m.bin)" "$SRC/big1" &&
	head -c 30000000 "$(test_data rand300m.bin)" >"$SRC/big2" &&
	for i in $(seq 1 50); do echo "file $i" >"$SRC/small/f$i"; done &&
	bup index -u "$SRC"
'

test_expect_success 'kill -9 after a pack is finished: branch unchanged, repository valid' '
	n0=$(packs) &&
	{ "$BUP_EXE" save -q -n k "$SRC" & pid=$!; } &&
	i=0 && while [ "$(packs)" -le "$n0" ] && [ $i -lt 400 ]; do
		sleep 0.02; i=$((i + 1))
	done &&
	kill -9 $pid && { wait $pid; test $? = 137; } &&
	test "$(packs)" -gt "$n0" &&
	git --git-dir="$BUP_DIR" rev-parse k >after &&
	test_cmp before after &&
	test_packs_complete &&
	test_fsck &&
	idx_total >durable
'

test_expect_success 'the next save completes and reuses the finished packs' '
	bup save -q -n k "$SRC" &&
	test_packs_complete --no-tmp && test_fsck &&
	test "$(git --git-dir="$BUP_DIR" rev-parse k^)" = "$(cat before)" &&
	test "$(idx_total)" = "$(unique_total)" &&
	test "$(cat durable)" -gt 0 &&
	git --git-dir="$BUP_DIR" ls-tree -r k >ls &&
	grep -q "small/f50$" ls && grep -q "big1.bup/" ls
'

test_expect_success ORACLE 'Debian bup restores the big files byte for byte' '
	"$ORACLE_BUP" restore -C out "/k/latest$SRC/big1" "/k/latest$SRC/big2" >/dev/null &&
	cmp out/big1 "$SRC/big1" && cmp out/big2 "$SRC/big2"
'

test_done
