#!/bin/bash
test_description='bup.bloom: golden bytes, in-place updates, the same bytes as bup 0.33, -c, --ruin, rebuilds, kill -9 (FORMATS-1 5, 7.4, 7.6)'
. "$(dirname "$0")/lib.sh"
. "$TEST_ROOT/t/lib-packs.sh"

# bloom_names FILE: the idx names at the end of a bloom file, one a line
bloom_names() {
	local bits=$((16#$(hexat "$1" 8 2)))
	{ tail -c +$((16 + (1 << bits) + 1)) "$1" | tr '\0' '\n'; echo; }
}
# bloom_table FILE: header and table, without the names
bloom_table() {
	local bits=$((16#$(hexat "$1" 8 2)))
	head -c $((16 + (1 << bits))) "$1"
}
A0507=a0507d14099ccb1076ff8b2cc3016a0efac52333
# the idx of the 5-split repository, in the order the bloom got them
CREATION="pack-bd76b48453e120dd47b6a6c612b8de7401bc6dc6.idx
pack-19d1473ce510f5d29c63c2055f6325bab6df6047.idx
pack-2bc1cd1a44668f30a021c7c323eb65592da4da28.idx
pack-9edc5bfe39682781c70e0d66c6d881eb27113530.idx
pack-337e27e475c2cbbafff131136f4f6ab64289c384.idx"

test_expect_success 'setup' '
	mkdir in &&
	for f in one.bin zero100k.bin rand100000.bin seq200k.txt rand5m.bin; do
		ln -s "$(test_data $f)" in/$f || return 1
	done
'

test_expect_success 'split -t one.bin: bup.bloom is the golden 73 bytes (FORMATS-1 7.4)' '
	mkrepo one zlib &&
	BUP_DIR=$TRASH/one bup split -q -t in/one.bin >/dev/null &&
	B=$(pk one)/bup.bloom &&
	test $(wc -c <"$B") = 73 &&
	hexat "$B" 0 73 >got &&
	{ printf "%s" 424c4f4d 00000002 0003 0005 00000002 900802004001010a; printf "pack-c223be5129dd5b0d3c6584f1219d720037ac049d.idx" | od -An -tx1 -v | tr -d " \n"; } >want &&
	echo >>got && echo >>want &&
	test_cmp want got
'

test_expect_success 'five splits: made after pack 1 (bits 11, k 5), then updated: 0x275 0x338 0x344 0x346 0x347, sha1 a0507d14…' '
	mkrepo r4 zlib &&
	for f in $FIVE; do
		BUP_DIR=$TRASH/r4 bup split -q -b in/$f >/dev/null &&
		{ hexat "$(pk r4)"/bup.bloom 0 16; echo; } >>hdrs || return 1
	done &&
	for e in 0275 0338 0344 0346 0347; do
		echo 424c4f4d00000002000b00050000$e
	done >want &&
	test_cmp want hdrs &&
	test $(wc -c <"$(pk r4)"/bup.bloom) = 2313 &&
	sha "$(pk r4)"/bup.bloom >got && echo $A0507 >want && test_cmp want got &&
	echo "$CREATION" >want && bloom_names "$(pk r4)"/bup.bloom >got && test_cmp want got &&
	cp -a r4 r4.base && rm "$(pk r4.base)"/bup.bloom
'

test_expect_success 'bup bloom with nothing new leaves the file alone' '
	BUP_DIR=$TRASH/r4 bup bloom &&
	sha "$(pk r4)"/bup.bloom >got && echo $A0507 >want && test_cmp want got
'

test_expect_success 'bup bloom -f: the same table, the names in directory order' '
	cp -a r4 r4f &&
	BUP_DIR=$TRASH/r4f bup bloom -f &&
	bloom_table "$(pk r4f)"/bup.bloom >got && bloom_table "$(pk r4)"/bup.bloom >want &&
	cmp want got &&
	(cd "$(pk r4f)" && ls -U | grep "\.idx$") >want &&
	bloom_names "$(pk r4f)"/bup.bloom >got && test_cmp want got
'

test_expect_success 'bup bloom -f -k 4 -o k4.bloom: golden (bf690a9b… with the names in the golden order)' '
	BUP_DIR=$TRASH/r4 bup bloom -f -k 4 -o "$TRASH/k4.bloom" &&
	test "$(hexat k4.bloom 0 16)" = 424c4f4d00000002000b000400000347 &&
	test $(wc -c <k4.bloom) = 2313 &&
	{ bloom_table k4.bloom; printf "%s\0" pack-9edc5bfe39682781c70e0d66c6d881eb27113530.idx pack-bd76b48453e120dd47b6a6c612b8de7401bc6dc6.idx pack-337e27e475c2cbbafff131136f4f6ab64289c384.idx pack-2bc1cd1a44668f30a021c7c323eb65592da4da28.idx; printf pack-19d1473ce510f5d29c63c2055f6325bab6df6047.idx; } | sha1sum | cut -c1-40 >got &&
	echo bf690a9b82493fca81270636b98b35291fe8415f >want && test_cmp want got &&
	bloom_names k4.bloom | sort >got && echo "$CREATION" | sort >want && test_cmp want got &&
	(cd "$(pk r4)" && ls -U | grep "\.idx$") >want &&
	bloom_names k4.bloom >got && test_cmp want got
'

test_expect_success 'an older bloom plus two idx: bup bloom adds them in place (a0507d14… again)' '
	mkrepo inc zlib &&
	for f in rand5m.bin seq200k.txt rand100000.bin; do
		BUP_DIR=$TRASH/inc bup split -q -b in/$f >/dev/null || return 1
	done &&
	cp "$(pk inc)"/bup.bloom old3.bloom &&
	for f in zero100k.bin one.bin; do
		BUP_DIR=$TRASH/inc bup split -q -b in/$f >/dev/null || return 1
	done &&
	cp old3.bloom "$(pk inc)"/bup.bloom &&
	cp -a inc inc.base &&
	BUP_DIR=$TRASH/inc bup bloom &&
	test "$(hexat "$(pk inc)"/bup.bloom 8 8)" = 000b000500000347 &&
	bloom_names "$(pk inc)"/bup.bloom | head -3 >got && echo "$CREATION" | head -3 >want &&
	test_cmp want got &&
	bloom_table "$(pk inc)"/bup.bloom >got && bloom_table "$(pk r4)"/bup.bloom >want &&
	cmp want got
'

test_expect_success 'a small bloom that would pass 1% false positives is regenerated bigger' '
	mkrepo fp zlib &&
	BUP_DIR=$TRASH/fp bup split -q -b in/one.bin >/dev/null &&
	test "$(hexat "$(pk fp)"/bup.bloom 8 8)" = 0002000500000001 &&
	mkrepo big zlib &&
	BUP_DIR=$TRASH/big bup split -q -b in/rand5m.bin >/dev/null &&
	cp "$(pk big)"/pack-* "$(pk fp)"/ &&
	cp -a fp fp.base &&
	BUP_DIR=$TRASH/fp bup bloom &&
	test "$(hexat "$(pk fp)"/bup.bloom 8 8)" = 000b000500000276 &&
	for i in "$(pk fp)"/*.idx; do
		BUP_DIR=$TRASH/fp bup bloom -c $i 2>err && grep "All tests passed" err &&
		! grep "does not contain" err || return 1
	done
'

test_expect_success 'a bloom listing a deleted idx is regenerated when an idx is added' '
	cp -a r4 del &&
	rm "$(pk del)"/pack-2bc1cd1a44668f30a021c7c323eb65592da4da28.* &&
	BUP_DIR=$TRASH/del bup bloom &&
	test "$(hexat "$(pk del)"/bup.bloom 12 4)" = 00000347 &&
	mkrepo extra zlib &&
	BUP_DIR=$TRASH/extra bup split -q -9 -b in/one.bin >/dev/null &&
	! test -e "$(pk del)/$(cd "$(pk extra)" && ls *.idx)" &&
	cp "$(pk extra)"/pack-* "$(pk del)"/ &&
	cp -a del del.base &&
	BUP_DIR=$TRASH/del bup bloom &&
	test "$(hexat "$(pk del)"/bup.bloom 8 8)" = 000b00050000033c &&
	! bloom_names "$(pk del)"/bup.bloom | grep 2bc1cd1a &&
	bloom_names "$(pk del)"/bup.bloom | sort >got &&
	(cd "$(pk del)" && ls *.idx) >want && test_cmp want got
'

test_expect_success ORACLE 'the same idx files give the oracle'"'"'s bloom bytes' '
	onboth r4 "\$BUP bloom" &&
	onboth r4 "\$BUP bloom -f -k 4" &&
	onboth r4 "\$BUP bloom -k 4 && \$BUP bloom -f -k 5" &&
	onboth r4 "\$BUP bloom -o x.bloom -k 4 && \$BUP bloom -d . -o y.bloom" &&
	onboth inc "\$BUP bloom" &&
	onboth inc "\$BUP bloom -k 4" &&
	onboth fp "\$BUP bloom" &&
	onboth del "\$BUP bloom"
'

test_expect_success ORACLE 'our blooms pass oracle_bup bloom -c for every idx' '
	for i in "$(pk r4)"/*.idx; do
		BUP_DIR=$TRASH/r4 oracle_bup bloom -c "$i" 2>err &&
		grep "All tests passed" err && ! grep "does not contain" err &&
		BUP_DIR=$TRASH/r4 oracle_bup bloom -o "$TRASH/k4.bloom" -c "$i" 2>err &&
		grep "All tests passed" err && ! grep "does not contain" err || return 1
	done &&
	for i in "$(pk fp)"/*.idx; do
		BUP_DIR=$TRASH/fp oracle_bup bloom -c "$i" 2>err &&
		grep "All tests passed" err && ! grep "does not contain" err || return 1
	done
'

test_expect_success ORACLE 'an oracle-made bloom (a0507d14…) passes our bloom -c; we add to it as the oracle would' '
	orepo o4 &&
	git --git-dir="$TRASH/o4" config bup.packCompressor zlib &&
	for f in rand5m.bin seq200k.txt rand100000.bin zero100k.bin; do
		BUP_DIR=$TRASH/o4 oracle_bup split -q -b in/$f >/dev/null || return 1
	done &&
	for i in "$(pk o4)"/*.idx; do
		BUP_DIR=$TRASH/o4 bup bloom -c "$i" 2>err &&
		grep "All tests passed" err && ! grep "does not contain" err || return 1
	done &&
	BUP_DIR=$TRASH/o4 bup split -q -b in/one.bin >/dev/null &&
	sha "$(pk o4)"/bup.bloom >got && echo $A0507 >want && test_cmp want got
'

test_expect_success '--ruin zeroes the table: bup bloom -c fails naming a missing object' '
	cp -a r4 ruin &&
	BUP_DIR=$TRASH/ruin bup bloom --ruin &&
	bloom_table "$(pk ruin)"/bup.bloom | tail -c 2048 | tr -d "\0" | wc -c >got &&
	echo 0 >want && test_cmp want got &&
	bloom_names "$(pk ruin)"/bup.bloom >got && echo "$CREATION" >want && test_cmp want got &&
	test_expect_code 1 env BUP_DIR=$TRASH/ruin "$BUP_EXE" bloom -c "$(pk ruin)"/pack-337e27e475c2cbbafff131136f4f6ab64289c384.idx 2>err &&
	grep "2e65efe2a145dda7ee51d1741299f848e5bf752e missing" err &&
	! grep "All tests passed" err
'

test_expect_success ORACLE 'the oracle also finds our ruined bloom wrong' '
	test_expect_code 1 env BUP_DIR=$TRASH/ruin "$ORACLE_BUP" bloom -c "$(pk ruin)"/pack-337e27e475c2cbbafff131136f4f6ab64289c384.idx 2>err &&
	grep "2e65efe2a145dda7ee51d1741299f848e5bf752e missing" err
'

# corrupt NAME HOW: damage bup.bloom of a copy of r4 as HOW says
corrupt() {
	local b=$(pk $1)/bup.bloom
	case $2 in
	magic) printf XLOM | dd of="$b" conv=notrunc 2>/dev/null ;;
	version) printf "\0\0\0\3" | dd of="$b" bs=1 seek=4 conv=notrunc 2>/dev/null ;;
	k3) printf "\0\3" | dd of="$b" bs=1 seek=10 conv=notrunc 2>/dev/null ;;
	bits) printf "\0\36" | dd of="$b" bs=1 seek=8 conv=notrunc 2>/dev/null ;;
	short) truncate -s 1000 "$b" ;;
	header) truncate -s 10 "$b" ;;
	empty) : >"$b" ;;
	esac
}

test_expect_success 'bup bloom rebuilds an invalid bloom (bad magic, version, k, bits, cut short, empty)' '
	cp -a r4 ref && BUP_DIR=$TRASH/ref bup bloom -f &&
	for how in magic version k3 bits short header empty; do
		rm -rf bad && cp -a r4 bad && corrupt bad $how &&
		BUP_DIR=$TRASH/bad bup bloom 2>err &&
		cmp "$(pk ref)"/bup.bloom "$(pk bad)"/bup.bloom &&
		BUP_DIR=$TRASH/bad bup bloom -c "$(pk bad)"/pack-337e27e475c2cbbafff131136f4f6ab64289c384.idx 2>err &&
		grep "All tests passed" err || { echo "case $how" >&2; return 1; }
	done
'

test_expect_success 'bup bloom -c: an invalid bloom fails naming it; an idx it lacks, or no bloom at all, is said so' '
	rm -rf bad && cp -a r4 bad && corrupt bad magic &&
	test_expect_code 1 env BUP_DIR=$TRASH/bad "$BUP_EXE" bloom -c "$(pk bad)"/pack-337e27e475c2cbbafff131136f4f6ab64289c384.idx 2>err &&
	grep "bup.bloom" err &&
	cp -a one nob && rm "$(pk nob)"/bup.bloom &&
	BUP_DIR=$TRASH/nob bup bloom -c "$(ls "$(pk nob)"/*.idx)" 2>err &&
	grep "does not exist" err &&
	BUP_DIR=$TRASH/one bup bloom -c "$(pk r4)"/pack-bd76b48453e120dd47b6a6c612b8de7401bc6dc6.idx 2>err &&
	grep "does not contain the idx" err
'

test_expect_success ORACLE 'bup bloom -c messages are the oracle'"'"'s (repository-relative names)' '
	I=pack-337e27e475c2cbbafff131136f4f6ab64289c384.idx &&
	for r in r4 ruin; do
		BUP_DIR=$TRASH/$r bup bloom -c "$(pk $r)/$I" 2>ours; echo $? >>ours
		BUP_DIR=$TRASH/$r oracle_bup bloom -c "$(pk $r)/$I" 2>theirs; echo $? >>theirs
		test_cmp theirs ours || return 1
	done
'

test_expect_success 'bad options: -k 3 and -k 6 exit 97, a positional argument exits 97' '
	test_expect_code 97 env BUP_DIR=$TRASH/r4 "$BUP_EXE" bloom -k 3 2>err &&
	grep "^usage: bup bloom" err && grep "k values of 4 and 5" err &&
	test_expect_code 97 env BUP_DIR=$TRASH/r4 "$BUP_EXE" bloom -f -k 6 2>/dev/null &&
	test_expect_code 97 env BUP_DIR=$TRASH/r4 "$BUP_EXE" bloom foo 2>/dev/null &&
	sha "$(pk r4)"/bup.bloom >got && echo $A0507 >want && test_cmp want got
'

test_expect_success ORACLE 'bad options: the same exit code and stderr as the oracle' '
	for args in "-k 3" "-k 6" "foo"; do
		BUP_DIR=$TRASH/r4 bup bloom $args 2>ours; echo $? >>ours &&
		BUP_DIR=$TRASH/r4 oracle_bup bloom $args 2>theirs; echo $? >>theirs &&
		test_cmp theirs ours || return 1
	done
'

# valid_bloom REPO: bup.bloom, if any, opens, and the first and last idx it
# names are in it
valid_bloom() {
	local b=$(pk $1)/bup.bloom n
	test -e "$b" || return 0
	bloom_names "$b" >names || return 1
	test -s names || { echo "$b: no names" >&2; return 1; }
	for n in $(head -1 names) $(tail -1 names); do
		test -e "$(pk $1)/$n" || continue
		BUP_DIR=$TRASH/$1 bup bloom -c "$(pk $1)/$n" >/dev/null 2>err &&
		grep -q "All tests passed" err && ! grep -q "does not contain" err || {
			echo "$b: bad for $n" >&2; cat err >&2; return 1; }
	done
}

test_expect_success 'kill -9 during a split with bloom and midx maintenance after each pack' '
	mkrepo kill &&
	bup random -S 6 16M >r16.bin &&
	for d in 0.4 0.9 1.5; do
		BUP_DIR=$TRASH/kill "$BUP_EXE" split -q -b --max-pack-objects 10 r16.bin >/dev/null 2>&1 & pid=$!
		sleep $d
		kill -9 $pid; wait $pid
		valid_bloom kill &&
		for m in "$(pk kill)"/*.midx; do
			test -e "$m" || continue
			BUP_DIR=$TRASH/kill bup midx --check "$m" >/dev/null 2>&1 || {
				echo "$m is broken" >&2; return 1; }
		done || return 1
	done &&
	BUP_DIR=$TRASH/kill bup split -q -b --max-pack-objects 10 r16.bin >/dev/null &&
	test $(ls "$(pk kill)"/*.idx | wc -l) -ge 200 &&
	valid_bloom kill &&
	test "$(hexat "$(pk kill)"/bup.bloom 12 4)" = "$(printf %08x $(for i in "$(pk kill)"/*.idx; do count $i; done | awk "{s+=\$1} END {print s}"))"
'

test_expect_success 'kill -9 during bup bloom -f leaves no half-written bup.bloom; the next run makes it whole' '
	killed=0 &&
	for i in $(seq 0 29); do
		BUP_DIR=$TRASH/kill "$BUP_EXE" bloom -f 2>/dev/null & pid=$!
		sleep $(printf "0.%03d" $((i * 2)))
		kill -9 $pid 2>/dev/null
		wait $pid; rc=$?
		test $rc = 137 && killed=$((killed + 1))
		valid_bloom kill || { echo "iteration $i" >&2; return 1; }
	done &&
	echo "killed $killed of 30 runs" &&
	test $killed -ge 1 &&
	(cd "$(pk kill)" && ls) | grep -v "\.pack$\|\.idx$\|\.midx$\|^bup\.bloom$" >left || : &&
	cat left &&
	! grep -v "\.tmp-" left &&
	BUP_DIR=$TRASH/kill bup bloom -f 2>/dev/null && valid_bloom kill &&
	(cd "$(pk kill)" && ls -U | grep "\.idx$") >want &&
	bloom_names "$(pk kill)"/bup.bloom >got && test_cmp want got
'

test_done
