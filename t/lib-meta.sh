# t/lib-meta.sh: a tree with every kind of file, for the xstat and meta
# tests (sourced after lib.sh).  make_meta_tree DIR builds it; devices
# only as root, xattrs and ACLs only where setfattr/setfacl work.

have_xattr() { command -v setfattr >/dev/null && command -v setfacl >/dev/null; }

make_meta_tree() {
	local d=$1
	mkdir -p "$d/sub/deeper" "$d/acldir" &&
	printf 'hello\n' >"$d/reg" &&
	: >"$d/empty" &&
	printf 'x\n' >"$d/hl1" && ln "$d/hl1" "$d/hl2" &&
	ln -s reg "$d/link" &&
	ln -s "no/where" "$d/dangling" &&
	mkfifo "$d/fifo" &&
	printf 'odd\n' >"$d/$(printf 'bad\377\376name')" &&
	printf 'utf\n' >"$d/$(printf 'caf\303\251')" &&
	printf 'inner\n' >"$d/sub/deeper/inner" &&
	chmod 600 "$d/fifo" && chmod 644 "$d/sub/deeper/inner" && chmod 4755 "$d/hl1" && chmod 1777 "$d/sub/deeper" &&
	{ python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$d/sock" 2>/dev/null || :; } &&
	if [ "$(id -u)" = 0 ]; then
		mknod "$d/chr" c 1 3 && mknod "$d/blk" b 7 0 &&
		chown 65534:65534 "$d/empty" && chown 12345:54321 "$d/fifo" &&
		chown -h 65534 "$d/link"
	fi &&
	if have_xattr; then
		setfattr -n user.foo -v bar "$d/reg" &&
		setfattr -n user.empty "$d/reg" &&
		setfattr -n user.bin -v 0x00ff10 "$d/sub" &&
		setfacl -m u:nobody:r,g:daemon:rw "$d/reg" &&
		setfacl -d -m u:nobody:rx "$d/acldir" &&
		setfacl -m u:nobody:rwx "$d/acldir"
	fi &&
	touch -d '2020-01-02 03:04:05.123456789 UTC' "$d/reg" &&
	touch -d '1960-01-01 00:00:00.25 UTC' "$d/empty" &&
	touch -d '1969-12-31 23:59:59 UTC' "$d/hl1" &&
	touch -h -d '1970-01-01 00:00:00.999999999 UTC' "$d/link" &&
	touch -h -d '1999-12-31 23:59:59.5 UTC' "$d/dangling" &&
	touch -d '2100-02-03 04:05:06.000000001 UTC' "$d/sub/deeper/inner" &&
	touch -d '2001-01-01 00:00:00.5 UTC' "$d/sub/deeper" "$d/sub" &&
	# reading a directory or a symlink may update its atime once
	# (relatime); let that happen before anything is compared
	sleep 0.1 &&
	find "$d" -print0 | xargs -0 "$ORACLE_BUP" xstat >/dev/null 2>&1
	return 0
}
