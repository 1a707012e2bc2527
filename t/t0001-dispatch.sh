#!/bin/bash
test_description='the dispatcher: exit codes, usage, help pages, -d, external commands'
. "$(dirname "$0")/lib.sh"

# A hang in usage or help output must fail a test, not stall the run.
bup() { timeout 10 "$BUP_EXE" "$@"; }
oracle_bup() { timeout 10 "$ORACLE_BUP" "$@"; }

COMMANDS="bloom cat-file drecurse help index init join list-idx margin memtest midx random save split tag version xstat"
COMMANDS="$COMMANDS restore"
# meta is checked like the others, except "-x", which is one of its options;
# ls checks the repository before its options (t6100 covers it)
PAGE_COMMANDS="$COMMANDS meta"

test_expect_success 'no command: exit 99, usage on stderr, nothing on stdout' '
	test_expect_code 99 bup >out 2>err &&
	test ! -s out &&
	grep -q "^Usage: bup " err &&
	grep -q "See .bup help COMMAND." err &&
	for c in $COMMANDS; do grep -q "^    $c " err || exit 1; done
'

test_expect_success ORACLE 'no command: same exit code as bup 0.33' '
	test_expect_code 99 oracle_bup >/dev/null 2>&1
'

test_expect_success 'unknown command: exit 99 naming it, usage on stderr' '
	test_expect_code 99 bup xyzzy a b >out 2>err &&
	test ! -s out &&
	grep -q "^Usage: bup " err &&
	test "$(tail -n 1 err)" = "error: unknown command \"xyzzy\""
'

test_expect_success ORACLE 'unknown command: same exit code and message as bup 0.33' '
	test_expect_code 99 oracle_bup xyzzy a b >/dev/null 2>oerr &&
	test_expect_code 99 bup xyzzy a b >/dev/null 2>err &&
	tail -n 1 oerr >expect &&
	tail -n 1 err >actual &&
	test_cmp expect actual
'

test_expect_success 'unknown global option: exit 99 naming it' '
	test_expect_code 99 bup --bogus version >out 2>err &&
	test ! -s out &&
	test "$(tail -n 1 err)" = "error: unexpected option \"--bogus\""
'

test_expect_success '-d without a value: exit 99 with usage' '
	test_expect_code 99 bup -d >out 2>err &&
	test ! -s out &&
	grep -q "^Usage: bup " err &&
	grep -q "^error: no value provided for -d option" err
'

test_expect_success 'bad option for a subcommand: exit 97, usage and error on stderr only' '
	test_expect_code 97 bup split -x >out 2>err &&
	test ! -s out &&
	grep -q "^usage: bup split " err &&
	test "$(tail -n 1 err)" = "error: option -x not recognized" &&
	test_expect_code 97 bup split --no-such-option >out 2>err &&
	test ! -s out &&
	test "$(tail -n 1 err)" = "error: option --no-such-option not recognized"
'

test_expect_success ORACLE 'bad option: every command prints what bup 0.33 prints, exit 97' '
	for c in $COMMANDS; do
		# -x is --xdev for index and drecurse
		case $c in index|drecurse) x=-Z ;; *) x=-x ;; esac
		test_expect_code 97 oracle_bup $c $x >oout 2>expect &&
		test_expect_code 97 bup $c $x >out 2>actual &&
		test ! -s out &&
		test_cmp expect actual || { echo "command $c differs" >&2; exit 1; }
	done
'

test_expect_success 'CMD -h: usage on stderr, nothing on stdout, exit 97' '
	for c in $PAGE_COMMANDS; do
		test_expect_code 97 bup $c -h >out 2>err &&
		test ! -s out &&
		grep -q "^usage: .*bup $c" err &&
		! grep -q "^error:" err || { echo "command $c" >&2; exit 1; }
	done
'

test_expect_success ORACLE 'split -h: same exit code and usage as bup 0.33' '
	test_expect_code 97 oracle_bup split -h >/dev/null 2>expect &&
	test_expect_code 97 bup split -h >/dev/null 2>actual &&
	test_cmp expect actual
'

test_expect_success 'split --help and bup --help split behave as bup help split' '
	bup help split >expect 2>err &&
	test ! -s err &&
	grep -q "^# NAME" expect &&
	grep -q "bup-split" expect &&
	bup split --help >actual 2>err &&
	test ! -s err &&
	test_cmp expect actual &&
	bup --help split >actual 2>err &&
	test ! -s err &&
	test_cmp expect actual &&
	bup "-?" split >actual 2>err &&
	test_cmp expect actual
'

test_expect_success ORACLE 'split --help exits 0 with the page on stdout, as in bup 0.33' '
	oracle_bup split --help >oout 2>oerr &&
	test -s oout &&
	bup split --help >out 2>err &&
	test -s out &&
	test ! -s err
'

test_expect_success 'help of an unknown command fails on stderr' '
	test_must_fail bup help nosuchcmd >out 2>err &&
	test ! -s out &&
	grep -q "nosuchcmd" err
