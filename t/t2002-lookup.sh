#!/bin/bash
test_description='object lookups with idx, midx and bloom in every mix, stale or damaged (FORMATS-1 6)'
. "$(dirname "$0")/lib.sh"

mkrepo() {
	BUP_DIR=$TRASH/$1 bup init 2>/dev/null &&
	git --git-dir="$TRASH/$1" config bup.packCompressor zlib
}
orepo() { BUP_DIR=$TRASH/$1 oracle_bup init >/dev/null 2>&1; }
pk() { echo "$TRASH/$1/objects/pack"; }
hexat() { od -An -tx1 -v -j "$2" -N "$3" "$1" | tr -d " \n"; }
# packs REPO: inode and name of every pack (a rewritten pack gets a new inode)
packs() { (cd "$(pk $1)" && ls -i *.pack) | awk '{ print $2, $1 }' | sort; }

# The base repository: A = rand100000 (12 objects), B = seq200k (195),
# C = zero100k (2), each split -b into its own pack; new data = one.bin.
A=rand100000.bin B=seq200k.txt C=zero100k.bin
STORED="$A $B $C"

# stored_ok REPO [INPUTS]: splitting stored data again adds and rewrites no
# pack (stderr of the splits in split.err)
stored_ok() {
	local f
	packs $1 >before && : >split.err &&
	for f in ${2:-$STORED}; do
		BUP_DIR=$TRASH/$1 bup split -q -b in/$f >/dev/null 2>>split.err || return 1
	done &&
	packs $1 >after &&
	test_cmp before after
}
# new_ok REPO [STORED]: splitting new data writes exactly one new pack, and
# after it the new data and STORED are found again
new_ok() {
	packs $1 >before &&
	BUP_DIR=$TRASH/$1 bup split -q -b in/one.bin >/dev/null 2>new.err &&
	packs $1 >after &&
	comm -13 before after >added &&
	test $(wc -l <added) = 1 &&
	comm -23 before after >gone && test_cmp /dev/null gone &&
	git --git-dir="$TRASH/$1" cat-file -e 2e65efe2a145dda7ee51d1741299f848e5bf752e &&
	stored_ok $1 "${2:-$STORED} one.bin"
}
# indexes REPO: how many indexes (idx and midx) a lookup uses
indexes() {
	BUP_DEBUG=1 BUP_DIR=$TRASH/$1 "$BUP_EXE" split -q -b in/$A 2>&1 >/dev/null |
		sed -n "s/^PackIdxList: using \([0-9]*\) index.*/\1/p" | head -1
}
mk() { rm -rf "$1" && cp -a base "$1"; }
idx_of() { echo "$(pk $1)/$(cat "$TRASH/idx.$2")"; }

