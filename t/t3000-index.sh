#!/bin/bash
test_description='bup index and drecurse against bup 0.33 (FORMATS-2 §3)'
. "$(dirname "$0")/lib.sh"

# Ours indexes into $BUP_DIR, the oracle into $OBUP_DIR, both outside
# the tree.  Times: files are made, then we wait 2 s before indexing so
# no time is clamped differently by the two runs.
OBUP_DIR=$TRASH/oracle
theirs() { env BUP_DIR="$OBUP_DIR" "$ORACLE_BUP" "$@"; }
SRC=$TRASH/src
DECODE=$TEST_ROOT/t/gold/decode_index.py
# structural decode: every field but times and meta offsets
decode() { python3 "$DECODE" "$1" | sed -E 's/ c=[^ ]+ m=[^ ]+ a=[^ ]+//; s/ meta_ofs=[0-9]+//'; }
# compare every print mode, ours on our index, the oracle on its own
cmp_prints() {
	for m in -p -s -m "-s -m" "-s -l" "-s -H" "-p -l -H"; do
		(cd "$TRASH" && bup index $m "$@") >ours.out 2>ours.err || return 1
		(cd "$TRASH" && theirs index $m "$@") >theirs.out 2>theirs.err || return 1
		test_cmp theirs.out ours.out || { echo "differs: index $m $*" >&2; return 1; }
		test -s ours.out || [ "$m" = -m ] || [ "$m" = "-s -m" ] || { echo "empty: $m" >&2; return 1; }
	done
}

test_expect_success 'setup: a tree with every file type and awkward names' '
	bup init >/dev/null 2>&1 &&
	mkdir -p "$SRC/sub/d1/d2/d3/d4/d5/d6/d7/d8/d9" "$SRC/empty dir" "$SRC/skip/inner" "$SRC/rx" &&
	echo hello >"$SRC/reg" && : >"$SRC/empty" &&
	echo link >"$SRC/hl1" && ln "$SRC/hl1" "$SRC/hl2" && ln "$SRC/hl1" "$SRC/sub/hl3" &&
	ln -s reg "$SRC/symlink" && ln -s /nonexistent "$SRC/dangling" &&
	mkfifo "$SRC/fifo" &&
	echo sp >"$SRC/with space" && echo x >"$SRC/x.bup" && echo y >"$SRC/y.bupm" &&
	echo nu >"$SRC/$(printf "non\377utf8")" &&
	echo deep >"$SRC/sub/d1/d2/d3/d4/d5/d6/d7/d8/d9/leaf" &&
	echo s >"$SRC/skip/inner/f" && echo r >"$SRC/rx/a.tmp" && echo r >"$SRC/rx/b.keep" &&
	python3 -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$SRC/sock" &&
	touch -h -d "2020-01-02 03:04:05.123456789" "$SRC/reg" "$SRC/symlink" "$SRC/hl1" &&
	sleep 2
'

test_expect_success ROOT 'setup: device nodes' '
	mknod "$SRC/chr" c 1 3 && mknod "$SRC/blk" b 7 0 && sleep 1
'

test_expect_success ORACLE 'first index -u: every print mode equals the oracle' '
	theirs init >/dev/null 2>&1 &&
	bup index -u "$SRC" 2>err && test ! -s err &&
	theirs index -u "$SRC" 2>/dev/null &&
	cmp_prints "$SRC" &&
	cmp_prints src &&
	(cd "$SRC" && bup index -s -l >"$TRASH/o" && theirs index -s -l >"$TRASH/t") &&
	test_cmp t o && grep -q "^A 0040755 0000000 \./$" o
'

test_expect_success ORACLE 'the oracle reads our bupindex; same structure as its own' '
	theirs index -s -l -H -f "$BUP_DIR/bupindex" "$SRC" >t &&
	bup index -s -l -H "$SRC" >o &&
	test_cmp o t &&
	decode "$BUP_DIR/bupindex" >od && decode "$OBUP_DIR/bupindex" >td &&
	test_cmp td od &&
	grep -q "footer count" od
'

test_expect_success 'bupindex: header, root last, --check passes' '
	head -c 8 "$BUP_DIR/bupindex" | od -An -c | tr -d " " >h &&
	test "$(cat h)" = "BUPI\\0\\0\\0\\a" &&
	bup index --check -p "$SRC" >/dev/null 2>err &&
	grep -q "check: passed" err
'

test_expect_success ORACLE 'bupindex.hlink: same dict as the oracle, readable by Python' '
	cat >dump.py <<-\PY &&
	import pickle, sys
	d = pickle.load(open(sys.argv[1], "rb"), encoding="bytes")
	for k in sorted(d): print(k.split(b":")[0] != b"", sorted(d[k]))
	PY
	python3 dump.py "$BUP_DIR/bupindex.hlink" >o &&
	python3 dump.py "$OBUP_DIR/bupindex.hlink" >t &&
	test_cmp t o && grep -q hl3 o
