#!/bin/bash
test_description='bup split -t/-b give the golden ids of FORMATS-1 7.2 and agree with bup 0.33'
. "$(dirname "$0")/lib.sh"

# The oracle writes into its own repository, never into ours.
OBUP_DIR=$TRASH/oracle
ob() { BUP_DIR=$OBUP_DIR oracle_bup "$@"; }

# name  -t tree  -b line count  sha1 of the whole -b output (FORMATS-1 7.2)
GOLDEN='
empty.bin 4b825dc642cb6eb9a060e54bf8d69288fbee4904 0 da39a3ee5e6b4b0d3255bfef95601890afd80709
one.bin 1f7af70d2e86de00c2ffa17c9b18b8a147e3668c 1 dfe8923427f650233dd6a64385bd4516b59f9278
zero100k.bin 887a1f46b23ad33d7ab55f36188b1d93f3575523 4 44f64227f2c3092160ed95787390a6745d156bda
rand100000.bin 6da082fab544b6ac5c9c3d7211903da4e81fb3eb 12 35b4e867f43e48e800fc31fcecce02f2e578234a
seq200k.txt 7764361cf3a539f61c8494a085c6cff641d445be 195 ed3316441da9c1fd91389afcb0977b4b2fec977e
rand5m.bin bff4bb514fb16978768e4f694af4a6218d935bcf 629 09332936d4b0e343ce89dab5f687d34a1eaf2d78
zero20m.bin d86e9133068f90be162f262eddef0b8339c16aec 640 5fc78c0735560fe91fc6f4d65c10beda9bd7273a
rand200m.bin 4b17588ff878fadccf3651cf70a79f778d528f8d 26182 a5617407c1fff47232496af46aca0dee6fd72e56
yesdi100k.bin a228f87a0604889ed779f4e2b4cec349049d566e 4 e52585b887e8a7ad221827f1928ef0bdf3a30ed9
readbound.bin bf1d5f2d4f8289c9ce3c7a61d37fc4db4768ac9b 613 484ff9eb4c62ffad8a2394b8d498fcbc880d2faa
'

# check_b FILE LINES SHA1: FILE holds -b output with that many lines and that sha1
check_b() {
	test "$(wc -l <"$1")" -eq "$2" &&
	echo "$3" >"$1.want" &&
	sha1sum <"$1" | cut -d" " -f1 >"$1.got" &&
	test_cmp "$1.want" "$1.got"
}

test_expect_success 'setup: our repository and the oracle repository' '
	bup init 2>/dev/null &&
	mkdir golden &&
	for f in empty.bin one.bin zero100k.bin rand100000.bin seq200k.txt rand5m.bin zero20m.bin rand200m.bin yesdi100k.bin readbound.bin; do
		ln -s "$(test_data $f)" golden/$f || return 1
	done
'

test_expect_success ORACLE 'setup: oracle repository' '
	ob init >/dev/null 2>&1 &&
	test -d "$OBUP_DIR/objects/pack"
'

echo "$GOLDEN" | while read -r name tree lines bsha; do
	[ -n "$name" ] || continue
	echo "$name $tree $lines $bsha"
done >golden.list

while read -r name tree lines bsha; do
	test_expect_success "$name: split -q -t and -b give the golden ids" '
		bup split -q -t golden/'"$name"' >'"$name"'.t &&
		echo '"$tree"' >'"$name"'.t.want &&
		test_cmp '"$name"'.t.want '"$name"'.t &&
		bup split -q -b golden/'"$name"' >'"$name"'.b &&
		check_b '"$name"'.b '"$lines"' '"$bsha"'
	'
	test_expect_success "$name: --noop -t and --noop -b give the same ids" '
		bup split -q --noop -t golden/'"$name"' >'"$name"'.nt &&
		test_cmp '"$name"'.t.want '"$name"'.nt &&
		bup split -q --noop -b golden/'"$name"' >'"$name"'.nb &&
		check_b '"$name"'.nb '"$lines"' '"$bsha"'
	'
	test_expect_success ORACLE "$name: the oracle prints the same -t and -b" '
		ob split -q -t golden/'"$name"' >'"$name"'.ot &&
		test_cmp '"$name"'.t.want '"$name"'.ot &&
		ob split -q -b golden/'"$name"' >'"$name"'.ob &&
		test_cmp '"$name"'.ob '"$name"'.b &&
		check_b '"$name"'.ob '"$lines"' '"$bsha"'
	'
done <golden.list

test_expect_success 'the blobs -b printed are in our repository' '
	sort -u rand5m.bin.b >want &&
	git --git-dir="$BUP_DIR" cat-file --batch-check="%(objectname) %(objecttype)" <want >got &&
	sed "s/$/ blob/" want >want2 &&
	test_cmp want2 got
'

