#!/usr/bin/env bash
# fuzz.sh: build and run the libFuzzer harnesses of tests/fuzz.
#
#   fuzz.sh build          compile core and every harness with clang
#                          (-fsanitize=fuzzer,address,undefined)
#   fuzz.sh smoke          build, then run each harness FUZZ_RUNS executions
#                          from its checked-in corpus; fails on any finding
#   fuzz.sh long           build, then run each harness FUZZ_SECONDS seconds,
#                          keeping what it learns in $FUZZ_OUT/work/<name>
#   fuzz.sh merge NAME     fold $FUZZ_OUT/work/NAME into the checked-in
#                          corpus, keeping only inputs that add coverage
#
# Called by `make fuzz-smoke`, `make fuzz-long` (tests/fuzz/Makefile.inc),
# which set the environment below; see tests/fuzz/README.md.
#   FUZZ_SRC         the source tree (required)
#   FUZZ_OUT         where binaries, work corpora and crashes go (required)
#   FUZZ_CC          the compiler (default clang)
#   FUZZ_DEP_CFLAGS  FUZZ_DEP_LIBS   the libraries' flags from configure
#   FUZZ_RUNS        executions per harness for smoke (default 20000)
#   FUZZ_SECONDS     seconds per harness for long (default 600)
#   FUZZ_ONLY        run only these harnesses (space separated)
#   FUZZ_SEED        libFuzzer's seed for smoke (default 1: reproducible)
set -euo pipefail

HARNESSES=(json jwt dispatch form router cursor b64url narrow netpolicy gw_parse)

die() { printf 'fuzz: error: %s\n' "$*" >&2; exit 1; }
log() { printf 'fuzz: %s\n' "$*" >&2; }

: "${FUZZ_SRC:?set FUZZ_SRC (run through make fuzz-smoke)}"
: "${FUZZ_OUT:?set FUZZ_OUT (run through make fuzz-smoke)}"
CC=${FUZZ_CC:-clang}
RUNS=${FUZZ_RUNS:-20000}
SECONDS_EACH=${FUZZ_SECONDS:-600}
SEED=${FUZZ_SEED:-1}
if [[ -n ${FUZZ_ONLY:-} ]]; then
	read -r -a HARNESSES <<<"$FUZZ_ONLY"
fi
FUZZDIR=$FUZZ_SRC/tests/fuzz
CORE=$FUZZ_SRC/modules/core

# The warnings of the project's build (Makefile.am), and the sanitizers.
# UBSan must stop at its first report, or libFuzzer would not see it.
CFLAGS=(-std=c17 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
	-Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
	-Wformat=2 -Wvla -fno-common -Wno-missing-field-initializers
	-I"$CORE")
# clang, unlike gcc, wants log.c's vfprintf wrapper to carry a format
# attribute; the gcc build keeps core's format strings checked.
CORE_CFLAGS=(-Wno-format-nonliteral)
read -r -a DEP_CFLAGS <<<"${FUZZ_DEP_CFLAGS:-}"
read -r -a DEP_LIBS <<<"${FUZZ_DEP_LIBS:-}"

# Per harness: the largest input worth trying. jwt goes past core's 8 KiB
# token limit; dispatch past the 2 KiB body limit the harness sets.
max_len() {
	case $1 in
		json) echo 16384 ;;
		jwt) echo 10240 ;;
		dispatch) echo 8192 ;;
		form) echo 4096 ;;
		router) echo 512 ;;
		cursor) echo 256 ;;
		b64url) echo 2048 ;;
		narrow) echo 16384 ;;
		netpolicy) echo 1100 ;;
		gw_parse) echo 2048 ;;
		*) echo 4096 ;;
	esac
}

# A missing clang is a failure, never a skip: CI must not pass without
# having fuzzed (stack installs clang and libclang-rt-14-dev).
check_compiler() {
	command -v "$CC" >/dev/null 2>&1 ||
		die "$CC not found: install the Debian packages clang and libclang-rt-14-dev (apt-get install clang libclang-rt-14-dev)"
	local probe=$FUZZ_OUT/probe
	mkdir -p "$FUZZ_OUT"
	printf '%s\n' '#include <stdint.h>' '#include <stddef.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
		>"$probe.c"
	"$CC" -fsanitize=fuzzer,address,undefined "$probe.c" -o "$probe" 2>"$probe.log" ||
		{ cat "$probe.log" >&2; die "$CC cannot build a libFuzzer target: install libclang-rt-14-dev"; }
	rm -f "$probe" "$probe.c" "$probe.log"
}

# newer OUT IN...: true when OUT is missing or older than one of IN.
newer() {
	local out=$1 f; shift
	[[ -e $out ]] || return 0
	for f in "$@"; do [[ $f -nt $out ]] && return 0; done
	return 1
}