'

test_expect_success ORACLE 'second index -u with nothing changed' '
	bup index -u "$SRC" && theirs index -u "$SRC" 2>/dev/null &&
	cmp_prints "$SRC"
'

test_expect_success ORACLE 'changed, removed and added files: statuses M, D and A' '
	echo changed >>"$SRC/reg" && rm "$SRC/with space" && echo new >"$SRC/sub/new" &&
	rm "$SRC/hl2" && sleep 2 &&
	bup index -u "$SRC" && theirs index -u "$SRC" 2>/dev/null &&
	cmp_prints "$SRC" &&
	bup index -s "$SRC" >o &&
	grep -q "^D .*/with space$" o && grep -q "^A .*/sub/new$" o && grep -q "^A .*/reg$" o &&
	python3 dump.py "$BUP_DIR/bupindex.hlink" >ho && python3 dump.py "$OBUP_DIR/bupindex.hlink" >ht &&
	test_cmp ht ho && ! grep -q hl2 ho
'

test_expect_success ORACLE '--fake-valid, then a change gives M, then --fake-invalid' '
	bup index -u --fake-valid "$SRC" && theirs index -u --fake-valid "$SRC" 2>/dev/null &&
	cmp_prints "$SRC" &&
	bup index -m "$SRC" >o && test ! -s o &&
	bup index -p -H "$SRC" | grep -q "^0101010101010101010101010101010101010101 " &&
	echo more >>"$SRC/empty" && sleep 2 &&
	bup index -u "$SRC" && theirs index -u "$SRC" 2>/dev/null &&
	cmp_prints "$SRC" &&
	bup index -s "$SRC" | grep -q "^M .*/empty$" &&
	bup index -s "$SRC" | grep -q "^M .*/src/$" &&
	bup index -u --fake-invalid "$SRC" && theirs index -u --fake-invalid "$SRC" 2>/dev/null &&
	cmp_prints "$SRC" &&
	! bup index -s "$SRC" | grep -q "^  "
'

test_expect_success ORACLE 'a new path indexed as its own top is merged (blank ancestors)' '
	bup index -u --fake-valid "$SRC" && theirs index -u --fake-valid "$SRC" 2>/dev/null &&
	mkdir "$SRC/sub/d1/newdir" && echo n >"$SRC/sub/d1/newdir/f" && sleep 2 &&
	bup index -u "$SRC/sub/d1/newdir" && theirs index -u "$SRC/sub/d1/newdir" 2>/dev/null &&
	cmp_prints "$SRC" &&
	bup index -s "$SRC" | grep -q "^A .*/sub/d1/$" &&
	decode "$BUP_DIR/bupindex" >od && decode "$OBUP_DIR/bupindex" >td &&
	sed -E "s/ dev=[0-9]+ ino=[0-9]+ nlink=[0-9]+//" od >od2 &&
	sed -E "s/ dev=[0-9]+ ino=[0-9]+ nlink=[0-9]+//" td >td2 &&
	test_cmp td2 od2
'

test_expect_success ORACLE 'several paths, nested ones dropped, printed as typed' '
	bup index -u "$SRC/sub" "$SRC/rx" "$SRC/sub/d1" &&
	theirs index -u "$SRC/sub" "$SRC/rx" "$SRC/sub/d1" 2>/dev/null &&
	cmp_prints "$SRC/sub" src/rx "$SRC/sub/d1/d2" &&
	cmp_prints src/reg src/symlink
'

test_expect_success ORACLE 'excludes: --exclude, --exclude-from, --exclude-rx, --exclude-rx-from' '
	printf "%s\n\n" "$SRC/sub/d1/d2" >exfrom &&
	printf "\\\\.tmp\$\n" >rxfrom &&
	for args in "--exclude=$SRC/skip" "--exclude=$SRC/skip/" "--exclude-from=exfrom" \
		"--exclude-rx=/inner/" "--exclude-rx=^$SRC/e" "--exclude-rx-from=rxfrom" \
		"--exclude-rx=x\\.bup"; do
		rm -f ix oix ix.* oix.* &&
		bup index -u -f ix "$args" "$SRC" &&
		theirs index -u -f oix "$args" "$SRC" 2>/dev/null &&
		bup index -s -l -f ix "$SRC" >o &&
		theirs index -s -l -f oix "$SRC" >t &&
		test_cmp t o || { echo "with $args" >&2; exit 1; }
	done &&
	bup index -p -f ix "$SRC" >o && ! grep -q "x\\.bup" o &&
	rm -f ix ix.* && bup index -u -f ix --exclude-rx="\\.tmp$" "$SRC" &&
	bup index -p -f ix "$SRC" >o && ! grep -q "a\\.tmp" o && grep -q "b\\.keep" o
'