test_expect_success 'first -b lines of FORMATS-1 7.2' '
	head -3 rand100000.bin.b >got &&
	printf "%s\n" 4232d0b87496c8a3a61250edb317383ebcd033ea 354a1dee2b5100a05b8c3fce2b7d6ce33a649e86 531fc327ba2772e1c95714e91b924a49237133bb >want &&
	test_cmp want got &&
	head -3 readbound.bin.b | cut -c1-8 >got &&
	printf "%s\n" 4232d0b8 c70f8f40 6e0f21f1 >want &&
	test_cmp want got &&
	test "$(sort -u readbound.bin.b | wc -l)" = 6 &&
	test "$(sort -u zero100k.bin.b | wc -l)" = 2 &&
	test "$(sort -u zero20m.bin.b)" = 12f3be4dd3b5a2b5146f36630acbf7e99e490797
'

test_expect_success 'tree shapes of FORMATS-1 7.2' '
	git --git-dir="$BUP_DIR" ls-tree d86e9133068f90be162f262eddef0b8339c16aec >got &&
	cat >want <<-EOF &&
	040000 tree c346be176670b646d7cc416a66c0e1673201f08a	0000000
	040000 tree c346be176670b646d7cc416a66c0e1673201f08a	0800000
	EOF
	head -2 got >got2 && test_cmp want got2 &&
	test $(wc -l <got) = 3 &&
	sed -n "3s/.*\t//p" got >name && echo 1000000 >want && test_cmp want name &&
	git --git-dir="$BUP_DIR" ls-tree c346be176670b646d7cc416a66c0e1673201f08a >sub &&
	test $(wc -l <sub) = 256 &&
	test $(grep -c "^100644 blob 12f3be4dd3b5a2b5146f36630acbf7e99e490797	" sub) = 256 &&
	git --git-dir="$BUP_DIR" ls-tree bff4bb514fb16978768e4f694af4a6218d935bcf | cut -f2 | tr "\n" " " >got &&
	test "$(cat got)" = "000000 1eb565 27ca85 3dc1fc " &&
	git --git-dir="$BUP_DIR" ls-tree 1f7af70d2e86de00c2ffa17c9b18b8a147e3668c >got &&
	printf "100644 blob 2e65efe2a145dda7ee51d1741299f848e5bf752e\t0\n" >want &&
	test_cmp want got
'

test_expect_success 'several files, with and without --keep-boundaries (golden)' '
	bup split -q -t golden/rand100000.bin golden/one.bin golden/zero100k.bin >got &&
	echo 4a5257a6fde698c5c59fd3461428023acec265dc >want &&
	test_cmp want got &&
	bup split -q -t --keep-boundaries golden/rand100000.bin golden/one.bin golden/zero100k.bin >got &&
	echo ea5ba50d0a4e71991adf6b19ce907dc2b13830c8 >want &&
	test_cmp want got &&
	bup split -q --noop -t golden/rand100000.bin golden/one.bin golden/zero100k.bin >got &&
	echo 4a5257a6fde698c5c59fd3461428023acec265dc >want &&
	test_cmp want got
'

test_expect_success ORACLE 'several files: the oracle agrees, -t and -b, with and without --keep-boundaries' '
	for kb in "" --keep-boundaries; do
		for m in -t -b; do
			bup split -q $m $kb golden/yesdi100k.bin golden/rand100000.bin golden/one.bin golden/zero100k.bin golden/seq200k.txt >ours &&
			ob split -q $m $kb golden/yesdi100k.bin golden/rand100000.bin golden/one.bin golden/zero100k.bin golden/seq200k.txt >theirs &&
			test_cmp theirs ours || return 1
		done
	done
'

