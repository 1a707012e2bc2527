# bup in C.  `make` builds ./bup; `make test` installs what is missing
# (Debian packages, as root), builds, and runs every test.

PREFIX ?= /usr/local
CC ?= cc
CFLAGS ?= -O2 -g
WARN = -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Wno-missing-field-initializers -Wno-format-truncation
ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE -pthread -I. $(WARN) $(CFLAGS) $(VERSION_DEFS)
LIBS = -lgit2 -lcrypto -ldeflate -lz -lacl -lpthread -lm
DEB_PACKAGES = gcc make git bup libgit2-dev libssl-dev libdeflate-dev \
	zlib1g-dev libxxhash-dev libcmocka-dev pkg-config time \
	libacl1-dev attr acl

GIT_COMMIT := $(shell git rev-parse --short HEAD 2>/dev/null)
GIT_DATE := $(shell git log -1 --format=%cd --date=short 2>/dev/null)
VERSION_DEFS = $(if $(GIT_COMMIT),-DBUP_VERSION_COMMIT='"$(GIT_COMMIT)"' \
	-DBUP_VERSION_DATE='"$(GIT_DATE)"')

LIB_SRC = $(sort $(wildcard lib/*.c))
CMD_SRC = $(sort $(wildcard cmd/*.c))
LIB_OBJ = $(LIB_SRC:.c=.o)
CMD_OBJ = $(CMD_SRC:.c=.o)
DOCS = $(sort $(wildcard Documentation/*.md))
MANS = $(DOCS:.md=)
UNIT_SRC = $(sort $(wildcard t/unit/test-*.c))
UNIT_BIN = $(UNIT_SRC:.c=)
HELPER_SRC = $(sort $(wildcard t/helper/*.c))
HELPER_BIN = $(HELPER_SRC:.c=)
# LD_PRELOAD libraries for the tests (t/fault/*.c, one .so each)
FAULT_SRC = $(sort $(wildcard t/fault/*.c))
FAULT_SO = $(FAULT_SRC:.c=.so)

all: bup man

bup: main.o $(CMD_OBJ) help-pages.o libbup.a
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

libbup.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

%.o: %.c $(wildcard lib/*.h) cmd/cmd.h Makefile
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The pages are built into the binary so `bup help` works offline.
help-pages.c: $(DOCS) Documentation/embed-pages.sh
	sh Documentation/embed-pages.sh $(DOCS) > $@.tmp && mv $@.tmp $@

man: $(MANS)
Documentation/%.1: Documentation/%.1.md
	@if command -v pandoc >/dev/null; then \
		sed 's/%BUP_VERSION%/0.33.7-c/' $< | pandoc -s -t man -o $@; \
	else echo "warning: pandoc not found; skipping $@" >&2; fi

t/unit/test-%: t/unit/test-%.c t/unit/helpers.h t/unit/idx-fixture.h libbup.a
	$(CC) $(ALL_CFLAGS) -o $@ $< libbup.a $(LIBS) -lcmocka

t/helper/%: t/helper/%.c libbup.a
	$(CC) $(ALL_CFLAGS) -o $@ $< libbup.a $(LIBS)

t/fault/%.so: t/fault/%.c Makefile
	$(CC) $(ALL_CFLAGS) -fPIC -shared -o $@ $< -ldl

deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
		dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		if [ "$$(id -u)" != 0 ]; then echo "error: need root to install:$$missing" >&2; exit 1; fi; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# The first job a new user runs: a sample backup into ~/.bup (or $BUP_DIR).
demo: deps
	$(MAKE) bup
	./bup init
	tar cf - -C /usr/share doc 2>/dev/null | ./bup split -n sample -v
	./bup join sample | tar tf - | head -5
	git --git-dir="$${BUP_DIR:-$$HOME/.bup}" log -1 --format='%h %an %ad %s' sample
	git --git-dir="$${BUP_DIR:-$$HOME/.bup}" ls-tree sample

test: deps
	$(MAKE) bup $(UNIT_BIN) $(HELPER_BIN) $(FAULT_SO)
	sh t/run-tests.sh

# Fuzzing (not part of `make test`; see t/fuzz/README): each harness
# t/fuzz/fuzz-NAME.c, built with clang's libFuzzer and the address and
# undefined-behaviour sanitizers against its own copy of the library
# objects, runs FUZZ_SECONDS from t/fuzz/corpus/NAME (the seeds) and
# t/fuzz/work/NAME (what it found, kept between runs).  FUZZ=NAME...
# runs some only; crashes are saved as t/fuzz/work/NAME-crash-*.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS ?= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all
FUZZ_FLAGS ?= -timeout=10 -rss_limit_mb=2048 -detect_leaks=0
FUZZ_DIR = t/fuzz/build
FUZZ_ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE -pthread -I. \
	$(filter-out -Wno-format-truncation,$(WARN)) $(FUZZ_CFLAGS)
FUZZ_SRC = $(sort $(wildcard t/fuzz/fuzz-*.c))
FUZZ_NAMES = $(FUZZ_SRC:t/fuzz/fuzz-%.c=%)
FUZZ ?= $(FUZZ_NAMES)
FUZZ_OBJ = $(LIB_SRC:lib/%.c=$(FUZZ_DIR)/%.o)

$(FUZZ_DIR)/%.o: lib/%.c $(wildcard lib/*.h) Makefile
	@mkdir -p $(FUZZ_DIR)
	$(FUZZ_CC) $(FUZZ_ALL_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/fuzz-%: t/fuzz/fuzz-%.c t/fuzz/fuzz.h $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_ALL_CFLAGS) -fsanitize=fuzzer \
		-Wl,--wrap=map_file,--wrap=munmap -o $@ $< $(FUZZ_OBJ) $(LIBS)

.SECONDARY: $(FUZZ_OBJ)

fuzz-build: $(FUZZ:%=$(FUZZ_DIR)/fuzz-%)

fuzz: fuzz-build
	@for n in $(FUZZ); do \
		mkdir -p t/fuzz/work/$$n t/fuzz/corpus/$$n; \
		echo "fuzz-$$n: $(FUZZ_SECONDS) s"; \
		nice -n 10 $(FUZZ_DIR)/fuzz-$$n $(FUZZ_FLAGS) \
			-max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=t/fuzz/work/$$n- \
			t/fuzz/work/$$n t/fuzz/corpus/$$n 2>t/fuzz/work/$$n.log; \
		rc=$$?; grep -E '^stat::(number_of_executed_units|average_exec_per_sec)|^#[0-9]+.*DONE' t/fuzz/work/$$n.log; \
		if [ $$rc != 0 ]; then \
			grep -A30 -E '^==[0-9]+==ERROR|runtime error|^fuzz-' t/fuzz/work/$$n.log | head -40; \
			echo "fuzz-$$n FAILED (log: t/fuzz/work/$$n.log)"; exit 1; \
		fi; \
	done

install: bup man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 755 bup $(DESTDIR)$(PREFIX)/bin/bup
	for m in Documentation/*.1; do [ -f "$$m" ] && \
		install -m 644 $$m $(DESTDIR)$(PREFIX)/share/man/man1/ || true; done

clean:
	rm -f bup main.o $(LIB_OBJ) $(CMD_OBJ) help-pages.c help-pages.o libbup.a \
		$(UNIT_BIN) $(HELPER_BIN) $(FAULT_SO) Documentation/*.1
	rm -rf t/tmp t/fuzz/build

.PHONY: all man deps demo test install clean fuzz fuzz-build
