#!/bin/bash
test_description='bup cat-file: contents, --meta and --bupm against Debian bup 0.33'
. "$(dirname "$0")/lib.sh"

# Compare `bup cat-file ARGS` with bup 0.33: stdout bytes, exit code and,
# unless bup 0.33 crashed with a traceback, stderr.
same_cat() {
	local orc=0 rc=0
	oracle_bup cat-file "$@" >o.out 2>o.err || orc=$?
	bup cat-file "$@" >c.out 2>c.err || rc=$?
	if [ "$orc" != "$rc" ]; then
		echo "bup cat-file $*: exit $rc, bup 0.33 exit $orc" >&2
		cat c.err >&2
		return 1
	fi
	cmp o.out c.out || { echo "bup cat-file $*: stdout differs" >&2; return 1; }
	grep -q "^Traceback" o.err && return 0
	cmp -s o.err c.err || { echo "bup cat-file $*: stderr differs" >&2; diff -u o.err c.err >&2; return 1; }
}

SRC=$TRASH/src
S=/main/latest$SRC

test_expect_success ORACLE 'setup: bup 0.33 saves files of every type, chunked ones too' '
	mkdir -p src/d/e src/empty.d &&
	echo hello >src/reg && : >src/empty && ln -s reg src/link &&
	mkfifo src/fifo && echo x >src/x.bup && echo y >src/y.bupm &&
	head -c 1000000 "$(test_data rand5m.bin)" >src/big &&
	cp "$(test_data zero100k.bin)" src/zeros &&
	cp src/big src/c.bup && ln src/reg src/hard &&
	printf n >"src/$(printf "non\\377utf")" && echo deep >src/d/e/f &&
	ln -s loop src/loop &&
	oracle_bup init >/dev/null 2>&1 &&
	oracle_bup index src >/dev/null &&
	oracle_bup save -q -n main src &&
	oracle_bup split -q -n bigsplit src/big &&
	git --git-dir="$BUP_DIR" ls-tree main:"${SRC#/}" >tree &&
	grep -q "	big.bup$" tree &&
	grep -q "	c.bup.bup$" tree &&
	grep -q "	x.bup.bupl$" tree
'

test_expect_success ORACLE 'file contents, chunked files joined' '
	for f in reg empty x.bup y.bupm big zeros c.bup hard "$(printf "non\\377utf")" d/e/f; do
		same_cat "$S/$f" || exit 1
	done &&
	bup cat-file "$S/big" | cmp - src/big &&
	bup cat-file "$S/c.bup" | cmp - src/c.bup &&
	bup cat-file /bigsplit/latest/ 2>/dev/null; test $? = 97
'

test_expect_success ORACLE '--meta: every type, dirs, commits and the root of a save' '
	for f in reg empty link fifo x.bup big hard d d/e/f "" /. ; do
		same_cat --meta "$S/$f" || exit 1
	done &&
	same_cat --meta /main/latest/ &&
	same_cat --meta /main &&
	same_cat --meta /main/latest
'

test_expect_success ORACLE '--bupm: directories, the save root, a branch' '
	for p in "$S" "$S/d" "$S/d/e" "$S/empty.d" /main/latest /main/latest/ /main "$S/reg" "$S/link"; do
		same_cat --bupm "$p" || exit 1
	done &&
	bup cat-file --bupm "$S" >bupm &&
	test -s bupm
'

test_expect_success ORACLE 'errors: usage, missing paths, non-files, ENOTDIR' '
	same_cat && same_cat a b && same_cat --meta --bupm "$S" &&
	same_cat main && same_cat /main && same_cat "//main" &&
	same_cat "$S/nonexistent" && same_cat "/nosuch/latest" &&
	same_cat "$S/d" && same_cat "$S/link" && same_cat "$S/fifo" &&
	same_cat "$S/reg/x" && same_cat "$S/loop/x" && same_cat "$S/loop" &&
	same_cat "$S/no'\''pe" && same_cat --nosuch
'

test_expect_success 'a made-up record (latest) cannot be encoded: one error line, exit 1' '
	test_expect_code 1 bup cat-file --meta /main/latest >out 2>err &&
	test ! -s out && test $(wc -l <err) = 1
'

test_expect_success ORACLE 'git fsck is clean' '
	test_fsck
'

test_done
