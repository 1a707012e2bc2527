# t/lib-tree.sh: a fixture tree holding every kind of thing bup saves and
# restores, for the save/restore round-trip tests (sourced after lib.sh).
#
#   make_fixture_tree DIR   builds it (DIR must not exist yet)
#   compare_trees [opts] A B   t/compare-trees: exits 1 and prints one
#                              line per difference if they differ
#
# Devices, other owners and mode-000 files only as root; xattrs and ACLs
# only where setfattr/setfacl work on the test's filesystem.  The chunked
# file comes from test_data (made once per run).

compare_trees() { python3 "$TEST_ROOT/t/compare-trees" "$@"; }

# xattrs and ACLs work on the filesystem holding $1
tree_have_xattr() {
	command -v setfattr >/dev/null && command -v setfacl >/dev/null &&
	: >"$1/.xattr-probe" &&
	setfattr -n user.probe -v 1 "$1/.xattr-probe" 2>/dev/null &&
	setfacl -m u:nobody:r "$1/.xattr-probe" 2>/dev/null
	local rc=$?
	rm -f "$1/.xattr-probe"
	return $rc
}

# A file named .bupm is saved as .bupm.bupl, which git sorts between
# the names ".bupm" and ".bupm/".  When the directory's own metadata is
# big enough to be split into chunks, its .bupm is a tree (sorting as
# ".bupm/"), and bup 0.33's vfs stops looking for it at .bupm.bupl: the
# whole directory's metadata is lost.  Whether the metadata is split
# depends on its bytes (ctimes...), so trees holding such names restore
# differently from run to run; they are kept apart from the fixture.
make_bupm_name_tree() {
	mkdir "$1" &&
	printf 'bupm\n' >"$1/.bupm" &&
	printf 'dot\n' >"$1/.bupm.x" &&
	printf 'dash\n' >"$1/.bupm-y" &&
	mkdir "$1/.bupm.d" && printf 'in\n' >"$1/.bupm.d/f"
}

make_fixture_tree() {
	local d=$1 i p long n
	mkdir "$d" || return 1
	local parent=$(dirname "$d")
	(
	set -e
	cd "$d"

	# regular files, modes
	printf 'hello\n' >reg
	: >empty
	printf '#!/bin/sh\n' >exec && chmod 755 exec
	printf 'suid\n' >setuid && chmod 4755 setuid
	printf 'sgid\n' >setgid && chmod 2750 setgid
	printf 'ro\n' >readonly && chmod 444 readonly
	mkdir sticky && chmod 1777 sticky && printf 'in sticky\n' >sticky/f
	mkdir rodir && printf 'in rodir\n' >rodir/f && chmod 555 rodir
	if [ "$(id -u)" = 0 ]; then
		printf 'none\n' >mode000 && chmod 000 mode000
	fi

	# content bup splits into chunks (a .bup tree), and long zero runs
	head -c 1500000 "$(test_data rand5m.bin)" >chunked
	{ head -c 70000 /dev/zero; printf 'middle'; head -c 9000 /dev/zero
	  printf 'end'; head -c 5000 /dev/zero; } >zeros
	head -c 100000 /dev/zero >allzero

	# symlinks
	ln -s reg link
	ln -s no/where dangling
	ln -s /etc/hostname absolute
	ln -s sticky dirlink
	ln -s "$(head -c 1000 /dev/zero | tr '\0' t)" longtarget

	# special files
	mkfifo fifo
	python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' sock
	if [ "$(id -u)" = 0 ]; then
		mknod chr c 1 3
		mknod blk b 7 0
	fi

	# directories: empty, nested 30 deep
	mkdir emptydir
	p=deep
	for i in $(seq 1 30); do p=$p/d$i; done
	mkdir -p "$p" && printf 'bottom\n' >"$p/bottom"

	# names bup mangles or sorts around .bupm (a file named .bupm itself
	# is left out: see make_bupm_name_tree)
	printf 'x\n' >x.bup
	printf 'y\n' >y.bupm
	mkdir z.bup && printf 'z\n' >z.bup/inner.bupl
	printf 'bang\n' >'!bang'
	printf 'dash\n' >-dash
	printf 'space\n' >' lead space'
	printf 'nl\n' >"$(printf 'new\nline')"

	# non-UTF-8 and long names, a long path
	printf 'bad\n' >"$(printf 'bad\377\376name')"
	mkdir "$(printf 'dir\351')" && printf 'in\n' >"$(printf 'dir\351')/f"
	n=$(head -c 255 /dev/zero | tr '\0' n)
	printf 'long name\n' >"$n"
	long=lp
	for i in 1 2 3 4 5 6; do
		long=$long/$(head -c 200 /dev/zero | tr '\0' "$i")
	done
	mkdir -p "$long" && printf 'far\n' >"$long/f"

	# hardlinks: a set of three across directories, a pair, an empty pair
	mkdir hl other
	printf 'linked\n' >hl/a && ln hl/a hl/b && ln hl/a other/c
	printf 'pair\n' >hl/p1 && ln hl/p1 hl/p2
	: >hl/e1 && ln hl/e1 other/e2
	cp "$(test_data rand100000.bin)" hl/big
	ln hl/big other/big

	# owners
	if [ "$(id -u)" = 0 ]; then
		chown 12345:54321 reg
		chown nobody:nogroup empty 2>/dev/null || chown 65534:65534 empty
		chown 4242:4243 emptydir
		chown -h 777:778 link
		chown 1:1 fifo
	fi

	# xattrs and POSIX ACLs
	if tree_have_xattr "$parent"; then
		setfattr -n user.foo -v bar reg
		setfattr -n user.empty exec
		setfattr -n user.bin -v 0x00ff10 sticky
		setfattr -n user.big -v "$(head -c 2000 /dev/zero | tr '\0' v)" chunked
		setfacl -m u:nobody:r,g:daemon:rw hl/p1
		mkdir acldir
		setfacl -m u:nobody:rwx acldir
		setfacl -d -m u:nobody:rx,g:daemon:r acldir
		printf 'inherits\n' >acldir/f
	fi

	# nanosecond mtimes, on every kind of thing (directories last,
	# deepest first, so their children do not change them again)
	touch -d '2020-01-02 03:04:05.123456789 UTC' reg
	touch -d '1960-01-01 00:00:00.25 UTC' empty
	touch -d '1969-12-31 23:59:59 UTC' exec
	touch -d '2100-02-03 04:05:06.000000001 UTC' chunked
	touch -d '2001-02-03 04:05:06.5 UTC' hl/a
	touch -h -d '1970-01-01 00:00:00.999999999 UTC' link
	touch -h -d '1999-12-31 23:59:59.5 UTC' dangling
	touch -d '2011-11-11 11:11:11.111111111 UTC' fifo
	find . -depth -type d -exec touch -d '2005-05-05 05:05:05.050505050 UTC' {} +
	touch -d '2010-10-10 10:10:10.101010101 UTC' emptydir
	)
}
