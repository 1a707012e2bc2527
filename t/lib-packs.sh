# t/lib-packs.sh: helpers of the midx and bloom tests (sourced after
# lib.sh): repositories made by us and by the oracle, and running the same
# commands on copies of one repository with both tools.

# mkrepo NAME [zlib]: a fresh repository $TRASH/NAME made by us
mkrepo() {
	BUP_DIR=$TRASH/$1 bup init 2>/dev/null &&
	if [ "${2:-}" = zlib ]; then
		git --git-dir="$TRASH/$1" config bup.packCompressor zlib
	fi
}
# orepo NAME: a fresh repository made by the oracle
orepo() { BUP_DIR=$TRASH/$1 oracle_bup init >/dev/null 2>&1; }
# pk NAME: the pack directory of repository NAME
pk() { echo "$TRASH/$1/objects/pack"; }
sha() { sha1sum <"$1" | cut -c1-40; }
count() { git show-index <"$1" | wc -l; }
# hexat FILE OFFSET N: N bytes of FILE at OFFSET, in hex
hexat() { od -An -tx1 -v -j "$2" -N "$3" "$1" | tr -d " \n"; }

# onboth BASE 'COMMANDS': run COMMANDS (which call $BUP) in objects/pack of a
# fresh copy of $TRASH/BASE.base made at $TRASH/work, first with BUP=bup,
# then with BUP=oracle_bup.  Everything but packs and idx is then saved to
# $TRASH/res.ours and $TRASH/res.theirs, stdout to out.ours/out.theirs.
onboth() {
	local who
	for who in ours theirs; do
		rm -rf "$TRASH/work" "$TRASH/res.$who" &&
		cp -a "$TRASH/$1.base" "$TRASH/work" &&
		mkdir "$TRASH/res.$who" || return 1
		if [ $who = ours ]; then BUP=bup; else BUP=oracle_bup; fi
		(cd "$TRASH/work/objects/pack" && BUP_DIR=$TRASH/work && export BUP_DIR &&
			eval "$2") >"$TRASH/out.$who" 2>"$TRASH/err.$who" || {
			echo "$who: failed: $2" >&2; cat "$TRASH/err.$who" >&2; return 1; }
		for f in "$TRASH"/work/objects/pack/*; do
			case $f in *.pack|*.idx) ;; *) cp "$f" "$TRASH/res.$who/" ;; esac
		done
	done
	(cd "$TRASH/res.ours" && ls) >ls.ours &&
	(cd "$TRASH/res.theirs" && ls) >ls.theirs &&
	test_cmp ls.theirs ls.ours &&
	test -s ls.ours &&
	for f in $(cat ls.ours); do
		cmp "$TRASH/res.theirs/$f" "$TRASH/res.ours/$f" || return 1
	done
}

FIVE="rand5m.bin seq200k.txt rand100000.bin zero100k.bin one.bin"