test_expect_success 'the repository itself is never indexed' '
	mkdir -p inside && BUP_DIR=$TRASH/inside/repo bup init >/dev/null 2>&1 &&
	echo f >inside/file &&
	BUP_DIR=$TRASH/inside/repo bup index -u inside &&
	BUP_DIR=$TRASH/inside/repo bup index -p inside >o &&
	grep -q "^inside/file$" o && ! grep -q repo o
'

test_expect_success ORACLE 'drecurse prints what bup 0.33 prints' '
	bup drecurse "$SRC" >o && theirs drecurse "$SRC" >t && test_cmp t o &&
	(cd "$TRASH" && bup drecurse src/ >o && theirs drecurse src/ >t) && test_cmp t o &&
	(cd "$TRASH" && bup drecurse --exclude src/sub --exclude-rx "\\.bup" src >o &&
	 theirs drecurse --exclude src/sub --exclude-rx "\\.bup" src >t) && test_cmp t o &&
	! grep -q "sub/" o &&
	bup drecurse -q "$SRC" >o && test ! -s o
'

test_expect_success 'bad usage: -u without paths, --fake-* without -u, --clear with -f' '
	test_expect_code 97 bup index -u 2>err && grep -q "no paths given" err &&
	test_expect_code 97 bup index -p --fake-valid 2>err && grep -q meaningless err &&
	test_expect_code 97 bup index -u --fake-valid --fake-invalid x 2>err && grep -q incompatible err &&
	test_expect_code 97 bup index --clear -f x 2>err && grep -q "cannot clear" err &&
	test_expect_code 97 bup drecurse 2>err && grep -q "exactly one" err
'

test_expect_success 'an unreadable path is counted: WARNING and exit 1' '
	test_expect_code 1 bup index -u -f ix2 "$TRASH/no-such-path" 2>err &&
	grep -q "^unique_resolved_paths: .*no-such-path" err &&
	grep -q "WARNING: 2 errors encountered." err
'

test_expect_success 'a corrupt or truncated bupindex: clear error naming the file, --clear recovers' '
	cp "$BUP_DIR/bupindex" good &&
	size=$(wc -c <good) && head -c $((size - 50)) good >"$BUP_DIR/bupindex" &&
	test_expect_code 1 bup index -p "$SRC" >o 2>err &&
	grep -q "$BUP_DIR/bupindex" err && grep -q corrupt err && grep -q -- --clear err &&
	test_expect_code 1 bup index -u "$SRC" 2>err && grep -q corrupt err &&
	cp good "$BUP_DIR/bupindex" &&
	printf "\\377\\377\\377\\377" | dd of="$BUP_DIR/bupindex" bs=1 seek=$((size - 28)) conv=notrunc 2>/dev/null &&
	test_expect_code 1 bup index -p "$SRC" 2>err && grep -q corrupt err &&
	bup index --clear 2>err && grep -q "clear: clearing index" err &&
	test ! -e "$BUP_DIR/bupindex" && test ! -e "$BUP_DIR/bupindex.meta" &&
	test ! -e "$BUP_DIR/bupindex.hlink" &&
	bup index -u "$SRC" && bup index -p "$SRC" >o && grep -qa "/src/reg$" o
'

test_expect_success ORACLE 'a wrong header is a warning and reads as empty, as in bup' '
	printf "NOTBUPI\\0" >bad &&
	bup index -u -f bad "$SRC/reg" 2>err &&
	grep -q "warning: bad: header" err &&
	bup index -p -f bad "$SRC/reg" >o && grep -q "/src/reg$" o
'

test_expect_success 'an entry updated within a second of its change keeps a clamped mtime (so a change in the same tick is not missed)' '
	mkdir -p tick && echo aaaa >tick/f && touch -d "2020-01-01 00:00:00" tick/f &&
	bup index -u -f tix "$TRASH/tick" &&
	echo bbbb >tick/f &&
	bup index -u -f tix "$TRASH/tick" &&
	python3 "$DECODE" tix >dec &&
	grep "b.f. " dec >line &&
	real=$(stat -c %Y tick/f) &&
	stored=$(sed -n "s/.* m=\([0-9]*\)\..*/\1/p" line) &&
	test -n "$stored" && test "$stored" -lt "$real"
'

test_expect_success 'kill -9 during index -u leaves the old index usable' '
	mkdir -p big && (cd big && for i in $(seq 1 40); do mkdir d$i && (cd d$i && seq 1 300 | xargs touch); done) &&
	bup index -u -f kix "$TRASH/big" && bup index -p -f kix "$TRASH/big" >before &&
	for d in 0.02 0.05 0.1 0.2 0.4; do
		touch big/d1/1 big/d7/new$d &&
		(bup index -u -f kix "$TRASH/big" & pid=$!; sleep $d; kill -9 $pid; wait $pid) 2>/dev/null
		bup index --check -p -f kix "$TRASH/big" >after 2>err ||
			{ cat err; exit 1; }
		grep -q "check: passed" err && test "$(wc -l <after)" -ge "$(wc -l <before)" || exit 1
	done
'

test_done
