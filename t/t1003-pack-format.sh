#!/bin/bash
test_description='pack and idx files written by bup split (FORMATS-1 3, 7.4)'
. "$(dirname "$0")/lib.sh"

# mkrepo NAME [zlib]: a fresh repository $TRASH/NAME made by us
mkrepo() {
	BUP_DIR=$TRASH/$1 bup init 2>/dev/null &&
	if [ "${2:-}" = zlib ]; then
		git --git-dir="$TRASH/$1" config bup.packCompressor zlib
	fi
}
# orepo NAME: a fresh repository made by the oracle
orepo() { BUP_DIR=$TRASH/$1 oracle_bup init >/dev/null 2>&1; }
# packs NAME: the pack names (pack-<sha>) of a repository, sorted
packs() { (cd "$TRASH/$1/objects/pack" && ls pack-*.pack 2>/dev/null | sed 's/\.pack$//' | sort); }
# objects NAME: "sha type size" of every object in every pack, sorted
objects() {
	for p in "$TRASH/$1"/objects/pack/pack-*.idx; do
		git verify-pack -v "$p" || return 1
	done | grep -E '^[0-9a-f]{40} ' | awk '{ print $1, $2, $3 }' | sort
}
# count IDX: number of objects in a pack
count() { git show-index <"$1" | wc -l; }
# hexat FILE OFFSET LEN: LEN bytes of FILE at OFFSET, in hex
hexat() { od -An -tx1 -v -j "$2" -N "$3" "$1" | tr -d " \n"; }

test_expect_success 'setup' '
	mkdir in &&
	for f in empty.bin one.bin zero100k.bin rand100000.bin seq200k.txt rand5m.bin zero20m.bin rand200m.bin readbound.bin; do
		ln -s "$(test_data $f)" in/$f || return 1
	done
'

# name | split arguments | golden pack of FORMATS-1 7.4 (the first one,
# the empty tree alone, was taken from bup 0.33.7)
VECTORS='
empty|-t in/empty.bin|3472ebb5128456d753dee031162e0a4daef8e0bd
one1|-t in/one.bin|c223be5129dd5b0d3c6584f1219d720037ac049d
one9|-9 -t in/one.bin|9dc2fbbffcbe8c094648d542331d7865acbae2d5
r5b|-b in/rand5m.bin|bd76b48453e120dd47b6a6c612b8de7401bc6dc6
r5t|-t in/rand5m.bin|d42b1ad8ea2eddaf0b37aba6bc98c0fb249e9959
seq2|-2 -t in/seq200k.txt|5ea62b3a26e04c7887d978dd10a22cf490061b58
seq6|-6 -t in/seq200k.txt|bed63ed0a6c3f49a42ef5fac999e4b0169431af3
z20|-t in/zero20m.bin|b7218d3ae5dce7295e3802e254a34f8daacdcc02
'

echo "$VECTORS" | grep . >vectors
while IFS='|' read -r name args golden; do
	test_expect_success "zlib: split $args writes pack-${golden:0:8}… (golden)" '
		mkrepo z-'"$name"' zlib &&
		BUP_DIR=$TRASH/z-'"$name"' bup split -q '"$args"' >/dev/null &&
		packs z-'"$name"' >got &&
		echo pack-'"$golden"' >want &&
		test_cmp want got &&
		git verify-pack "$TRASH"/z-'"$name"'/objects/pack/pack-'"$golden"'.idx
	'
	test_expect_success ORACLE "zlib: split $args: .pack and .idx are byte-identical to the oracle's" '
		orepo o-'"$name"' &&
		BUP_DIR=$TRASH/o-'"$name"' oracle_bup split -q '"$args"' >/dev/null &&
		packs o-'"$name"' >theirs &&
		packs z-'"$name"' >ours &&
		test_cmp theirs ours &&
		for p in $(cat ours); do
			cmp "$TRASH"/o-'"$name"'/objects/pack/$p.pack "$TRASH"/z-'"$name"'/objects/pack/$p.pack &&
			cmp "$TRASH"/o-'"$name"'/objects/pack/$p.idx "$TRASH"/z-'"$name"'/objects/pack/$p.idx || return 1
		done
	'
	test_expect_success "default compressor: split $args: same objects, git accepts the pack" '
		mkrepo d-'"$name"' &&
		test "$(git --git-dir="$TRASH/d-'"$name"'" config bup.packCompressor)" = "" &&
		BUP_DIR=$TRASH/d-'"$name"' bup split -q '"$args"' >/dev/null &&
		test $(packs d-'"$name"' | wc -l) = 1 &&
		objects d-'"$name"' >ours &&
		objects z-'"$name"' >zlib &&
		test_cmp zlib ours &&
		test -s ours &&
		test_fsck "$TRASH/d-'"$name"'"
	'
