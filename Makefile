# meshsim — build, test, demo, install.
# Every lib/*/*.c becomes part of build/libmeshsim.a; tools/*.c link into one
# multi-call binary whose personality comes from argv[0].

CC      ?= gcc
PKGS    := yaml-0.1 jansson libcurl openssl sqlite3 libnghttp2 readline
BUILD   ?= build
SAN     ?=
OPT     ?= -O2
CFLAGS_BASE := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g $(OPT) -Ilib -pthread
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libcurl is loaded when curl first runs (lib/probe/curl_lib.h), not linked:
# with its own dependencies it was half of every command's start-up
PKG_LIBS   := $(shell pkg-config --libs $(filter-out libcurl,$(PKGS)) 2>/dev/null) -ldl
# The libraries are linked statically from the archives their -dev packages
# ship: the dynamic loader's relocations of libcrypto, libsqlite3 and the
# rest were half of a small command's run (get pod: 3.9 -> 1.9 ms of CPU).
# libc, libm and libdl stay shared; LINK=shared links everything shared.
LINK ?= static
ifeq ($(LINK),static)
SYS_LIBS   := -ldl -lm -lz -pthread
PKG_STATIC := $(filter-out $(SYS_LIBS),$(shell pkg-config --static --libs $(filter-out libcurl,$(PKGS)) 2>/dev/null))
PKG_LIBS   := -Wl,-Bstatic $(PKG_STATIC) -Wl,-Bdynamic -ldl
endif
CFLAGS  += $(CFLAGS_BASE) $(PKG_CFLAGS) $(SAN)
LDLIBS  += $(PKG_LIBS) -lm -pthread
LDFLAGS += $(SAN)
PREFIX  ?= /usr/local

LIB_SRC   := $(sort $(wildcard lib/*/*.c))
TOOL_SRC  := $(sort $(wildcard tools/*.c))
UNIT_SRC  := $(sort $(wildcard tests/unit/test_*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TOOL_OBJ  := $(TOOL_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_BIN  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
LIBA      := $(BUILD)/libmeshsim.a
BIN       := $(BUILD)/bin/meshsim

.PHONY: all deps test test-unit test-cli test-asan test-valgrind demo install bench clean fuzz lint-man

all: $(BIN) $(BUILD)/bin/kubectl $(BUILD)/bin/istioctl

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIBA): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(TOOL_OBJ) $(LIBA) Makefile
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(TOOL_OBJ) $(LIBA) $(LDLIBS)

$(BUILD)/bin/kubectl $(BUILD)/bin/istioctl: $(BIN)
	ln -sf meshsim $@

$(BUILD)/tests/%: tests/unit/%.c $(LIBA)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP $(LDFLAGS) -o $@ $< $(LIBA) $(LDLIBS) -lcmocka

-include $(LIB_OBJ:.o=.d) $(TOOL_OBJ:.o=.d) $(UNIT_BIN:=.d)

# deps: install missing Debian packages (both README commands start here).
deps:
	@sh scripts/deps.sh

test-unit: all $(UNIT_BIN)
	@COUNTS=$(BUILD)/test-counts sh tests/run-unit.sh $(UNIT_BIN)

test-cli: all
	@COUNTS=$(BUILD)/test-counts MESHSIM_BIN=$(abspath $(BUILD)/bin) sh tests/run-cli.sh

# The whole suite again under AddressSanitizer and UndefinedBehaviorSanitizer.
test-asan:
	@$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 \
	  SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	  test-unit test-cli

test: deps
	@rm -f build/test-counts build-asan/test-counts
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory test-unit test-cli
	@$(MAKE) --no-print-directory test-asan
	@sh tests/summary.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@sh scripts/demo.sh

# The whole suite (every unit test, every bats test, every meshsim process they
# start) under valgrind memcheck: no error, no leak.  Slow (~30x), so not in
# `make test`; see tests/robust/valgrind.sh for the figures and knobs.
test-valgrind: all $(UNIT_BIN)
	@sh tests/robust/valgrind.sh $(UNIT_BIN)

# Fuzz each tests/fuzz/fuzz_*.c target for FUZZ_SECONDS (clang + libFuzzer; see tests/fuzz/README.md).
FUZZ_SECONDS ?= 10
fuzz:
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh

bench: all
	@sh bench/run.sh

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
	  $(DESTDIR)$(PREFIX)/share/man/man7 $(DESTDIR)$(PREFIX)/share/meshsim \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/site-functions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/meshsim
	ln -sf meshsim $(DESTDIR)$(PREFIX)/bin/kubectl
	ln -sf meshsim $(DESTDIR)$(PREFIX)/bin/istioctl
	for f in man/*.1; do [ -e "$$f" ] && install -m 0644 $$f $(DESTDIR)$(PREFIX)/share/man/man1/; done; true
	for f in man/*.5; do [ -e "$$f" ] && install -m 0644 $$f $(DESTDIR)$(PREFIX)/share/man/man5/; done; true
	for f in man/*.7; do [ -e "$$f" ] && install -m 0644 $$f $(DESTDIR)$(PREFIX)/share/man/man7/; done; true
	cp -R samples $(DESTDIR)$(PREFIX)/share/meshsim/
	[ -e completions/meshsim.bash ] && install -m 0644 completions/meshsim.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/meshsim || true
	[ -e completions/_meshsim ] && install -m 0644 completions/_meshsim $(DESTDIR)$(PREFIX)/share/zsh/site-functions/_meshsim || true
	[ -e completions/meshsim.fish ] && install -m 0644 completions/meshsim.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/meshsim.fish || true

clean:
	rm -rf build build-asan build-fuzz build-fuzz.log