test_expect_success 'setup: three packs A, B, C with a bloom, no midx' '
	mkdir in &&
	for f in one.bin zero100k.bin rand100000.bin seq200k.txt rand5m.bin; do
		ln -s "$(test_data $f)" in/$f || return 1
	done &&
	mkrepo base &&
	for f in $STORED; do
		{ (cd "$(pk base)" && ls *.idx 2>/dev/null) >old || :; } &&
		BUP_DIR=$TRASH/base bup split -q -b in/$f >/dev/null &&
		(cd "$(pk base)" && ls *.idx) >new &&
		comm -13 old new >"idx.$f" &&
		test $(wc -l <"idx.$f") = 1 || return 1
	done &&
	test -f "$(pk base)"/bup.bloom &&
	! ls "$(pk base)"/*.midx 2>/dev/null &&
	test "$(hexat "$(pk base)"/bup.bloom 12 4)" = 000000d1
'

test_expect_success 'only idx files (no bloom, no midx): stored data is found, new data written' '
	mk only && rm "$(pk only)"/bup.bloom &&
	test "$(indexes only)" = 3 &&
	stored_ok only &&
	! test -e "$(pk only)"/bup.bloom &&
	new_ok only &&
	test -f "$(pk only)"/bup.bloom
'

test_expect_success 'idx and a bloom' '
	mk bl &&
	stored_ok bl && new_ok bl
'

test_expect_success 'a midx covering A and B, C alone, no bloom' '
	mk some && rm "$(pk some)"/bup.bloom &&
	BUP_DIR=$TRASH/some bup midx -o "$(pk some)/ab.midx" "$(idx_of some $A)" "$(idx_of some $B)" &&
	test "$(indexes some)" = 2 &&
	stored_ok some && new_ok some
'

test_expect_success 'a midx covering A and B, C alone, and a bloom' '
	mk someb &&
	BUP_DIR=$TRASH/someb bup midx -o "$(pk someb)/ab.midx" "$(idx_of someb $A)" "$(idx_of someb $B)" &&
	test "$(indexes someb)" = 2 &&
	stored_ok someb && new_ok someb
'

test_expect_success 'a midx covering all (bits 0) and a bloom; a midx alone' '
	mk all &&
	BUP_DIR=$TRASH/all bup midx -f &&
	test "$(hexat "$(ls "$(pk all)"/*.midx)" 8 4)" = 00000000 &&
	test "$(indexes all)" = 1 &&
	stored_ok all &&
	mk allnb && rm "$(pk allnb)"/bup.bloom &&
	BUP_DIR=$TRASH/allnb bup midx -f &&
	stored_ok allnb &&
	new_ok all && new_ok allnb
'

test_expect_success 'two overlapping midx: the bigger one is used, the answer is the same' '
	mk two && rm "$(pk two)"/bup.bloom &&
	BUP_DIR=$TRASH/two bup midx -o "$(pk two)/ab.midx" "$(idx_of two $A)" "$(idx_of two $B)" &&
	BUP_DIR=$TRASH/two bup midx -o "$(pk two)/abc.midx" "$(pk two)"/*.idx &&
	test "$(indexes two)" = 1 &&
	stored_ok two && new_ok two
'

test_expect_success 'many packs and a midx: rand5m in 7 packs is found again' '
	mkrepo roll &&
	BUP_DIR=$TRASH/roll bup split -q -b --max-pack-objects 100 in/rand5m.bin >/dev/null &&
	test $(ls "$(pk roll)"/*.idx | wc -l) = 7 &&
	test "$(indexes roll)" = 3 &&
	stored_ok roll rand5m.bin &&
	rm "$(pk roll)"/bup.bloom &&
	stored_ok roll rand5m.bin
'

# A bloom that lags behind: the one made before pack C, put back after it.
test_expect_success 'a bloom behind the idx files (fewer entries) is not used' '
	mkrepo behind &&
	BUP_DIR=$TRASH/behind bup split -q -b in/$A >/dev/null &&
	BUP_DIR=$TRASH/behind bup split -q -b in/$B >/dev/null &&
	cp "$(pk behind)"/bup.bloom ab.bloom &&
	BUP_DIR=$TRASH/behind bup split -q -b in/$C >/dev/null &&
	cp ab.bloom "$(pk behind)"/bup.bloom &&
	test "$(hexat "$(pk behind)"/bup.bloom 12 4)" = 000000cf &&
	stored_ok behind "$C" &&
	stored_ok behind &&
	cmp ab.bloom "$(pk behind)"/bup.bloom &&
	new_ok behind &&
	test "$(hexat "$(pk behind)"/bup.bloom 12 4)" = 000000d2
'

test_expect_success 'a bloom behind, with a midx over all' '
	mkrepo behind2 &&
	BUP_DIR=$TRASH/behind2 bup split -q -b in/$A >/dev/null &&
	BUP_DIR=$TRASH/behind2 bup split -q -b in/$B >/dev/null &&
	cp "$(pk behind2)"/bup.bloom ab2.bloom &&
	BUP_DIR=$TRASH/behind2 bup split -q -b in/$C >/dev/null &&
	BUP_DIR=$TRASH/behind2 bup midx -f &&
	cp ab2.bloom "$(pk behind2)"/bup.bloom &&
	stored_ok behind2 "$C" &&
	stored_ok behind2 &&
	new_ok behind2
'

test_expect_success 'a stale midx naming a deleted idx is ignored; split -v names it' '
	mk stale &&
	BUP_DIR=$TRASH/stale bup midx -f &&
	M=$(ls "$(pk stale)"/*.midx) &&
	I=$(idx_of stale $C) &&
	rm "$I" "${I%.idx}.pack" &&
	BUP_DIR=$TRASH/stale bup split -v -b in/$A >/dev/null 2>err &&
	grep "$(basename "$M")" err &&
	grep "$(basename "$I")" err &&
	stored_ok stale "$A $B" &&
	! git --git-dir="$TRASH/stale" cat-file -e 08e7df176454f3ee5eeda13efa0adaa54828dfd8 &&
	BUP_DIR=$TRASH/stale bup split -q -b in/$C >/dev/null &&
	git --git-dir="$TRASH/stale" cat-file -e 08e7df176454f3ee5eeda13efa0adaa54828dfd8 &&
	test -f "$I" &&
	stored_ok stale &&
	new_ok stale &&
	test_fsck "$TRASH/stale"
'

test_expect_success 'a stale midx is dropped when the next pack is written; lookups stay right' '
	mk stale2 &&
	BUP_DIR=$TRASH/stale2 bup midx -f &&
	M=$(ls "$(pk stale2)"/*.midx) &&
	I=$(idx_of stale2 $C) &&
	rm "$I" "${I%.idx}.pack" &&
	new_ok stale2 "$A $B" &&
	! test -e "$M"
'

# corrupt_midx NAME HOW
corrupt_midx() {
	local m=$(ls "$(pk $1)"/*.midx)
	case $2 in
	magic) printf XIDX | dd of="$m" conv=notrunc 2>/dev/null ;;
	version) printf "\0\0\0\3" | dd of="$m" bs=1 seek=4 conv=notrunc 2>/dev/null ;;
	bits) printf "\0\0\0\77" | dd of="$m" bs=1 seek=8 conv=notrunc 2>/dev/null ;;
	header) truncate -s 8 "$m" ;;
	short) truncate -s 100 "$m" ;;
	empty) : >"$m" ;;
	esac
}

for how in magic version bits header short empty; do
	test_expect_success "a damaged midx ($how): a warning naming it, right answers" '
		mk bad-'$how' &&
		BUP_DIR=$TRASH/bad-'$how' bup midx -f &&
		M=$(ls "$(pk bad-'$how')"/*.midx) &&
		corrupt_midx bad-'$how' '$how' &&
		stored_ok bad-'$how' &&
		grep "$(basename "$M")" split.err &&
		new_ok bad-'$how' &&
		test_fsck "$TRASH/bad-'$how'"
	'
done

test_expect_success 'a midx cut inside its name list is ignored, right answers' '
	mk badnames &&
	BUP_DIR=$TRASH/badnames bup midx -f &&
	M=$(ls "$(pk badnames)"/*.midx) &&
	truncate -s $(( $(wc -c <"$M") - 10 )) "$M" &&
	stored_ok badnames && new_ok badnames
'

# corrupt_bloom NAME HOW
corrupt_bloom() {
	local b=$(pk $1)/bup.bloom
	case $2 in
	magic) printf XLOM | dd of="$b" conv=notrunc 2>/dev/null ;;
	version) printf "\0\0\0\3" | dd of="$b" bs=1 seek=4 conv=notrunc 2>/dev/null ;;
	k3) printf "\0\3" | dd of="$b" bs=1 seek=10 conv=notrunc 2>/dev/null ;;
	bits) printf "\0\36" | dd of="$b" bs=1 seek=8 conv=notrunc 2>/dev/null ;;
	short) truncate -s 100 "$b" ;;
	empty) : >"$b" ;;
	esac
}

for how in magic version k3 bits short empty; do
	test_expect_success "a damaged bloom ($how): a warning naming it, right answers, rebuilt after the next pack" '
		mk badb-'$how' &&
		corrupt_bloom badb-'$how' '$how' &&
		stored_ok badb-'$how' &&
		grep "bup\.bloom" split.err &&
		new_ok badb-'$how' &&
		test "$(hexat "$(pk badb-'$how')"/bup.bloom 0 4)" = 424c4f4d &&
		for i in "$(pk badb-'$how')"/*.idx; do
			BUP_DIR=$TRASH/badb-'$how' bup bloom -c "$i" 2>err &&
			grep "All tests passed" err && ! grep "does not contain" err || return 1
		done
	'
done

test_expect_success 'a damaged bloom with a midx over all: right answers' '
	mk badbm &&
	BUP_DIR=$TRASH/badbm bup midx -f &&
	corrupt_bloom badbm magic &&
	stored_ok badbm &&
	grep "bup\.bloom" split.err &&
	new_ok badbm
'

for size in 0 500 1100 1500; do
	test_expect_success "a truncated idx ($size bytes): a warning naming it, the other packs still found" '
		mk trunc'$size' && I=$(idx_of trunc'$size' $B) &&
		chmod u+w "$I" && truncate -s '$size' "$I" &&
		stored_ok trunc'$size' "$A $C" &&
		grep "$(basename "$I")" split.err &&
		BUP_DIR=$TRASH/trunc'$size' bup split -q -b in/$B >/dev/null &&
		git verify-pack "$I" &&
		stored_ok trunc'$size' &&
		new_ok trunc'$size' &&
		test_fsck "$TRASH/trunc'$size'"
	'
done

test_expect_success 'a truncated idx covered by a midx: the midx still answers' '
	mk truncm && BUP_DIR=$TRASH/truncm bup midx -f &&
	I=$(idx_of truncm $B) &&
	chmod u+w "$I" && truncate -s 500 "$I" &&
	stored_ok truncm &&
	new_ok truncm
'

test_expect_success 'a version 1 idx (git index-pack --index-version=1) is read, merged and bloomed' '
	mk v1 && I=$(idx_of v1 $B) &&
	(cd "$(pk v1)" && git index-pack --index-version=1 -o v1.tmp "${I%.idx}.pack" >/dev/null) &&
	chmod u+w "$I" && mv "$(pk v1)/v1.tmp" "$I" &&
	test "$(hexat "$I" 0 8)" = 0000000100000002 &&
	rm "$(pk v1)"/bup.bloom &&
	stored_ok v1 &&
	BUP_DIR=$TRASH/v1 bup bloom &&
	BUP_DIR=$TRASH/v1 bup bloom -c "$I" 2>err && grep "All tests passed" err &&
	! grep "does not contain" err &&
	BUP_DIR=$TRASH/v1 bup midx -f &&
	BUP_DIR=$TRASH/v1 bup midx --check -a &&
	bup list-idx "$I" | cut -d" " -f2 >got &&
	git show-index <"$I" | cut -d" " -f2 | sort >want && test_cmp want got &&
	test "$(indexes v1)" = 1 &&
	stored_ok v1 && new_ok v1
'

test_expect_success ORACLE 'an oracle-made repository with midx and bloom: nothing stored is written again' '
	orepo o &&
	git --git-dir="$TRASH/o" config bup.packCompressor zlib &&
	for f in $STORED; do
		BUP_DIR=$TRASH/o oracle_bup split -q -b in/$f >/dev/null || return 1
	done &&
	BUP_DIR=$TRASH/o oracle_bup midx -f &&
	test -f "$(pk o)"/bup.bloom && ls "$(pk o)"/*.midx &&
	test "$(indexes o)" = 1 &&
	stored_ok o &&
	new_ok o &&
	BUP_DIR=$TRASH/o oracle_bup midx --check -a 2>err && grep "All tests passed" err &&
	for i in "$(pk o)"/*.idx; do
		BUP_DIR=$TRASH/o oracle_bup bloom -c "$i" 2>err &&
		grep "All tests passed" err && ! grep "does not contain" err || return 1
	done
'

test_expect_success ORACLE 'the oracle'"'"'s rollover repository (7 packs, auto midx, bloom): nothing written again' '
	orepo oroll &&
	BUP_DIR=$TRASH/oroll oracle_bup split -q -b --max-pack-objects 100 in/rand5m.bin >/dev/null &&
	ls "$(pk oroll)"/*.midx &&
	stored_ok oroll rand5m.bin &&
	BUP_DIR=$TRASH/oroll bup split -q -b in/$C >/dev/null &&
	test $(ls "$(pk oroll)"/*.idx | wc -l) = 8 &&
	stored_ok oroll "rand5m.bin $C"
'

test_expect_success ORACLE 'the oracle finds what we stored through our midx and bloom' '
	packs all >before &&
	for f in $STORED one.bin; do
		BUP_DIR=$TRASH/all oracle_bup split -q -b in/$f >/dev/null || return 1
	done &&
	packs all >after && test_cmp before after &&
	packs behind >before &&
	for f in $STORED one.bin; do
		BUP_DIR=$TRASH/behind oracle_bup split -q -b in/$f >/dev/null || return 1
	done &&
	packs behind >after && test_cmp before after
'

test_done