done <vectors

test_expect_success 'split -t one.bin: the whole pack, byte for byte (FORMATS-1 7.4)' '
	p=$TRASH/z-one1/objects/pack/pack-c223be5129dd5b0d3c6584f1219d720037ac049d &&
	test $(wc -c <$p.pack) = 82 &&
	test $(wc -c <$p.idx) = 1128 &&
	hexat $p.pack 0 82 >got &&
	printf "%s" 5041434b0000000200000002 3178014b040000620062 \
		ad0178013334303033315130 60d04b7dff68a1ebdde5ef022f9608cdfce1f1747fa91e00a1be0d04 \
		c223be5129dd5b0d3c6584f1219d720037ac049d >want &&
	echo >>got && echo >>want &&
	test_cmp want got
'

test_expect_success 'split -t one.bin: the idx fields (FORMATS-1 3.7, 7.4)' '
	i=$TRASH/z-one1/objects/pack/pack-c223be5129dd5b0d3c6584f1219d720037ac049d.idx &&
	test "$(hexat $i 0 8)" = ff744f6300000002 &&
	test "$(hexat $i $((8 + 4 * 0x1e)) 4)" = 00000000 &&
	test "$(hexat $i $((8 + 4 * 0x1f)) 4)" = 00000001 &&
	test "$(hexat $i $((8 + 4 * 0x2d)) 4)" = 00000001 &&
	test "$(hexat $i $((8 + 4 * 0x2e)) 4)" = 00000002 &&
	test "$(hexat $i $((8 + 4 * 0xff)) 4)" = 00000002 &&
	test "$(hexat $i 0x408 20)" = 1f7af70d2e86de00c2ffa17c9b18b8a147e3668c &&
	test "$(hexat $i 0x41c 20)" = 2e65efe2a145dda7ee51d1741299f848e5bf752e &&
	test "$(hexat $i 0x430 8)" = f814c28fd6189c8c &&
	test "$(hexat $i 0x438 8)" = 000000160000000c &&
	test "$(hexat $i 0x440 20)" = c223be5129dd5b0d3c6584f1219d720037ac049d &&
	test "$(hexat $i 0x454 20)" = 0bff8d58495908c03fe9e0003b0b7aba6401595a &&
	head -c 1108 $i | sha1sum | cut -c1-40 >got &&
	echo 0bff8d58495908c03fe9e0003b0b7aba6401595a >want && test_cmp want got
'

test_expect_success 'split -9 uses zlib header 78 da, the default level 1 uses 78 01' '
	test "$(hexat "$TRASH"/z-one9/objects/pack/pack-*.pack 13 2)" = 78da &&
	test "$(hexat "$TRASH"/z-one1/objects/pack/pack-*.pack 13 2)" = 7801
'