test_expect_success '--fanout 4, 2, 100 and 0 on rand5m (golden)' '
	for fo in 4:d38f04196d0deab2eed505fc62984fd32829f00d 2:48a9fa7b114aa6142ce9f9e72e727f46862e0980 \
		100:19807eb95809c71ae2c474a383d97874c0c346dd 0:bff4bb514fb16978768e4f694af4a6218d935bcf \
		16:bff4bb514fb16978768e4f694af4a6218d935bcf; do
		n=${fo%%:*} && echo ${fo#*:} >want &&
		bup split -q -t --fanout $n golden/rand5m.bin >got &&
		test_cmp want got &&
		bup split -q --noop -t --fanout=$n golden/rand5m.bin >got &&
		test_cmp want got || return 1
	done
'

test_expect_success ORACLE '--fanout 4, 2, 100, 0, 8 on rand5m: the oracle agrees' '
	for n in 4 2 100 0 8; do
		bup split -q --noop -t --fanout $n golden/rand5m.bin >ours &&
		ob split -q --noop -t --fanout $n golden/rand5m.bin >theirs &&
		test_cmp theirs ours || return 1
	done
'

test_expect_success 'cat readbound.bin | bup split -t equals the file (golden)' '
	echo bf1d5f2d4f8289c9ce3c7a61d37fc4db4768ac9b >want &&
	cat golden/readbound.bin | bup split -q -t >got &&
	test_cmp want got &&
	cat golden/readbound.bin | bup split -q --noop -t >got &&
	test_cmp want got &&
	cat golden/readbound.bin | bup split -q --noop -b >got &&
	test_cmp readbound.bin.b got &&
	bup split -q --noop -t <golden/readbound.bin >got &&
	test_cmp want got
'

test_expect_success 'a slow pipe (short reads) gives the same ids as the file' '
	{ head -c 4000000 golden/readbound.bin; sleep 0.2; tail -c +4000001 golden/readbound.bin; } |
		bup split -q --noop -t >got &&
	echo bf1d5f2d4f8289c9ce3c7a61d37fc4db4768ac9b >want &&
	test_cmp want got
'

# Random data of many sizes, cut out of rand300m.bin, against the oracle.
R300=$(test_data rand300m.bin)
SIZES="0 1 2 63 64 65 8191 8192 8193 32767 32768 32769 65536 1000000 8388607 8388608 8388609 16777215 16777216 16777217"
RSIZES="$(( (RANDOM * 32768 + RANDOM) % 30000000 + 1 )) $(( (RANDOM * 32768 + RANDOM) % 3000000 )) $(( RANDOM % 70000 ))"

test_expect_success 'setup: prefixes of rand300m.bin' '
	mkdir rnd &&
	for n in $SIZES $RSIZES; do
		head -c $n "$R300" >rnd/$n &&
		test $(wc -c <rnd/$n) = $n || return 1
	done
'

test_expect_success ORACLE "random prefixes ($SIZES $RSIZES): -t and -b agree with the oracle" '
	for n in $SIZES $RSIZES; do
		bup split -q --noop -t rnd/$n >ours.t &&
		ob split -q --noop -t rnd/$n >theirs.t &&
		bup split -q --noop -b rnd/$n >ours.b &&
		ob split -q --noop -b rnd/$n >theirs.b &&
		test_cmp theirs.t ours.t &&
		test_cmp theirs.b ours.b || { echo "size $n differs"; return 1; }
	done
'

test_expect_success 'random prefixes: stdin gives the same ids as the file' '
	for n in 0 1 65 32769 8388609 16777217; do
		bup split -q --noop -t rnd/$n >file.t &&
		bup split -q --noop -t <rnd/$n >stdin.t &&
		test_cmp file.t stdin.t || { echo "size $n differs"; return 1; }
	done
'

test_expect_success 'random prefixes: -b line counts fit the data (chunks of 1..32768 bytes)' '
	for n in 1 8191 32768 32769; do
		bup split -q --noop -b rnd/$n >b && test $(wc -l <b) -ge 1 &&
		test $(wc -l <b) -ge $(( (n + 32767) / 32768 )) || return 1
	done &&
	bup split -q --noop -b rnd/0 >b && ! test -s b &&
	bup split -q --noop -t rnd/0 >t && test "$(cat t)" = 4b825dc642cb6eb9a060e54bf8d69288fbee4904
'

test_expect_success ORACLE 'data without split points across 8 MiB read boundaries agrees with the oracle' '
	{ head -c 8380000 "$R300"; yes di | head -c 100000; head -c 8200000 "$R300";
	  yes ab | head -c 70001; head -c 12345 golden/rand100000.bin; head -c 40000 /dev/zero; } >mixed &&
	{ yes di | head -c 45000; } >y1 && { head -c 3000 "$R300"; yes di | head -c 50001; } >y2 &&
	for args in mixed "y1 y2 y1" "--keep-boundaries y2 y1 y2" "y2 mixed"; do
		bup split -q --noop -t $args >ours.t &&
		ob split -q --noop -t $args >theirs.t &&
		bup split -q --noop -b $args >ours.b &&
		ob split -q --noop -b $args >theirs.b &&
		test_cmp theirs.t ours.t &&
		test_cmp theirs.b ours.b || { echo "args $args differ"; return 1; }
	done
'

test_expect_success ORACLE 'all of rand300m.bin: -t and -b agree with the oracle' '
	bup split -q --noop -t "$R300" >ours.t &&
	ob split -q --noop -t "$R300" >theirs.t &&
	test_cmp theirs.t ours.t &&
	bup split -q --noop -b "$R300" >ours.b &&
	ob split -q --noop -b "$R300" >theirs.b &&
	test_cmp theirs.b ours.b &&
	test $(wc -l <ours.b) -gt 30000
'

test_expect_success 'our repository is clean' '
	test_fsck
'

test_done
