#!/bin/bash
test_description='a failing write, fsync, rename, open or mmap (fault-inject.so) in split, index, save, midx and bloom: one clear error, nothing lost'
. "$(dirname "$0")/lib.sh"

# Each run copies a prepared repository, makes the Nth matching call of a
# kind fail (t/fault/fault-inject.c) in one bup command, and checks:
#  - the fault fired (else N is past the last such call: the sweep ends,
#    and the command must have succeeded);
#  - no hang, no signal;
#  - a non-zero exit with exactly one "error: " line naming a path (plus
#    bup's "WARNING: N errors encountered" summary), unless the failed
#    call is one whose failure is harmless (harmless() below says why);
#  - the refs unchanged, but where the error was in a cache updated
#    after the objects were complete (moved_ok() below);
#  - git fsck --strict clean, every pack with its idx, no temporary file
#    or directory (pack-tmp-*, *.tmp-*, *.lock) left;
#  - the same command without the fault then succeeds, and what it stored
#    is right (the data joins back, the saved tree is the expected one).

FAULT_SO=$TEST_ROOT/t/fault/fault-inject.so
IN=$(test_data rand5m.bin)

# A failure that may end in success: the call has a fallback.
harmless() {
	case $1 in
	# an idx, midx or bloom that cannot be mapped is skipped with a
	# warning (bup's "ignoring"): lookups use the other ones, at worst an
	# object is stored again, and the next midx/bloom includes it
	"mmap "*.idx|"mmap "*.midx|"mmap "*/bup.bloom) return 0 ;;
	# the pack being finished is hashed with pread() instead
	"mmap "*/pack-tmp-*/pack) return 0 ;;
	# libgit2 (reading the branch's commit) retries a pack window it
	# could not map after closing the least recently used ones
	"mmap "*/objects/pack/*.pack) return 0 ;;
	esac
	return 1
}

# A failure after which the branch may have moved (exit 1 all the same):
# the packs were complete and installed, and what failed is a cache
# updated after them (midx, bloom: bup counts a failed "midx --auto" or
# "bloom" as an error after updating the ref too; save's bupindex), or
# libgit2's fsync of refs/heads after it renamed the new ref into place
# (the ref names a complete commit whether or not that rename survives a
# crash).
moved_ok() {
	grep -q "^error: .*\(\.midx\|bup\.bloom\|bupindex\|failed to fsync directory '.*/refs/heads'\)" ferr
}

# one_run TEMPLATE CALL N ERRNO PATHGLOB CMD...: one faulted run of bup
# CMD on a copy of the repository TEMPLATE.  Returns 0 when the fault
# fired and everything held, 2 when it did not fire (and CMD succeeded),
# 1 on a failure (explained on stderr).
one_run() {
	local tmpl=$1 call=$2 nth=$3 err=$4 glob=$5 fired desc rc
	shift 5
	rm -rf "$BUP_DIR" flog && cp -a "$tmpl" "$BUP_DIR" || return 1
	git --git-dir="$BUP_DIR" for-each-ref --format='%(refname) %(objectname)' >refs-before
	env FAULT_CALL=$call FAULT_NTH=$nth FAULT_ERRNO=$err FAULT_PATH="$glob" \
		FAULT_TIMES=${FAULT_TIMES:-1} FAULT_LOG="$TRASH/flog" LD_PRELOAD="$FAULT_SO" \
		timeout -k 5 60 "$BUP_EXE" "$@" >fout 2>ferr
	rc=$?
	fired=$(grep -v '^count \|^  to ' flog 2>/dev/null | head -n 1)
	desc="$call#$nth $err${FAULT_TIMES:+ x${FAULT_TIMES}} in bup $*"
	if [ -z "$fired" ]; then
		[ $rc = 0 ] && return 2
		echo "$desc: no fault fired, yet exit $rc:" >&2
		cat ferr >&2
		return 1
	fi
	desc="$desc ($fired)"
	fail() { echo "$desc: $*" >&2; sed 's/^/    /' ferr >&2; }
	if [ $rc -ge 124 ]; then
		fail "exit $rc: timed out or killed by a signal"
		return 1
	fi
	if [ $rc = 0 ]; then
		if ! harmless "$fired" && [ "$err" != SHORT ]; then
			fail "succeeded"
			return 1
		fi
		if grep -v '^warning: ' ferr | grep -q .; then
			fail "succeeded, but not quietly"
			return 1
		fi
	else
		if [ "$err" = SHORT ]; then
			fail "a short write is no error"
			return 1
		fi
		# a disk that keeps failing (FAULT_TIMES=0) may fail a cache
		# update, reported and counted, before the fatal error
		if grep -v '^error: \|^WARNING: [0-9]* errors encountered' ferr | grep -q . ||
		   { [ "$(grep -c '^error: ' ferr)" != 1 ] && [ "${FAULT_TIMES:-1}" != 0 ]; }; then
			fail "not one error line"
			return 1
		fi
		# a file, or libgit2's ref ('refs/heads/b')
		if ! grep -q "^error: .*'[^']*/[^']*'" ferr; then
			fail "the error names no file"
			return 1
		fi
	fi
	git --git-dir="$BUP_DIR" for-each-ref --format='%(refname) %(objectname)' >refs-after
	if ! cmp -s refs-before refs-after && [ $rc != 0 ] && ! moved_ok; then
		fail "a ref moved"
		return 1
	fi
	if ! test_fsck || ! test_packs_complete --no-tmp; then
		fail "repository damaged or temporary files left"
		return 1
	fi
	if find "$BUP_DIR" -name '*.tmp-*' -o -name '*.lock' | grep .; then
		fail "temporary files left"
		return 1
	fi
	if ! after_fault >after.out 2>&1; then
		fail "the next run failed:"
		cat after.out >&2
		return 1
	fi
	return 0
}