test_expect_success 'split -b rand5m: 629 objects, all blobs; split -t adds the trees' '
	test $(count "$TRASH"/z-r5b/objects/pack/*.idx) = 629 &&
	objects z-r5b >o && test $(grep -vc " blob " o) = 0 &&
	objects z-r5t >o && test $(grep -c " blob " o) = 629 &&
	grep -q "^bff4bb514fb16978768e4f694af4a6218d935bcf tree " o
'

test_expect_success 'zlib: split -t rand200m writes pack-4969829f… of 210862456 bytes (golden)' '
	mkrepo z-r200 zlib &&
	BUP_DIR=$TRASH/z-r200 bup split -q -t in/rand200m.bin >t &&
	echo 4b17588ff878fadccf3651cf70a79f778d528f8d >want && test_cmp want t &&
	packs z-r200 >got &&
	echo pack-4969829fec94ef3ac616ace010312e59636bd4ee >want &&
	test_cmp want got &&
	test $(wc -c <"$TRASH"/z-r200/objects/pack/pack-4969829fec94ef3ac616ace010312e59636bd4ee.pack) = 210862456 &&
	test $(count "$TRASH"/z-r200/objects/pack/*.idx) -gt 26182
'

test_expect_success 'level 0: same object ids as level 1 and git accepts the pack' '
	mkrepo z-l0 zlib &&
	BUP_DIR=$TRASH/z-l0 bup split -q -0 -t in/rand100000.bin >t &&
	echo 6da082fab544b6ac5c9c3d7211903da4e81fb3eb >want && test_cmp want t &&
	mkrepo z-l1 zlib &&
	BUP_DIR=$TRASH/z-l1 bup split -q -t in/rand100000.bin >/dev/null &&
	objects z-l0 >l0 && objects z-l1 >l1 && test_cmp l1 l0 &&
	test_fsck "$TRASH/z-l0" &&
	test "$(hexat "$TRASH"/z-l0/objects/pack/pack-*.pack 12 5)" = ba99027801
'

test_expect_success 'no object is written twice within one pack' '
	mkrepo dup zlib &&
	BUP_DIR=$TRASH/dup bup split -q -b in/zero100k.bin >ids &&
	test $(wc -l <ids) = 4 &&
	test $(count "$TRASH"/dup/objects/pack/*.idx) = 2 &&
	mkrepo dup2 &&
	BUP_DIR=$TRASH/dup2 bup split -q -t in/zero100k.bin >/dev/null &&
	test $(count "$TRASH"/dup2/objects/pack/*.idx) = 3 &&
	test $(count "$TRASH"/z-z20/objects/pack/*.idx) = 4 &&
	mkrepo dup3 &&
	BUP_DIR=$TRASH/dup3 bup split -q -b in/readbound.bin >ids &&
	test $(wc -l <ids) = 613 &&
	test $(count "$TRASH"/dup3/objects/pack/*.idx) = 6 &&
	test $(git verify-pack -v "$TRASH"/dup3/objects/pack/*.idx | grep -c "^[0-9a-f]\{40\} blob ") = 6
'

test_expect_success 'splitting the same data again writes no new pack' '
	mkrepo again &&
	export BUP_DIR=$TRASH/again &&
	bup split -q -t in/rand5m.bin >t1 &&
	packs again >before &&
	test $(wc -l <before) = 1 &&
	bup split -q -t in/rand5m.bin >t2 &&
	test_cmp t1 t2 &&
	bup split -q -b in/rand5m.bin >/dev/null &&
	bup split -q -b in/empty.bin >/dev/null &&
	packs again >after &&
	test_cmp before after &&
	bup split -q -t in/rand100000.bin >/dev/null &&
	packs again >after2 &&
	test $(wc -l <after2) = 2 &&
	bup split -q -b in/rand100000.bin >/dev/null &&
	packs again >after3 &&
	test_cmp after2 after3 &&
	bup split -q -t in/empty.bin >/dev/null &&
	bup split -q -t in/empty.bin >/dev/null &&
	packs again >after4 &&
	test $(wc -l <after4) = 3 &&
	! ls "$BUP_DIR"/objects | grep pack-tmp
'

test_expect_success 'split -n twice: the second run writes one pack holding only a commit' '
	mkrepo named &&
	export BUP_DIR=$TRASH/named &&
	bup split -q -n x -d 1700000000 in/rand100000.bin &&
	packs named >before &&
	bup split -q -n x -d 1700000000 in/rand100000.bin &&
	packs named >after &&
	test $(wc -l <after) = 2 &&
	new=$(comm -13 before after) &&
	test -n "$new" &&
	git verify-pack -v "$BUP_DIR/objects/pack/$new.idx" >v &&
	grep "^[0-9a-f]\{40\} " v >objs &&
	test $(wc -l <objs) = 1 &&
	test "$(cut -d" " -f1,2 objs)" = "$(git --git-dir="$BUP_DIR" rev-parse x) commit" &&
	bup split -q -c -d 1700000001 in/rand100000.bin >c &&
	packs named >after2 &&
	test $(wc -l <after2) = 3 &&
	new=$(comm -13 after after2) &&
	test $(count "$BUP_DIR/objects/pack/$new.idx") = 1 &&
	test_fsck
'

test_expect_success '--max-pack-objects 100 on rand5m -b: 7 packs, 100 x 6 + 29' '
	mkrepo mpo zlib &&
	BUP_DIR=$TRASH/mpo bup split -q -b --max-pack-objects 100 in/rand5m.bin >ids &&
	test $(wc -l <ids) = 629 &&
	for i in "$TRASH"/mpo/objects/pack/*.idx; do count $i; done | sort -n | tr "\n" " " >got &&
	printf "29 100 100 100 100 100 100 " >want &&
	test_cmp want got &&
	objects mpo >o && objects z-r5b >w && test_cmp w o &&
	test_fsck "$TRASH/mpo"
'

test_expect_success ORACLE '--max-pack-objects 100: the same pack files as the oracle' '
	orepo ompo &&
	BUP_DIR=$TRASH/ompo oracle_bup split -q -b --max-pack-objects 100 in/rand5m.bin >/dev/null &&
	packs ompo >theirs && packs mpo >ours &&
	test_cmp theirs ours &&
	for p in $(cat ours); do
		cmp "$TRASH"/ompo/objects/pack/$p.pack "$TRASH"/mpo/objects/pack/$p.pack &&
		cmp "$TRASH"/ompo/objects/pack/$p.idx "$TRASH"/mpo/objects/pack/$p.idx || return 1
	done
'

# check_size_limit NAME LIMIT: in every pack, the objects before the last one
# take less than LIMIT bytes (so a pack passes the limit by at most one
# object), and every pack but one reaches the limit.
check_size_limit() {
	local full=0 n=0 p
	for p in "$TRASH/$1"/objects/pack/*.idx; do
		git verify-pack -v "$p" | grep -E '^[0-9a-f]{40} ' | awk '{ print $5, $4 }' | sort -n >objs &&
		total=$(awk '{ s += $2 } END { print s }' objs) &&
		last=$(tail -1 objs | cut -d" " -f2) &&
		echo "pack $(basename $p): $(wc -l <objs) objects, $total bytes, last $last" &&
		test $((total - last)) -lt $2 || return 1
		test $total -ge $2 && full=$((full + 1))
		n=$((n + 1))
	done
	test $n -ge 2 && test $full = $((n - 1))
}

test_expect_success '--max-pack-size 1m: each pack stops at the first object past 1 MiB' '
	mkrepo mps &&
	BUP_DIR=$TRASH/mps bup split -q -b --max-pack-size 1m in/rand5m.bin >/dev/null &&
	test $(packs mps | wc -l) -ge 5 &&
	check_size_limit mps 1048576 &&
	objects mps >o && objects z-r5b >w && test_cmp w o &&
	mkrepo mps2 zlib &&
	BUP_DIR=$TRASH/mps2 bup split -q -t --max-pack-size 300k in/rand5m.bin >/dev/null &&
	check_size_limit mps2 307200 &&
	objects mps2 >o && objects z-r5t >w && test_cmp w o
'

test_expect_success 'pack.packSizeLimit is the default for --max-pack-size' '
	mkrepo psl zlib &&
	git --git-dir="$TRASH/psl" config pack.packSizeLimit 300k &&
	BUP_DIR=$TRASH/psl bup split -q -t in/rand5m.bin >/dev/null &&
	packs psl >got && packs mps2 >want &&
	test_cmp want got
'

test_expect_success ORACLE '--max-pack-size 300k and pack.packSizeLimit: the same pack files as the oracle' '
	orepo omps &&
	BUP_DIR=$TRASH/omps oracle_bup split -q -t --max-pack-size 300k in/rand5m.bin >/dev/null &&
	packs omps >theirs && packs mps2 >ours &&
	test_cmp theirs ours &&
	for p in $(cat ours); do
		cmp "$TRASH"/omps/objects/pack/$p.pack "$TRASH"/mps2/objects/pack/$p.pack &&
		cmp "$TRASH"/omps/objects/pack/$p.idx "$TRASH"/mps2/objects/pack/$p.idx || return 1
	done &&
	orepo opsl &&
	git --git-dir="$TRASH/opsl" config pack.packSizeLimit 300k &&
	BUP_DIR=$TRASH/opsl oracle_bup split -q -t in/rand5m.bin >/dev/null &&
	packs opsl >theirs &&
	test_cmp theirs ours
'

test_expect_success 'no temporary pack directories are left behind' '
	! ls -d "$TRASH"/*/objects/pack-tmp-* 2>/dev/null &&
	! ls "$TRASH"/*/objects/pack/ | grep -v -e "^pack-[0-9a-f]\{40\}\.\(pack\|idx\)$" -e "^midx-.*\.midx$" -e "^bup\.bloom$" -e "^$" -e ":$"
'

test_done
