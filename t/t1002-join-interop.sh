#!/bin/bash
test_description='bup join gives back what bup split stored, and both work with bup 0.33 repositories'
. "$(dirname "$0")/lib.sh"

g() { git --git-dir="$BUP_DIR" "$@"; }
FILES="empty.bin one.bin zero100k.bin rand100000.bin seq200k.txt yesdi100k.bin rand5m.bin readbound.bin"

test_expect_success 'setup' '
	bup init 2>/dev/null &&
	mkdir in &&
	for f in $FILES; do
		ln -s "$(test_data $f)" in/$f || return 1
	done
'

test_expect_success 'split -n NAME then join NAME gives the bytes back, for each input' '
	for f in $FILES; do
		bup split -q -n b-$f in/$f &&
		bup join b-$f >out &&
		cmp in/$f out || { echo "$f differs"; return 1; }
	done
'

test_expect_success 'join of the -t tree id and of the commit id (split -c)' '
	for f in one.bin rand100000.bin seq200k.txt rand5m.bin; do
		bup split -q -t in/$f >t &&
		bup join $(cat t) >out && cmp in/$f out &&
		bup split -q -c in/$f >c &&
		bup join $(cat c) >out && cmp in/$f out || { echo "$f differs"; return 1; }
	done
'

test_expect_success 'split -b | join (ids on stdin) gives the bytes back' '
	for f in empty.bin one.bin zero100k.bin seq200k.txt readbound.bin; do
		bup split -q -b in/$f >ids &&
		bup join <ids >out &&
		cmp in/$f out || { echo "$f differs"; return 1; }
	done
'

test_expect_success 'a single blob id and several ids on the command line' '
	bup split -q -b in/rand100000.bin >ids &&
	test $(wc -l <ids) = 12 &&
	bup join $(sed -n 1p ids) >first &&
	test $(g cat-file -s $(sed -n 1p ids)) = $(wc -c <first) &&
	cmp first in/rand100000.bin 2>&1 | grep -q EOF &&
	bup join $(cat ids) >out && cmp in/rand100000.bin out &&
	bup join b-one.bin b-rand100000.bin b-one.bin >out &&
	cat in/one.bin in/rand100000.bin in/one.bin >want &&
	cmp want out
'

test_expect_success 'split from stdin, then join' '
	cat in/seq200k.txt | bup split -q -n piped &&
	bup join piped >out && cmp in/seq200k.txt out &&
	bup split -q -b <in/rand5m.bin | bup join >out && cmp in/rand5m.bin out
'

test_expect_success 'join -o FILE writes the file (created, then truncated) and nothing on stdout' '
	bup join -o out.bin b-rand100000.bin >stdout &&
	! test -s stdout &&
	cmp in/rand100000.bin out.bin &&
	bup join -o out.bin b-one.bin >stdout &&
	cmp in/one.bin out.bin &&
	bup split -q -b in/seq200k.txt | bup join -o out2.bin &&
	cmp in/seq200k.txt out2.bin
'

test_expect_success 'branch expressions: NAME~1 and refs/heads/NAME' '
	bup split -q -n multi in/one.bin &&
	bup split -q -n multi in/yesdi100k.bin &&
	bup join multi~1 >out && cmp in/one.bin out &&
	bup join refs/heads/multi >out && cmp in/yesdi100k.bin out
'

test_expect_success 'split --keep-boundaries of several files joins to their concatenation' '
	bup split -q -n several --keep-boundaries in/one.bin in/rand100000.bin in/yesdi100k.bin &&
	bup join several >out &&
	cat in/one.bin in/rand100000.bin in/yesdi100k.bin >want &&
	cmp want out &&
	bup split -q -n several2 in/rand100000.bin in/zero100k.bin &&
	bup join several2 >out &&
	cat in/rand100000.bin in/zero100k.bin >want &&
	cmp want out
'

test_expect_success 'join of a nonexistent id or name exits 1 with an error line naming it' '
	test_expect_code 1 bup join 0123456789abcdef0123456789abcdef01234567 >out 2>err &&
	! test -s out &&
	grep "0123456789abcdef0123456789abcdef01234567" err &&
	test_expect_code 1 bup join no-such-branch >out 2>err &&
	! test -s out &&
	grep "no-such-branch" err &&
	echo 0123456789abcdef0123456789abcdef01234567 | test_expect_code 1 bup join >out 2>err &&
	grep "0123456789abcdef0123456789abcdef01234567" err
