#!/bin/bash
test_description='bup ls and the VFS against Debian bup 0.33 on a repository it wrote'
. "$(dirname "$0")/lib.sh"

# bup's messages show Python object addresses; those cannot match.
noaddr() { sed 's/0x[0-9a-f]*/0xADDR/g' "$@"; }

# Compare `bup ls ARGS` with bup 0.33: stdout, stderr and exit code.
# Runs in the current environment (TZ, BUP_FORCE_TTY...).
same_ls() {
	local orc=0 rc=0
	oracle_bup ls "$@" >o.out 2>o.err || orc=$?
	bup ls "$@" >c.out 2>c.err || rc=$?
	if [ "$orc" != "$rc" ]; then
		echo "bup ls $*: exit $rc, bup 0.33 exit $orc" >&2
		cat c.err >&2
		return 1
	fi
	cmp -s o.out c.out || { echo "bup ls $*: stdout differs" >&2; diff -u o.out c.out >&2; return 1; }
	noaddr o.err >o.err2 && noaddr c.err >c.err2 &&
	cmp -s o.err2 c.err2 || { echo "bup ls $*: stderr differs" >&2; diff -u o.err2 c.err2 >&2; return 1; }
}

SRC=$TRASH/src
S=/main/latest$SRC

test_expect_success ORACLE 'setup: bup 0.33 saves a tree with every file type' '
	mkdir -p src/d/e/f/g/h/i src/emptydir src/sub &&
	echo hello >src/reg && : >src/empty &&
	printf "#!/bin/sh\n" >src/exec && chmod 755 src/exec &&
	ln -s reg src/link && ln -s /nowhere src/dangling &&
	ln -s ../reg src/d/uplink && ln -s "$S/reg" src/abslink &&
	ln -s "$S/d" src/absdir && ln -s / src/toroot &&
	mkfifo src/fifo &&
	echo x >src/x.bup && echo y >src/y.bupm && mkdir src/z.bup &&
	echo inz >src/z.bup/f &&
	head -c 1000000 "$(test_data rand5m.bin)" >src/big &&
	cp src/big src/a.bup &&
	ln src/reg src/hard && echo deep >src/d/e/f/g/h/i/deepfile &&
	printf n >"src/$(printf "non\\377utf")" &&
	printf q >"src/it'\''s" &&
	ln -s loop1 src/loop2 && ln -s loop2 src/loop1 &&
	ln -s reg/x src/through && echo s >src/sub/file &&
	chmod 4755 src/sub/file && touch -d "2001-02-03 04:05:06" src/sub/file &&
	mkdir src/sticky && echo t >src/sticky/f && chmod 1777 src/sticky &&
	mkdir src/setgid && chmod 2755 src/setgid && echo g >src/setgid/f &&
	python3 -c "import socket; socket.socket(socket.AF_UNIX).bind(\"src/sock\")" &&
	if [ "$(id -u)" = 0 ]; then mknod src/chr c 1 3 && mknod src/blk b 7 0; fi &&
	oracle_bup init >/dev/null 2>&1 &&
	oracle_bup index src >/dev/null &&
	# three saves in one second, one later, then that second again
	for d in 1700000000 1700000000 1700000000 1700000005 1700000000; do
		oracle_bup save -q -n main --date=$d src || exit 1
	done &&
	oracle_bup save -q -n other --date=1600000000 src/d &&
	oracle_bup tag mytag main &&
	git --git-dir="$BUP_DIR" rev-parse main^{tree} >tree &&
	oracle_bup tag treetag "$(cat tree)" &&
	git --git-dir="$BUP_DIR" rev-parse main:.bupm >bupm &&
	oracle_bup tag blobtag "$(cat bupm)" &&
	oracle_bup split -q -n splitonly src/big &&
	oracle_bup ls /main >saves &&
	test $(wc -l <saves) = 6
'

test_expect_success ORACLE 'save names: runs of equal names are numbered, as 0.33.7 does' '
	# newest first: :20, :25, then :20 three times
	printf "%s\n" 2023-11-14-221320 2023-11-14-221320-0 2023-11-14-221320-1 \
		2023-11-14-221320-2 2023-11-14-221325 latest >expect &&
	TZ=UTC bup ls /main >actual &&
	test_cmp expect actual &&
	same_ls /main && same_ls -l /main && same_ls -la /main
'

test_expect_success ORACLE 'save names use the reader'\''s local time zone' '
	for tz in America/New_York Asia/Kolkata UTC; do
		TZ=$tz same_ls /main && TZ=$tz same_ls -l "$S" || exit 1
	done
'

test_expect_success ORACLE 'option combinations on a save directory' '
	for o in "" -l -a -A -F --file-type -s --commit-hash -n --human-readable \
		 "-la -F -s" "-lA --file-type --commit-hash" "-l -n -s" \
		 "-l --human-readable -a" "-aF -s" "-A --file-type --commit-hash" \
		 "-F --file-type" "--file-type -F" "-a -A" "-A -a" "-l -n --human-readable -F"; do
		same_ls $o "$S" || exit 1
	done