# sweep TEMPLATE CALL ERRNO PATHGLOB STEP CMD...: one_run for N = 1,
# 1 + STEP, ... until the fault no longer fires (at most 200 runs).
sweep() {
	local tmpl=$1 call=$2 err=$3 glob=$4 step=$5 n=1 r bad=0 runs=0 start=$SECONDS
	shift 5
	while [ $n -le 200 ]; do
		one_run "$tmpl" "$call" $n "$err" "$glob" "$@"
		r=$?
		[ $r = 2 ] && break
		[ $r = 1 ] && bad=$((bad + 1))
		runs=$((runs + 1))
		n=$((n + step))
	done
	echo "$call $err ${glob:-any}${FAULT_TIMES:+ x$FAULT_TIMES}: $runs faulted runs of bup $*, $bad bad, $((SECONDS - start)) s" >>"$TRASH/runs"
	[ $runs -gt 0 ] && [ $bad = 0 ]
}

test_expect_success 'setup: the injector is built, a repository with a branch' '
	test -f "$FAULT_SO" &&
	bup init 2>/dev/null &&
	echo small >small &&
	bup split -q -n b small &&
	cp -a "$BUP_DIR" split.tmpl
'

# split: 5 MB into packs of 2 MB (three packs, a midx and bloom update
# after each), onto the branch b.
after_split() {
	bup split -q -n b --max-pack-size=2000000 "$IN" &&
	bup join b | cmp - "$IN" &&
	test_fsck
}

test_expect_success 'split: every fsync and fdatasync fails in turn (EIO)' '
	after_fault() { after_split; } &&
	sweep split.tmpl fsync EIO "" 1 split -q -n b --max-pack-size=2000000 "$IN"
'

test_expect_success 'split: every rename fails in turn (EXDEV), and for good (EACCES)' '
	after_fault() { after_split; } &&
	sweep split.tmpl rename EXDEV "" 1 split -q -n b --max-pack-size=2000000 "$IN" &&
	FAULT_TIMES=0 sweep split.tmpl rename EACCES "" 2 split -q -n b --max-pack-size=2000000 "$IN"
'

test_expect_success 'split: writes to files fail (EIO), a sample of them' '
	after_fault() { after_split; } &&
	sweep split.tmpl write EIO "/*" 3 split -q -n b --max-pack-size=2000000 "$IN"
'

test_expect_success 'split: creating a file fails (EMFILE), every one' '
	after_fault() { after_split; } &&
	sweep split.tmpl open EMFILE "/*" 1 split -q -n b --max-pack-size=2000000 "$IN"
'

test_expect_success 'split: mapping a file fails (ENOMEM), a sample' '
	after_fault() { after_split; } &&
	sweep split.tmpl mmap ENOMEM "$TRASH/bup/*" 5 split -q -n b --max-pack-size=2000000 "$IN"
'

test_expect_success 'split: every write is short: no error, the data intact' '
	after_fault() { after_split; } &&
	FAULT_TIMES=0 one_run split.tmpl write 1 SHORT "/*" split -q -n b --max-pack-size=2000000 "$IN" &&
	test_must_fail grep . ferr &&
	bup join b | cmp - "$IN"
'

test_expect_success 'split: the pack write fails while the finisher writes the bloom: one error line' '
	after_fault() { after_split; } &&
	for n in 2 3; do
		FAULT_DELAY_MS=400 FAULT_SLOW="*bup.bloom.tmp-*" FAULT_SLOW_MS=200 \
			one_run split.tmpl write $n EIO "*/pack-tmp-*/pack" \
			split -q -n b --max-pack-size=2000000 "$IN" || return 1
	done
'

