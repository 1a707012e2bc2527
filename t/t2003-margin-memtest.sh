#!/bin/bash
test_description='bup margin, bup memtest and bup list-idx against bup 0.33 on idx and midx repositories'
. "$(dirname "$0")/lib.sh"

mkrepo() {
	BUP_DIR=$TRASH/$1 bup init 2>/dev/null &&
	git --git-dir="$TRASH/$1" config bup.packCompressor zlib
}
orepo() { BUP_DIR=$TRASH/$1 oracle_bup init >/dev/null 2>&1; }
pk() { echo "$TRASH/$1/objects/pack"; }

FIVE="rand5m.bin seq200k.txt rand100000.bin zero100k.bin one.bin"
# repositories: r4 = the five splits and a midx over them (FORMATS-1 7.6),
# r4i = the same without the midx, roll = rand5m in 7 packs (auto midx),
# dup = one.bin stored in two packs (an id twice in the midx)
REPOS="r4 r4i dup roll"

test_expect_success 'setup' '
	mkdir in &&
	for f in one.bin zero100k.bin rand100000.bin seq200k.txt rand5m.bin; do
		ln -s "$(test_data $f)" in/$f || return 1
	done &&
	mkrepo r4 &&
	for f in $FIVE; do
		BUP_DIR=$TRASH/r4 bup split -q -b in/$f >/dev/null || return 1
	done &&
	cp -a r4 r4i &&
	BUP_DIR=$TRASH/r4 bup midx -f &&
	M=$(ls "$(pk r4)"/*.midx) && echo "$M" >r4.midx &&
	test "$(sha1sum <"$M" | cut -c1-40)" = 2b3da40fec47f823559f9f46cbdbb2968d7aac96 &&
	mkrepo roll &&
	BUP_DIR=$TRASH/roll bup split -q -b --max-pack-objects 100 in/rand5m.bin >/dev/null &&
	ls "$(pk roll)"/*.midx &&
	mkrepo dup &&
	BUP_DIR=$TRASH/dup bup split -q -t in/one.bin >/dev/null &&
	mkrepo dup9 &&
	BUP_DIR=$TRASH/dup9 bup split -q -9 -t in/one.bin >/dev/null &&
	cp "$(pk dup9)"/pack-* "$(pk dup)"/ &&
	BUP_DIR=$TRASH/dup bup split -q -b in/rand100000.bin >/dev/null &&
	BUP_DIR=$TRASH/dup bup midx -f &&
	ls "$(pk dup)"/*.midx >dup.midx &&
	test $(bup list-idx "$(cat dup.midx)" | wc -l) = 16
'

test_expect_success 'bup margin on the 5-split repository: 20 bits, bup'"'"'s report' '
	BUP_DIR=$TRASH/r4 bup margin >out 2>err &&
	echo 20 >want && test_cmp want out &&
	cat >want <<-\EOF &&
	20 matching prefix bits
	2.06 bits per doubling
	140 bits (67.99 doublings) remaining
	2.9264e+20 times larger is possible

	Everyone on earth could have 43677615728 data sets like yours, all in one
	repository, and we would expect 1 object collision.
	EOF
	test_cmp want err &&
	BUP_DIR=$TRASH/r4i bup margin >out2 2>err2 &&
	test_cmp out out2 && test_cmp err err2 &&
	BUP_DIR=$TRASH/r4 bup margin --ignore-midx >out2 2>err2 &&
	test_cmp out out2 && test_cmp err err2
'

test_expect_success 'bup margin on 629 objects: bup'"'"'s figures (log(n, 2), not log2(n))' '
	BUP_DIR=$TRASH/roll bup margin >out 2>err &&
	echo 16 >want && test_cmp want out &&
	cat >want <<-\EOF &&
	16 matching prefix bits
	1.72 bits per doubling
	144 bits (83.67 doublings) remaining
	1.54119e+25 times larger is possible

	Everyone on earth could have 2300281604202076 data sets like yours, all in one
	repository, and we would expect 1 object collision.
	EOF
	test_cmp want err
'

test_expect_success ORACLE 'bup margin: the same stdout and stderr as the oracle' '
	for r in $REPOS; do
		for o in "" --ignore-midx; do
			BUP_DIR=$TRASH/$r bup margin $o >out.ours 2>err.ours; echo $? >>out.ours
			BUP_DIR=$TRASH/$r oracle_bup margin $o >out.theirs 2>err.theirs; echo $? >>out.theirs
			test_cmp out.theirs out.ours && test_cmp err.theirs err.ours || {
				echo "repo $r, option $o" >&2; return 1; }
		done
	done
'

test_expect_success 'bup margin --predict: the largest deviation, overall and per index' '
	BUP_DIR=$TRASH/r4 bup margin --predict >out &&
	echo "29 of 839 (3.456%) " >want && test_cmp want out &&
	BUP_DIR=$TRASH/r4 bup margin --predict --ignore-midx >out &&
	echo "16 of 629 (2.544%) 24 of 195 (12.308%) 2 of 12 (16.667%) 1 of 2 (50.000%) 0 of 1 (0.000%) " >want &&
	test_cmp want out
'

# items OPTION: with --ignore-midx, one "N of M (P%)" item a line, sorted
# (bup lists indexes of equal size in no set order)
items() {
	if [ "$1" = --ignore-midx ]; then
		sed 's/%) /%)\n/g' | grep . | sort
	else
		cat
	fi
}

test_expect_success ORACLE 'bup margin --predict: the same first line as the oracle (which then fails)' '
	for r in $REPOS; do
		for o in "" --ignore-midx; do
			BUP_DIR=$TRASH/$r bup margin --predict $o >out.ours 2>/dev/null
			BUP_DIR=$TRASH/$r oracle_bup margin --predict $o >out.theirs 2>/dev/null
			head -n 1 out.ours | tr -d "\n" | items "$o" >l.ours &&
			head -n 1 out.theirs | tr -d "\n" | items "$o" >l.theirs &&
			test -s l.theirs &&
			test_cmp l.theirs l.ours || { echo "repo $r, option $o" >&2; return 1; }
		done
	done
'

# table OUT: the header and the count column of a memtest report
table() {
	sed -n 1p "$1" &&
	sed -n "2,/^\(bloom\|midx\|idx\|Total\)/p" "$1" | grep -v "^\(bloom\|midx\|idx\|Total\)" | awk "{ print \$1 }"
}
# stats OUT: the searched/steps lines of a memtest report
stats() { grep "^\(bloom\|midx\|idx\): " "$1"; }

test_expect_success 'memtest --existing: a table of counts, then bup'"'"'s search statistics' '
	BUP_DIR=$TRASH/r4 bup memtest -n 1000 -c 3 --existing >out &&
	table out >got &&
	printf "%9s  %10s %10s %10s %10s %10s \n0\n1000\n2000\n3000\n" "" RSS MajFlt user sys ms >want &&
	test_cmp want got &&
	stats out >got &&
	cat >want <<-\EOF &&
	bloom: 1 objects searched in 5 steps: avg 5.000 steps/object
	midx: 3000 objects searched in 12222 steps: avg 4.074 steps/object
	EOF
	test_cmp want got &&
	grep "^Total time: [0-9]*\.[0-9][0-9][0-9]s$" out &&
	BUP_DIR=$TRASH/r4 bup memtest -n 1000 -c 3 --existing --ignore-midx >out &&
	stats out >got &&
	cat >want <<-\EOF &&
	bloom: 1 objects searched in 5 steps: avg 5.000 steps/object
	idx: 3000 objects searched in 10971 steps: avg 3.657 steps/object
	EOF
	test_cmp want got
'

# mask: the statistics without the step counts
mask() { sed "s/ in [0-9]* steps: avg [0-9.]* / in N steps: avg N /"; }

# With --ignore-midx, roll and dup have idx files of equal size, which bup
# searches in no set order (its step counts vary from run to run): there
# only the number of searches must agree.
test_expect_success ORACLE 'memtest --existing: the same table header, counts and statistics as the oracle' '
	for case in "r4 -" "r4 --ignore-midx" "r4i -" "r4i --ignore-midx" "roll -" \
		"roll --ignore-midx mask" "dup --ignore-midx mask"; do
		set -- $case && r=$1 o=$2 m=${3:-} && { [ "$o" != - ] || o=; }
		BUP_DIR=$TRASH/$r bup memtest -n 1000 -c 3 --existing $o >out.ours &&
		BUP_DIR=$TRASH/$r oracle_bup memtest -n 1000 -c 3 --existing $o >out.theirs &&
		table out.ours >t.ours && table out.theirs >t.theirs && test_cmp t.theirs t.ours &&
		if [ -n "$m" ]; then
			stats out.ours | mask >s.ours && stats out.theirs | mask >s.theirs
		else
			stats out.ours >s.ours && stats out.theirs >s.theirs
		fi &&
		test_cmp s.theirs s.ours &&
		test -s s.ours &&
		tail -1 out.ours | grep "^Total time: " || { echo "case: $case" >&2; return 1; }
	done
'

# bup cycles through the ids of PackIdxList (idxmerge, each id once), so an
# object in two packs is looked up as often as any other.
test_expect_success ORACLE 'memtest --existing with an id in two packs: the oracle'"'"'s statistics' '
	BUP_DIR=$TRASH/dup bup memtest -n 1000 -c 3 --existing >out.ours &&
	BUP_DIR=$TRASH/dup oracle_bup memtest -n 1000 -c 3 --existing >out.theirs &&
	stats out.ours >s.ours && stats out.theirs >s.theirs &&
	test_cmp s.theirs s.ours
'

test_expect_success 'memtest with random ids: all 3000 go through the bloom' '
	BUP_DIR=$TRASH/r4 bup memtest -n 1000 -c 3 >out &&
	table out >got &&
	printf "%9s  %10s %10s %10s %10s %10s \n0\n1000\n2000\n3000\n" "" RSS MajFlt user sys ms >want &&
	test_cmp want got &&
	grep "^bloom: 3000 objects searched in [0-9]* steps: avg [0-9.]* steps/object$" out &&
	! grep "^idx: " out &&
	rm "$(pk r4i)"/bup.bloom &&
	BUP_DIR=$TRASH/r4i bup memtest -n 100 -c 2 >out &&
	grep "^idx: 200 objects searched in [0-9]* steps" out &&
	! grep "^bloom: " out
'

# Random ids are seeded from the clock in both, so when both runs start in
# the same second their statistics must agree exactly.
test_expect_success ORACLE 'memtest with random ids: the same fields as the oracle (the same numbers within one second)' '
	exact=0 &&
	for try in 1 2 3 4 5; do
		t0=$(date +%s)
		BUP_DIR=$TRASH/r4 bup memtest -n 1000 -c 3 >out.ours &&
		BUP_DIR=$TRASH/r4 oracle_bup memtest -n 1000 -c 3 >out.theirs || return 1
		t1=$(date +%s)
		table out.ours >t.ours && table out.theirs >t.theirs && test_cmp t.theirs t.ours &&
		grep "^bloom: " out.ours | cut -d" " -f1-5 >b.ours &&
		grep "^bloom: " out.theirs | cut -d" " -f1-5 >b.theirs &&
		test_cmp b.theirs b.ours && test -s b.ours &&
		tail -1 out.ours | grep "^Total time: " || return 1
		if [ $t0 = $t1 ]; then
			stats out.ours >s.ours && stats out.theirs >s.theirs &&
			test_cmp s.theirs s.ours || return 1
			exact=1 && break
		fi
	done &&
	echo "exact comparison: $exact"
'

test_expect_success 'list-idx: every id of an idx and of a midx, "NAME HEX" lines' '
	M=$(cat r4.midx) &&
	bup list-idx "$M" >out &&
	test $(wc -l <out) = 839 &&
	test $(cut -d" " -f1 out | sort -u) = "$M" &&
	cut -d" " -f2 out >ids && sort ids >sorted && test_cmp sorted ids &&
	for i in "$(pk r4)"/*.idx; do git show-index <"$i"; done | cut -d" " -f2 | sort >want &&
	test_cmp want ids &&
	bup list-idx --find=2e65efe2a145dda7ee51d1741299f848e5bf752e "$M" >out &&
	echo "$M 2e65efe2a145dda7ee51d1741299f848e5bf752e" >want && test_cmp want out &&
	bup list-idx --find=2E65E "$M" >out && test_cmp want out &&
	bup list-idx --find=2e65efe2a145dda7ee51d1741299f848e5bf752f "$M" >out &&
	test_cmp /dev/null out
'

test_expect_success 'list-idx --find with a full id held twice by a midx prints it once, as bup' '
	M=$(cat dup.midx) &&
	bup list-idx --find=2e65efe2a145dda7ee51d1741299f848e5bf752e "$M" >out &&
	echo "$M 2e65efe2a145dda7ee51d1741299f848e5bf752e" >want && test_cmp want out
'

# lsboth DIR ARGS...: list-idx in DIR gives the oracle's stdout and exit code
lsboth() {
	local dir=$1 args
	shift
	for args; do
		(cd "$dir" && bup list-idx $args) >out.ours 2>/dev/null; echo $? >>out.ours
		(cd "$dir" && oracle_bup list-idx $args) >out.theirs 2>/dev/null; echo $? >>out.theirs
		test_cmp out.theirs out.ours || { echo "args: $args" >&2; return 1; }
	done
}

test_expect_success ORACLE 'list-idx: the same output as the oracle (idx, midx, --find odd/even/full)' '
	M=$(basename "$(cat r4.midx)") &&
	I=pack-19d1473ce510f5d29c63c2055f6325bab6df6047.idx &&
	lsboth "$(pk r4)" "$I" "$M" "$I $M" "$(pk r4)/$I" "--find=a $I" "--find=a $M" \
		"--find=2e6 $M $I" "--find=ab $M" "--find=2e65efe2 $M $I" "--find=ABC $M" \
		"--find=Cd $I" "--find=2e65efe2a145dda7ee51d1741299f848e5bf752e $M $I" \
		"--find=2e65efe2a145dda7ee51d1741299f848e5bf752f $M" \
		"--find=678205761642779b3a216c20804cc90b3c894eb1 $I" \
		"--find=2e65efe2a145dda7ee51d1741299f848e5bf752e0 $I"
'

test_expect_success ORACLE 'list-idx on a midx holding an id twice: the same output as the oracle' '
	D=$(basename "$(cat dup.midx)") &&
	lsboth "$(pk dup)" "$D" "--find=2e $D" "--find=2e65efe2a145dda7ee51d1741299f848e5bf752e $D"
'

test_done