'

test_expect_success 'our repository is clean' '
	test_fsck
'

# A repository made by us, written to by both programs.
test_expect_success ORACLE 'shared repo made by us: the oracle splits into it, we join' '
	export BUP_DIR=$TRASH/shared1 &&
	bup init 2>/dev/null &&
	oracle_bup split -q -n theirs in/rand5m.bin &&
	oracle_bup split -q -n theirs2 in/readbound.bin &&
	oracle_bup split -q -b in/seq200k.txt >ids &&
	bup join theirs >out && cmp in/rand5m.bin out &&
	bup join theirs2 >out && cmp in/readbound.bin out &&
	bup join <ids >out && cmp in/seq200k.txt out &&
	test_fsck
'

test_expect_success ORACLE 'shared repo made by us: we split into it, the oracle joins' '
	export BUP_DIR=$TRASH/shared1 &&
	bup split -q -n ours in/rand100000.bin &&
	bup split -q -n ours in/seq200k.txt &&
	bup split -q -b in/zero100k.bin >ids &&
	bup split -q -t in/readbound.bin >tree &&
	oracle_bup join ours >out && cmp in/seq200k.txt out &&
	oracle_bup join ours~1 >out && cmp in/rand100000.bin out &&
	oracle_bup join <ids >out && cmp in/zero100k.bin out &&
	oracle_bup join $(cat tree) >out && cmp in/readbound.bin out &&
	test_fsck
'

test_expect_success ORACLE 'the oracle ls and cat-file see our branches and data' '
	export BUP_DIR=$TRASH/shared1 &&
	bup split -q -n small in/one.bin &&
	oracle_bup ls >branches &&
	for b in ours small theirs theirs2; do grep -qx $b branches || { echo "no $b"; return 1; }; done &&
	oracle_bup ls ours >commits &&
	grep -qx latest commits &&
	test $(grep -c "^[0-9]\{4\}-" commits) = 2 &&
	oracle_bup ls ours/latest >files &&
	echo data >want && test_cmp want files &&
	oracle_bup ls -l small/latest >long &&
	grep -q " 1 .* data$" long &&
	oracle_bup cat-file ours/latest/data >out && cmp in/seq200k.txt out &&
	oracle_bup cat-file small/latest/data >out && cmp in/one.bin out
'

test_expect_success ORACLE 'the oracle reads data we wrote to a repository it made' '
	export BUP_DIR=$TRASH/shared2 &&
	oracle_bup init >/dev/null 2>&1 &&
	bup split -q -n ours in/rand5m.bin &&
	bup split -q -n ours --keep-boundaries in/one.bin in/yesdi100k.bin &&
	oracle_bup join ours~1 >out && cmp in/rand5m.bin out &&
	oracle_bup join ours >out && cat in/one.bin in/yesdi100k.bin >want && cmp want out &&
	oracle_bup split -q -n theirs in/seq200k.txt &&
	bup join theirs >out && cmp in/seq200k.txt out &&
	bup join ours~1 >out && cmp in/rand5m.bin out &&
	test_fsck
'

test_expect_success ORACLE 'both programs dedup against each other (no new pack for data the other stored)' '
	export BUP_DIR=$TRASH/shared2 &&
	ls "$BUP_DIR"/objects/pack/*.pack >before &&
	bup split -q -b in/seq200k.txt >/dev/null &&
	oracle_bup split -q -b in/rand5m.bin >/dev/null &&
	ls "$BUP_DIR"/objects/pack/*.pack >after &&
	test_cmp before after
'

test_expect_success ORACLE 'the oracle join of a missing id fails too' '
	export BUP_DIR=$TRASH/shared2 &&
	test_must_fail oracle_bup join 0123456789abcdef0123456789abcdef01234567 >out 2>err &&
	! test -s out &&
	test_expect_code 1 bup join 0123456789abcdef0123456789abcdef01234567 >out 2>err &&
	! test -s out
'

test_done
