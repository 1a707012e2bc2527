#!/bin/bash
test_description='midx files: golden bytes, the same bytes as bup 0.33, auto-midx, --check, -a clean-up, kill -9 (FORMATS-1 4, 7.6)'
. "$(dirname "$0")/lib.sh"
. "$TEST_ROOT/t/lib-packs.sh"

# midx_names FILE: the idx names listed at the end of a midx, one a line
midx_names() {
	local bits n
	bits=$((16#$(hexat "$1" 8 4)))
	n=$((16#$(hexat "$1" $((12 + 4 * ((1 << bits) - 1))) 4)))
	{ tail -c +$((12 + 4 * (1 << bits) + 24 * n + 1)) "$1" | tr '\0' '\n'; echo; }
}
# midx_n FILE: number of entries;  midx_bits FILE
midx_n() {
	local bits=$((16#$(hexat "$1" 8 4)))
	echo $((16#$(hexat "$1" $((12 + 4 * ((1 << bits) - 1))) 4)))
}
midx_bits() { echo $((16#$(hexat "$1" 8 4))); }
# by_count DIR: the idx paths of DIR sorted by (object count, path), as
# bup's --auto/--force orders the inputs of a merge
by_count() {
	for i in "$1"/*.idx; do echo "$(count "$i") $i"; done | sort -k1,1n -k2 | cut -d" " -f2-
}
# midx_name PATH...: bup's default midx name for these inputs
midx_name() {
	printf '%s\n' "$@" | head -c -1 | tr '\n' '\0' | sha1sum | sed 's/^\(.\{40\}\).*/midx-\1.midx/'
}

test_expect_success 'setup' '
	mkdir in &&
	for f in one.bin zero100k.bin rand100000.bin seq200k.txt rand5m.bin; do
		ln -s "$(test_data $f)" in/$f || return 1
	done
'

test_expect_success 'five splits (zlib): no midx yet, 5 idx are not too many (FORMATS-1 7.6)' '
	mkrepo r4 zlib &&
	for f in $FIVE; do
		BUP_DIR=$TRASH/r4 bup split -q -b in/$f >/dev/null || return 1
	done &&
	test $(ls "$(pk r4)"/*.idx | wc -l) = 5 &&
	! ls "$(pk r4)"/*.midx 2>/dev/null &&
	for i in "$(pk r4)"/*.idx; do count $i; done | sort -n | tr "\n" " " >got &&
	printf "1 2 12 195 629 " >want && test_cmp want got &&
	cp -a r4 r4.base
'

test_expect_success 'bup midx -f: golden content (sha1 2b3da40f…), name = sha1 of the idx paths' '
	BUP_DIR=$TRASH/r4 bup midx -f &&
	ls "$(pk r4)"/*.midx >m &&
	test $(wc -l <m) = 1 &&
	M=$(cat m) &&
	test $(wc -c <"$M") = 20413 &&
	echo 2b3da40fec47f823559f9f46cbdbb2968d7aac96 >want &&
	sha "$M" >got && test_cmp want got &&
	midx_name $(by_count "$(pk r4)") >want &&
	basename "$M" >got && test_cmp want got &&
	test "$(hexat "$M" 0 16)" = 4d4944580000000400000002000000e7 &&
	test "$(hexat "$M" 16 16)" = 000001b40000027f0000034700df7ad3 &&
	by_count "$(pk r4)" | xargs -n1 basename >want &&
	midx_names "$M" >got && test_cmp want got
'

test_expect_success 'the midx name depends on the repository path, the content does not' '
	cp -a r4.base r4moved &&
	BUP_DIR=$TRASH/r4moved bup midx -f &&
	M=$(ls "$(pk r4moved)"/*.midx) &&
	sha "$M" >got && echo 2b3da40fec47f823559f9f46cbdbb2968d7aac96 >want && test_cmp want got &&
	test "$(basename "$M")" != "$(basename "$(ls "$(pk r4)"/*.midx)")" &&
	midx_name $(by_count "$(pk r4moved)") >want &&
	basename "$M" >got && test_cmp want got
'

test_expect_success 'bup midx --check -a passes; a second midx -f rewrites the same bytes' '
	BUP_DIR=$TRASH/r4 bup midx --check -a 2>err &&
	grep "All tests passed" err &&
	M=$(ls "$(pk r4)"/*.midx) &&
	BUP_DIR=$TRASH/r4 bup midx -f &&
	test "$(ls "$(pk r4)"/*.midx)" = "$M" &&
	sha "$M" >got && echo 2b3da40fec47f823559f9f46cbdbb2968d7aac96 >want && test_cmp want got
'

test_expect_success 'bup midx -a with one midx over all idx: nothing to do' '
	M=$(ls "$(pk r4)"/*.midx) &&
	BUP_DIR=$TRASH/r4 bup midx -a &&
	test "$(ls "$(pk r4)"/*.midx)" = "$M" &&
	sha "$M" >got && echo 2b3da40fec47f823559f9f46cbdbb2968d7aac96 >want && test_cmp want got
'

test_expect_success 'explicit inputs: an idx and a midx merge into one holding every entry' '
	cd "$(pk r4)" &&
	set -- $(by_count .) &&
	BUP_DIR=$TRASH/r4 bup midx -o "$TRASH/ab.midx" "$1" "$2" &&
	test "$(midx_n "$TRASH/ab.midx")" = 3 &&
	test "$(midx_bits "$TRASH/ab.midx")" = 0 &&
	BUP_DIR=$TRASH/r4 bup midx -o "$TRASH/abc.midx" "$TRASH/ab.midx" "$5" "$3" &&
	test "$(midx_n "$TRASH/abc.midx")" = $((3 + 629 + 12)) &&
	test "$(midx_bits "$TRASH/abc.midx")" = 2 &&
	printf "%s\n" "$1" "$2" "$5" "$3" | xargs -n1 basename >want &&
	midx_names "$TRASH/abc.midx" >got && test_cmp want got &&
	cd "$TRASH" &&
	for i in $1 $2 $3 $5; do git show-index <"$(pk r4)/$i"; done | cut -d" " -f2 | sort >want &&
	bup list-idx "$TRASH/abc.midx" | cut -d" " -f2 >got &&
	test_cmp want got
'

test_expect_success ORACLE 'the same idx files give the oracle'"'"'s midx bytes (-f, -a, explicit, midx inputs)' '
	onboth r4 "\$BUP midx -f" &&
	onboth r4 "\$BUP midx -a" &&
	cd "$(pk r4.base)" && set -- $(by_count .) && cd "$TRASH" &&
	onboth r4 "\$BUP midx $(basename $5) $(basename $1) $(basename $3)" &&
	onboth r4 "\$BUP midx -o x.midx $2 $4" &&
	onboth r4 "\$BUP midx -o m1.midx $1 $2 && \$BUP midx -o m2.midx $5 m1.midx $3 && \$BUP midx m2.midx $4"
'

test_expect_success ORACLE 'our midx passes oracle_bup midx --check -a' '
	BUP_DIR=$TRASH/r4 oracle_bup midx --check -a 2>err &&
	grep "All tests passed" err &&
	! grep -i "error\|missing" err
'

test_expect_success ORACLE 'an object in two packs: the midx keeps both, bytes as the oracle'"'"'s' '
	mkrepo dup zlib &&
	BUP_DIR=$TRASH/dup bup split -q -t in/one.bin >/dev/null &&
	BUP_DIR=$TRASH/dup bup split -q -9 -t in/one.bin >/dev/null &&
	test $(ls "$(pk dup)"/*.idx | wc -l) = 1 &&
	orepo odup &&
	BUP_DIR=$TRASH/odup oracle_bup split -q -9 -t in/one.bin >/dev/null &&
	cp "$(pk odup)"/pack-* "$(pk dup)"/ &&
	BUP_DIR=$TRASH/dup bup split -q -b in/rand100000.bin >/dev/null &&
	test $(ls "$(pk dup)"/*.idx | wc -l) = 3 &&
	cp -a dup dup.base &&
	BUP_DIR=$TRASH/dup bup midx -f &&
	M=$(ls "$(pk dup)"/*.midx) &&
	test "$(midx_n "$M")" = 16 &&
	test $(bup list-idx "$M" | cut -d" " -f2 | sort -u | wc -l) = 14 &&
	BUP_DIR=$TRASH/dup bup midx --check -a &&
	BUP_DIR=$TRASH/dup oracle_bup midx --check -a 2>err && grep "All tests passed" err &&
	onboth dup "\$BUP midx -f" &&
	onboth dup "\$BUP midx -o d.midx pack-9dc2fbbffcbe8c094648d542331d7865acbae2d5.idx pack-c223be5129dd5b0d3c6584f1219d720037ac049d.idx"
'

test_expect_success ORACLE 'a midx written by the oracle passes our midx --check' '
	orepo o4 &&
	for f in $FIVE; do
		BUP_DIR=$TRASH/o4 oracle_bup split -q -b in/$f >/dev/null || return 1
	done &&
	BUP_DIR=$TRASH/o4 oracle_bup midx -f &&
	M=$(ls "$(pk o4)"/*.midx) &&
	sha "$M" >got && echo 2b3da40fec47f823559f9f46cbdbb2968d7aac96 >want && test_cmp want got &&
	BUP_DIR=$TRASH/o4 bup midx --check -a 2>err &&
	grep "All tests passed" err &&
	BUP_DIR=$TRASH/o4 bup midx --check "$M" &&
	bup list-idx "$M" | wc -l >got && echo 839 >want && test_cmp want got
'

test_expect_success 'midx --check fails on a midx with a damaged id or cut short' '
	cp -a r4.base chk &&
	BUP_DIR=$TRASH/chk bup midx -f &&
	M=$(ls "$(pk chk)"/*.midx) &&
	cp "$M" good &&
	printf "\377" | dd of="$M" bs=1 seek=$((12 + 16 + 20 * 100 + 3)) conv=notrunc 2>/dev/null &&
	test_expect_code 1 env BUP_DIR=$TRASH/chk "$BUP_EXE" midx --check "$M" 2>err &&
	grep "missing from midx\|ordering" err &&
	! grep "All tests passed" err &&
	head -c 5000 good >"$M" &&
	test_must_fail env BUP_DIR=$TRASH/chk "$BUP_EXE" midx --check -a 2>err &&
	grep "$(basename "$M")" err &&
	printf "MIDX\0\0\0\3" | dd of="$M" conv=notrunc 2>/dev/null && cp good "$M" &&
	printf "\0\0\0\5" | dd of="$M" bs=1 seek=4 conv=notrunc 2>/dev/null &&
	test_must_fail env BUP_DIR=$TRASH/chk "$BUP_EXE" midx --check "$M" 2>err &&
	grep "$(basename "$M")" err
'

test_expect_success 'rollover: --max-pack-objects 100 gives 7 packs and, after the 6th, a midx with bits 1 and N=500' '
	mkrepo roll zlib &&
	BUP_DIR=$TRASH/roll bup split -q -b --max-pack-objects 100 in/rand5m.bin >/dev/null &&
	test $(ls "$(pk roll)"/*.idx | wc -l) = 7 &&
	ls "$(pk roll)"/*.midx >m && test $(wc -l <m) = 1 &&
	M=$(cat m) &&
	test "$(midx_bits "$M")" = 1 &&
	test "$(midx_n "$M")" = 500 &&
	for i in "$(pk roll)"/*.idx; do echo "$(count $i) $(basename $i)"; done | sort >sizes &&
	grep "^100 " sizes | cut -d" " -f2 | head -5 >want &&
	midx_names "$M" | sort >got && test_cmp want got &&
	BUP_DIR=$TRASH/roll bup midx --check -a &&
	test "$(hexat "$(pk roll)"/bup.bloom 12 4)" = 00000275
'

test_expect_success ORACLE 'rollover: the oracle, at the same path, writes the same midx and bloom' '
	mv roll roll.ours &&
	orepo roll &&
	BUP_DIR=$TRASH/roll oracle_bup split -q -b --max-pack-objects 100 in/rand5m.bin >/dev/null &&
	(cd "$(pk roll)" && ls) >theirs &&
	(cd "$(pk roll.ours)" && ls) >ours &&
	test_cmp theirs ours &&
	for f in $(cat ours); do
		cmp "$(pk roll)/$f" "$(pk roll.ours)/$f" || return 1
	done &&
	rm -rf roll && mv roll.ours roll
'

test_expect_success 'auto midx: 12 packs end with at most 5 indexes, each object once in a midx' '
	mkrepo many12 &&
	BUP_DIR=$TRASH/many12 bup split -q -b --max-pack-objects 60 in/rand5m.bin >/dev/null &&
	test $(ls "$(pk many12)"/*.idx | wc -l) = 11 &&
	BUP_DIR=$TRASH/many12 bup midx --check -a &&
	for m in "$(pk many12)"/*.midx; do midx_names "$m"; done | sort >covered &&
	sort -u covered >u && test_cmp u covered &&
	(cd "$(pk many12)" && ls *.idx) >all &&
	comm -23 all covered >uncovered &&
	test $(( $(ls "$(pk many12)"/*.midx | wc -l) + $(wc -l <uncovered) )) -le 5
'

test_expect_success ORACLE '21 packs (several auto merges, redundant midx removed): the oracle'"'"'s files at the same path' '
	mkrepo r30 zlib &&
	BUP_DIR=$TRASH/r30 bup split -q -b --max-pack-objects 30 in/rand5m.bin >/dev/null &&
	test $(ls "$(pk r30)"/*.idx | wc -l) = 21 &&
	test $(ls "$(pk r30)"/*.midx | wc -l) -ge 2 &&
	BUP_DIR=$TRASH/r30 bup midx --check -a &&
	mv r30 r30.ours &&
	orepo r30 &&
	BUP_DIR=$TRASH/r30 oracle_bup split -q -b --max-pack-objects 30 in/rand5m.bin >/dev/null &&
	(cd "$(pk r30)" && ls) >theirs &&
	(cd "$(pk r30.ours)" && ls) >ours &&
	test_cmp theirs ours &&
	for f in $(cat ours); do
		cmp "$(pk r30)/$f" "$(pk r30.ours)/$f" || return 1
	done &&
	cp -a r30 r30.base && rm "$(pk r30.base)"/*.midx "$(pk r30.base)"/bup.bloom &&
	onboth r30 "\$BUP midx -f --max-files 5" &&
	onboth r30 "\$BUP midx -a --max-files 5" &&
	onboth r30 "\$BUP midx -a && \$BUP midx -a && \$BUP bloom"
'

test_expect_success 'bup midx -a removes a midx naming a missing idx, with a warning naming it' '
	cp -a r4.base stale &&
	rm -f "$(pk stale)"/bup.bloom &&
	BUP_DIR=$TRASH/stale bup midx -f &&
	M=$(ls "$(pk stale)"/*.midx) &&
	I=$(ls "$(pk stale)"/*.idx | head -1) &&
	rm "$I" "${I%.idx}.pack" &&
	BUP_DIR=$TRASH/stale bup midx -a 2>err &&
	! test -e "$M" &&
	grep "$(basename "$M")" err &&
	grep "$(basename "$I")" err
'

test_expect_success 'bup midx -f also removes a midx naming a missing idx and writes a new one' '
	cp -a r4.base stale2 &&
	BUP_DIR=$TRASH/stale2 bup midx -o "$(pk stale2)/old.midx" "$(pk stale2)"/*.idx &&
	I=$(ls "$(pk stale2)"/*.idx | head -1) &&
	rm "$I" "${I%.idx}.pack" &&
	BUP_DIR=$TRASH/stale2 bup midx -a -f 2>err &&
	! test -e "$(pk stale2)/old.midx" &&
	grep old.midx err &&
	M=$(ls "$(pk stale2)"/*.midx) &&
	test "$(midx_n "$M")" = $((839 - $(count "$(pk r4.base)/$(basename "$I")"))) &&
	BUP_DIR=$TRASH/stale2 bup midx --check -a
'

test_expect_success 'bad options: no mode, -a with files, -f with files, --check alone exit 97' '
	test_expect_code 97 env BUP_DIR=$TRASH/r4 "$BUP_EXE" midx 2>err &&
	grep "^usage: bup midx" err &&
	test_expect_code 97 env BUP_DIR=$TRASH/r4 "$BUP_EXE" midx -a "$(ls "$(pk r4)"/*.idx | head -1)" 2>err &&
	grep "^usage: bup midx" err &&
	test_expect_code 97 env BUP_DIR=$TRASH/r4 "$BUP_EXE" midx -f x.idx 2>/dev/null &&
	test_expect_code 97 env BUP_DIR=$TRASH/r4 "$BUP_EXE" midx --check 2>/dev/null
'

test_expect_success ORACLE 'bad options: the same exit code and stderr as the oracle' '
	for args in "" "-a x.idx" "--check"; do
		BUP_DIR=$TRASH/r4 bup midx $args 2>ours; echo $? >>ours &&
		BUP_DIR=$TRASH/r4 oracle_bup midx $args 2>theirs; echo $? >>theirs &&
		test_cmp theirs ours || return 1
	done
'

test_expect_success 'midx -f -p prints nothing, as in bup 0.33 (-p only with explicit files)' '
	cp -a r4.base pr &&
	BUP_DIR=$TRASH/pr bup midx -f -p >out &&
	test_cmp /dev/null out &&
	BUP_DIR=$TRASH/pr bup midx -p "$(pk pr)"/pack-19*.idx "$(pk pr)"/pack-bd*.idx >out &&
	test $(wc -l <out) = 1 && test -f "$(cat out)"
'

# Many small packs (with midx and bloom maintenance after each), then kill
# -9 bup midx -f at growing delays: whatever is left must be sound.
test_expect_success 'kill -9 during bup midx -f leaves no half-written midx in use' '
	mkrepo kill &&
	bup random -S 5 16M >r16.bin &&
	BUP_DIR=$TRASH/kill bup split -q -b --max-pack-objects 10 r16.bin >/dev/null &&
	test $(ls "$(pk kill)"/*.idx | wc -l) -ge 200 &&
	BUP_DIR=$TRASH/kill bup midx --check -a &&
	killed=0 &&
	for i in $(seq 0 29); do
		BUP_DIR=$TRASH/kill "$BUP_EXE" midx -f 2>/dev/null & pid=$!
		sleep $(printf "0.%03d" $((i * 3)))
		kill -9 $pid 2>/dev/null
		wait $pid; rc=$?
		test $rc = 137 && killed=$((killed + 1))
		for m in "$(pk kill)"/*.midx; do
			test -e "$m" || continue
			BUP_DIR=$TRASH/kill bup midx --check "$m" >/dev/null 2>err || {
				echo "iteration $i: $m is broken" >&2; cat err >&2; return 1; }
		done
	done &&
	echo "killed $killed of 30 runs" &&
	test $killed -ge 1 &&
	(cd "$(pk kill)" && ls) | grep -v "\.pack$\|\.idx$\|\.midx$\|^bup\.bloom$" >left || : &&
	cat left &&
	! grep -v "\.tmp-" left &&
	BUP_DIR=$TRASH/kill bup midx -f &&
	BUP_DIR=$TRASH/kill bup midx --check -a &&
	(cd "$(pk kill)" && ls -i *.pack) >before &&
	BUP_DIR=$TRASH/kill bup split -q -b r16.bin >/dev/null &&
	(cd "$(pk kill)" && ls -i *.pack) >after &&
	test_cmp before after
'

test_done