'

test_expect_success ORACLE 'the root, branches, tags, split-only commits' '
	for o in "" -l -la -ls --commit-hash "-ls --commit-hash" -ld -lAF; do
		same_ls $o / /main /other /.tag /.tag/mytag /.tag/treetag /.tag/blobtag \
			/splitonly /splitonly/latest /main/latest /other/latest/ || exit 1
	done
'

test_expect_success ORACLE 'single entries of every type, with and without -d' '
	set -- &&
	for f in reg empty exec link dangling fifo sock x.bup y.bupm z.bup \
		 a.bup big hard "$(printf "non\\377utf")" "it'\''s" sub/file d \
		 d/uplink abslink absdir toroot emptydir chr blk; do
		if test -e "src/$f" || test -L "src/$f"; then set -- "$@" "$S/$f"; fi
	done &&
	for o in "" -l -d -ld -F -lF -s -ln "-l --human-readable"; do
		same_ls $o "$@" || exit 1
	done
'

test_expect_success ORACLE 'path resolution: dots, slashes, .. at the root, latest, links' '
	set -- "//main//latest/$SRC" "/main/./latest/.$SRC/" "/main/latest$SRC/." \
		 "main/latest$SRC/reg" "/../../main/../main" "/main/latest/.." \
		 "$S/d/e/../e/./f//g" "$S/d/uplink" "$S/absdir/e" "$S/toroot/main" \
		 "$S/abslink" "$S/link/" "$S/reg/" "$S/reg/." "$S/absdir/" \
		 "/main/latest/../latest$SRC/d/e/f/g/h/i/deepfile" . / "//" /// &&
	same_ls "$@" && same_ls -l "$@" && same_ls -d "$@" &&
	# bup 0.33 fails an assertion on an empty path
	test_expect_code 1 bup ls "" >out 2>err && test ! -s out && test -s err &&
	test_expect_code 1 oracle_bup ls "" >/dev/null 2>&1
'

test_expect_success ORACLE 'errors: missing names, ENOTDIR, ELOOP; exit 1 and the rest still listed' '
	for p in "$S/nonexistent" /nosuchbranch /main/nosave "/main/2023-11-14-221320-9" \
		 "$S/reg/x" "$S/d/e/nothere/x" "$S/loop1/x" "$S/through/x" \
		 "$S/$(printf "non\\377utf")/x" "$S/nothere\\xff" "/.tag/nosuchtag" \
		 "$S/it'\''s/x" "$S/nothere'\''\"x" \
		 "$S/sticky/f/x" "$S/setgid/f/x" "$S/sub/file/x"; do
		same_ls "$p" && same_ls -ld "$p" || exit 1
	done &&
	same_ls "$S/nonexistent" "$S/sub" "$S/reg/x" "$S/reg" &&
	test_expect_code 1 bup ls "$S/nonexistent" "$S/sub" >out 2>err &&
	grep -q "^file$" out &&
	grep -q "^error: cannot access .*nonexistent" err
'

test_expect_success ORACLE 'dangling and looping final links: ls -d works, plain ls fails' '
	same_ls -d "$S/loop1" && same_ls -ld "$S/loop1" && same_ls "$S/dangling" &&
	test_expect_code 1 bup ls "$S/loop1" >out 2>err &&
	test ! -s out && grep -q "too many symlinks" err &&
	test_expect_code 1 oracle_bup ls "$S/loop1" >/dev/null 2>&1
'

test_expect_success ORACLE 'several paths: headers and blank lines; columns on a tty' '
	same_ls "$S/reg" "$S/d" / &&
	for w in 5 20 70 200; do
		for o in "" -F -s -l; do
			BUP_FORCE_TTY=1 BUP_TTY_WIDTH=$w same_ls $o "$S" "$S/reg" / || exit 1
		done
	done
'

test_expect_success ORACLE 'options: usage and errors as bup 0.33 (repository checked first)' '
	same_ls --nosuch &&
	same_ls -h &&
	test_expect_code 15 bup -d "$TRASH/nothere" ls --nosuch 2>err &&
	grep -q "^error: repository .* does not exist" err &&
	test_expect_code 15 oracle_bup -d "$TRASH/nothere" ls --nosuch 2>/dev/null
'

test_expect_success ORACLE 'a repository without branches or tags: the same empty listings' '
	(export BUP_DIR=$TRASH/norefs && bup init >/dev/null 2>&1 &&
	 same_ls && same_ls / && same_ls -a / && same_ls /.tag &&
	 same_ls -l /.tag)
'

test_expect_success ORACLE 'git fsck is clean' '
	test_fsck
'

test_done
