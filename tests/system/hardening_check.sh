#!/usr/bin/env bash
# Checks that the built binaries carry the hardening the top CMakeLists.txt asks for (PIE, stack
# protector, FORTIFY_SOURCE, RELRO, BIND_NOW, stack clash protection, CET), with Debian's
# hardening-check (package devscripts, in build-deps.txt).
#
#   tests/system/hardening_check.sh BINARY...
#
# Fails if any check of any binary says anything but "yes". Two outcomes are accepted, because
# neither is a missing flag, and each only when hardening-check says exactly that and every file
# of the build was compiled with the flag concerned (checked in compile_commands.json, passed as
# $SOCKCHAT_COMPILE_COMMANDS):
#  - "Fortify Source functions: no, only unprotected functions found!": the binary calls
#    fortifiable libc functions (memcpy, read...) only where the compiler cannot know the buffer
#    size, so there was nothing to replace with a _chk variant. hardening-check cannot tell that
#    from a build without -D_FORTIFY_SOURCE.
#  - "Control flow integrity: no, not found!": the linker marks a binary IBT/SHSTK only if every
#    object in it is marked, and Debian 12's glibc start files (Scrt1.o, crti.o, crtn.o) are not
#    (glibc built without CET). Accepted only while the C library's Scrt1.o itself lacks the
#    marking; on a toolchain that has it, a missing -fcf-protection fails as it should.
set -euo pipefail

if ! command -v hardening-check >/dev/null; then
  echo "hardening_check: hardening-check is not installed (apt-get install devscripts)" >&2
  exit 1
fi
if [ $# -eq 0 ]; then
  echo "usage: $0 BINARY..." >&2
  exit 2
fi

# 1 if every compile command of the build has a flag matching the regex $1.
in_every_compile() {
  local db=${SOCKCHAT_COMPILE_COMMANDS:-} total with
  [ -n "$db" ] && [ -f "$db" ] || return 1
  total=$(grep -c '"command"' "$db" || true)
  with=$(grep '"command"' "$db" | grep -c -E -- "$1" || true)
  [ "$total" -gt 0 ] && [ "$total" = "$with" ]
}
fortify_in_build=0
in_every_compile '-D_FORTIFY_SOURCE=[1-3]' && fortify_in_build=1
cet_accepted=0
if in_every_compile '-fcf-protection( |=full|$)'; then
  scrt1=$(${CXX:-c++} -print-file-name=Scrt1.o 2>/dev/null || true)
  if [ -f "$scrt1" ] && ! readelf -n "$scrt1" 2>/dev/null | grep -q 'x86 feature: IBT, SHSTK'; then
    cet_accepted=1
  fi
fi

status=0
for binary in "$@"; do
  if [ ! -x "$binary" ]; then
    echo "hardening_check: $binary: not built" >&2
    status=1
    continue
  fi
  # hardening-check's own exit status is not used: it counts "unknown" and the Fortify case
  # above as failures, and says nothing about which. Each " Name: result" line is judged here.
  report=$(hardening-check "$binary" 2>&1 || true)
  echo "$report"
  while IFS= read -r line; do
    case $line in
      " "*": "*) ;;
      *) continue ;;
    esac
    name=${line%%: *}
    name=${name# }
    result=${line#*: }
    case $result in
      yes*) continue ;;
    esac
    if [ "$name" = "Fortify Source functions" ] &&
      [ "$result" = "no, only unprotected functions found!" ] && [ "$fortify_in_build" = 1 ]; then
      echo "hardening_check: $binary: accepted: no fortifiable call with a known buffer size" >&2
      continue
    fi
    if [ "$name" = "Control flow integrity" ] && [ "$result" = "no, not found!" ] &&
      [ "$cet_accepted" = 1 ]; then
      echo "hardening_check: $binary: accepted: built with -fcf-protection, but the C library's" \
        "start files ($scrt1) carry no IBT/SHSTK marking, so the linker drops it" >&2
      continue
    fi
    echo "hardening_check: $binary: $name: $result" >&2
    status=1
  done <<<"$report"
done
if [ "$status" = 0 ]; then
  echo "hardening_check: all checks pass for $#: $*"
fi
exit "$status"