# save: 20 files of 150 kB and a few small ones, packs of 1.5 MB.  The
# files are read once first, so that their atimes (in the metadata) stay
# as they are from then on.
test_expect_success 'setup: a tree to save, its expected tree, an index' '
	mkdir -p src/a src/b extra &&
	for i in $(seq 1 20); do bup random -S $i 150k >src/a/f$i || return 1; done &&
	echo hi >src/b/small &&
	ln -s f1 src/a/link &&
	ln src/a/f2 src/b/hard &&
	echo gone >extra/gone &&
	cat src/a/* src/b/* >/dev/null && ls -R src >/dev/null &&
	rm -rf "$BUP_DIR" && bup init 2>/dev/null &&
	git --git-dir="$BUP_DIR" config pack.packSizeLimit 1500000 &&
	bup index src >/dev/null &&
	bup save -q -n s --strip src &&
	git --git-dir="$BUP_DIR" rev-parse s^{tree} >reftree &&
	rm -rf "$BUP_DIR" && bup init 2>/dev/null &&
	git --git-dir="$BUP_DIR" config pack.packSizeLimit 1500000 &&
	bup split -q -n s small &&
	bup index src extra >/dev/null &&
	cp -a "$BUP_DIR" save.tmpl &&
	cp -a "$BUP_DIR" index.tmpl &&
	rm extra/gone &&
	echo new >extra/new
'

after_save() {
	bup index src >/dev/null &&
	bup save -q -n s --strip src &&
	git --git-dir="$BUP_DIR" rev-parse s^{tree} >tree &&
	test_cmp reftree tree &&
	test_fsck
}

test_expect_success 'save: every fsync, fdatasync and msync fails in turn (EIO)' '
	after_fault() { after_save; } &&
	sweep save.tmpl fsync EIO "" 1 save -q -n s --strip src
'

test_expect_success 'save: every rename fails in turn (EIO)' '
	after_fault() { after_save; } &&
	sweep save.tmpl rename EIO "" 1 save -q -n s --strip src
'

test_expect_success 'save: writes to files fail (ENOSPC), a sample' '
	after_fault() { after_save; } &&
	sweep save.tmpl write ENOSPC "/*" 4 save -q -n s --strip src
'

test_expect_success 'save: creating a file fails (EACCES), every one' '
	after_fault() { after_save; } &&
	sweep save.tmpl open EACCES "/*" 2 save -q -n s --strip src
'

test_expect_success 'save: mapping a file fails (ENOMEM), a sample' '
	after_fault() { after_save; } &&
	sweep save.tmpl mmap ENOMEM "$TRASH/bup/*" 8 save -q -n s --strip src
'

# index: an update of the index of src and extra, where a file has gone
# (an in-place edit) and one is new (a merge, bupindex.meta appended,
# bupindex.hlink rewritten).
after_index() {
	bup index --check >/dev/null &&
	after_save
}

for call in write fsync rename open; do
	test_expect_success "index: every $call fails in turn (EIO)" '
		after_fault() { after_index; } &&
		sweep index.tmpl '$call' EIO "/*" 1 index src extra
	'
done

# midx -f and bloom -f over the three packs of a split.
test_expect_success 'setup: a repository of three packs with a midx and a bloom' '
	rm -rf "$BUP_DIR" && cp -a split.tmpl "$BUP_DIR" &&
	bup split -q -n b --max-pack-size=2000000 "$IN" &&
	rm -f "$BUP_DIR"/objects/pack/*.midx &&
	bup midx -f && bup bloom -f &&
	ls "$BUP_DIR"/objects/pack/*.midx >midx-before &&
	test $(wc -l <midx-before) = 1 &&
	cp -a "$BUP_DIR" maint.tmpl
'

after_midx() {
	# the midx there was is still there (a cache, but nothing to lose)
	ls "$BUP_DIR"/objects/pack/*.midx >midx-now &&
	comm -23 midx-before midx-now >midx-lost &&
	test_cmp /dev/null midx-lost &&
	bup midx -f &&
	bup midx --check -a >/dev/null &&
	test_fsck
}

after_bloom() {
	test -f "$BUP_DIR"/objects/pack/bup.bloom &&
	bup bloom -f &&
	for i in "$BUP_DIR"/objects/pack/*.idx; do
		bup bloom -c "$i" >/dev/null || return 1
	done
}

for call in write fsync rename open mmap; do
	test_expect_success "midx -f and bloom -f: every $call fails in turn (EIO)" '
		after_fault() { after_midx; } &&
		sweep maint.tmpl '$call' EIO "/*" 1 midx -f &&
		after_fault() { after_bloom; } &&
		sweep maint.tmpl '$call' EIO "/*" 1 bloom -f
	'
done

test_expect_success 'over a hundred faulted runs' '
	total=$(sed -n "s/.*: \([0-9]*\) faulted runs.*/\1/p" runs | awk "{ n += \$1 } END { print n }") &&
	test "$total" -gt 100
'
sed 's/^/# /' runs

test_done