cmd_build() {
	check_compiler
	local objdir=$FUZZ_OUT/obj objs=() src obj h
	mkdir -p "$objdir"
	# Core is compiled here with clang and the sanitizers, not taken
	# from the gcc-built libdscore.a.
	for src in "$CORE"/*.c; do
		obj=$objdir/core-$(basename "${src%.c}").o
		if newer "$obj" "$src" "$CORE"/*.h; then
			log "cc $(basename "$src")"
			"$CC" "${CFLAGS[@]}" "${CORE_CFLAGS[@]}" "${DEP_CFLAGS[@]}" \
				-c "$src" -o "$obj"
		fi
		objs+=("$obj")
	done
	for h in "${HARNESSES[@]}"; do
		src=$FUZZDIR/fuzz_$h.c
		[[ -f $src ]] || die "no harness $h ($src)"
		if newer "$FUZZ_OUT/fuzz_$h" "$src" "$FUZZDIR/fuzz.h" "$CORE/ds.h" "${objs[@]}"; then
			log "cc fuzz_$h"
			"$CC" "${CFLAGS[@]}" "${DEP_CFLAGS[@]}" "$src" "${objs[@]}" \
				"${DEP_LIBS[@]}" -o "$FUZZ_OUT/fuzz_$h"
		fi
	done
}

# run NAME WORKDIR ARGS...: one libFuzzer run; prints "NAME: N executions"
# and returns libFuzzer's status (non-zero on a crash, leak, timeout or
# sanitizer report; the input is saved under $FUZZ_OUT/crashes).
run() {
	local h=$1 work=$2; shift 2
	local seeds=$FUZZDIR/corpus/$h dict=$FUZZDIR/dict/$h.dict log=$FUZZ_OUT/$h.log
	local extra=() rc=0 execs
	mkdir -p "$work" "$FUZZ_OUT/crashes"
	[[ -d $seeds ]] || die "no seed corpus for $h: $seeds"
	[[ -f $dict ]] && extra+=(-dict="$dict")
	# The first folder gets new inputs; the checked-in seeds stay as they
	# are. Leaks are findings too (ASan's LeakSanitizer).
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"$FUZZ_OUT/fuzz_$h" "${extra[@]}" -max_len="$(max_len "$h")" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$FUZZ_OUT/crashes/$h-" "$@" "$work" "$seeds" \
		>"$log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if (( rc != 0 )); then
		log "$h: FAILED (exit $rc) after ${execs:-?} executions; its log:"
		grep -v -e '^#[0-9]' -e '^INFO:' "$log" | tail -60 >&2
		ls -1 "$FUZZ_OUT/crashes/$h-"* 2>/dev/null | sed 's/^/fuzz:   input: /' >&2 || true
		return "$rc"
	fi
	log "$h: ${execs:-?} executions, no finding"
}

cmd_smoke() {
	local h failed=() work
	cmd_build
	for h in "${HARNESSES[@]}"; do
		# A fresh work folder each time: a smoke run is the same run.
		work=$FUZZ_OUT/smoke/$h
		rm -rf "$work" "$FUZZ_OUT/crashes/$h-"*
		run "$h" "$work" -runs="$RUNS" -seed="$SEED" || failed+=("$h")
	done
	rm -rf "$FUZZ_OUT/smoke"
	if (( ${#failed[@]} )); then
		log "fuzz-smoke: ${#failed[@]} of ${#HARNESSES[@]} harnesses found something: ${failed[*]}"
		log "reproduce: $FUZZ_OUT/fuzz_<name> <input>; see tests/fuzz/README.md"
		exit 1
	fi
	log "fuzz-smoke: ${#HARNESSES[@]} harnesses, $RUNS executions each, no finding"
}

cmd_long() {
	local h failed=()
	cmd_build
	for h in "${HARNESSES[@]}"; do
		run "$h" "$FUZZ_OUT/work/$h" -max_total_time="$SECONDS_EACH" || failed+=("$h")
	done
	if (( ${#failed[@]} )); then
		log "fuzz-long: findings in ${failed[*]} (inputs in $FUZZ_OUT/crashes)"
		exit 1
	fi
	log "fuzz-long: ${#HARNESSES[@]} harnesses, ${SECONDS_EACH}s each, no finding"
}

cmd_merge() {
	local h=${1:?merge needs a harness name} before after
	cmd_build
	[[ -d $FUZZ_OUT/work/$h ]] || die "nothing to merge: run fuzz-long first"
	# libFuzzer adds to the first folder only the inputs of the others
	# that reach an edge it does not (hit counts aside: a small corpus).
	before=$(find "$FUZZDIR/corpus/$h" -type f | wc -l)
	"$FUZZ_OUT/fuzz_$h" -merge=1 -use_counters=0 -max_len="$(max_len "$h")" \
		"$FUZZDIR/corpus/$h" "$FUZZ_OUT/work/$h" >"$FUZZ_OUT/$h.merge.log" 2>&1 ||
		{ tail -20 "$FUZZ_OUT/$h.merge.log" >&2; die "merge failed"; }
	after=$(find "$FUZZDIR/corpus/$h" -type f | wc -l)
	log "merge: $((after - before)) new inputs in tests/fuzz/corpus/$h"
}

case ${1:-} in
	build) cmd_build ;;
	smoke) cmd_smoke ;;
	long) cmd_long ;;
	merge) shift; cmd_merge "$@" ;;
	*) sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