'

test_expect_success 'every built-in command has a help page with NAME and SYNOPSIS' '
	for c in $PAGE_COMMANDS; do
		bup help $c >page 2>err &&
		test ! -s err &&
		grep -q "^# NAME" page &&
		grep -q "^# SYNOPSIS" page &&
		grep -q "bup-$c\\b" page || { echo "help page of $c" >&2; exit 1; }
	done &&
	bup help bup >page &&
	grep -q "^# NAME" page
'

test_expect_success 'every Documentation/bup-*.1.md page has a command' '
	# (bup ls, as bup 0.33, checks the repository before its options)
	export BUP_DIR="$TRASH/pages-repo" && bup init >/dev/null 2>&1 &&
	ls "$TEST_ROOT"/Documentation/bup-*.1.md >pages &&
	test -s pages &&
	while read -r md; do
		c=$(basename "$md" .1.md) && c=${c#bup-} &&
		test_expect_code 97 bup $c -h >/dev/null 2>err &&
		grep -q "^usage:" err &&
		bup help $c >page &&
		grep -q "^# NAME" page || { echo "no command for $md" >&2; exit 1; }
	done <pages
'

test_expect_success 'every option in a command usage appears in its help page' '
	for c in $PAGE_COMMANDS; do
		test_expect_code 97 bup $c -h 2>usage >/dev/null &&
		bup help $c >page &&
		grep -oE "^ +(-[^ ,]|--[a-z][a-z-]*)(, --[a-z][a-z-]*)?" usage |
			tr -d " " | tr , "\n" >opts &&
		while read -r o; do
			grep -qF -- "$o" page || { echo "bup $c: $o not in its page" >&2; exit 1; }
		done <opts || exit 1
	done &&
	# the check itself sees options
	test_expect_code 97 bup split -h 2>usage >/dev/null &&
	grep -q -- "--max-pack-size" usage
'

test_expect_success '-d DIR sets BUP_DIR for the command (init creates it)' '
	bup -d somedir init 2>err &&
	test -f somedir/HEAD &&
	test -d somedir/objects/pack &&
	test ! -e "$BUP_DIR" &&
	echo hello >f &&
	bup -d somedir split -q -n b f &&
	git --git-dir=somedir rev-parse --verify -q refs/heads/b >/dev/null &&
	bup --bup-dir=somedir join b >out &&
	test_cmp f out
'

test_expect_success '-d DIR is exported to external commands as an absolute path' '
	mkdir -p bin &&
	printf "#!/bin/sh\necho \"\$BUP_DIR\"\n" >bin/bup-showdir &&
	chmod +x bin/bup-showdir &&
	PATH=$TRASH/bin:$PATH bup -d reldir showdir >out &&
	test "$(cat out)" = "$TRASH/reldir"
'

test_expect_success 'external bup-foo on PATH is run with its arguments and exit code' '
	mkdir -p bin &&
	printf "#!/bin/sh\nfor a; do echo \"[\$a]\"; done\nexit 7\n" >bin/bup-foo &&
	chmod +x bin/bup-foo &&
	PATH=$TRASH/bin:$PATH test_expect_code 7 bup foo "a b" -x c >out 2>err &&
	printf "[a b]\n[-x]\n[c]\n" >expect &&
	test_cmp expect out &&
	test ! -s err
'

test_expect_success 'a non-executable bup-foo on PATH is an unknown command' '
	mkdir -p bin2 &&
	printf "#!/bin/sh\necho ran\n" >bin2/bup-bar &&
	PATH=$TRASH/bin2:$PATH test_expect_code 99 bup bar >out 2>err &&
	test ! -s out &&
	grep -q "unknown command \"bar\"" err
'

test_expect_success 'bup --version, -V and bup version print the version on stdout' '
	bup version >v1 2>err &&
	test ! -s err &&
	grep -qE "^0\.33(\.[0-9]+)?" v1 &&
	test "$(wc -l <v1)" = 1 &&
	bup --version >v2 &&
	test_cmp v1 v2 &&
	bup -V >v3 &&
	test_cmp v1 v3
'

test_expect_success ORACLE 'the version has the same major.minor as bup 0.33' '
	oracle_bup version >ov &&
	bup version >v &&
	test "$(cut -d. -f1,2 <ov)" = "$(cut -d. -f1,2 <v)"
'

test_expect_success 'errors go to stderr, not stdout' '
	test_expect_code 15 bup split -n x /dev/null >out 2>err &&
	test ! -s out && grep -q "^error:" err &&
	test_must_fail bup help a b >out 2>err &&
	test ! -s out && grep -q "^error:" err &&
	test_expect_code 97 bup split >out 2>err &&
	test ! -s out && grep -q "^error: use one or more of" err &&
	test_expect_code 97 bup version --date --nope >out 2>err &&
	test ! -s out && grep -q "^error:" err
'

test_done
