#!/usr/bin/env bash
# bash_completion: the completion scripts in packaging/bash-completion complete what they should
# (sockctl st<TAB> offers status and stop, sockfetch --co<TAB> --connect-timeout, ...), and offer
# every option each program's own --help lists, so that a new option cannot be forgotten there.
#
#   bash_completion_test.sh COMPLETION_DIR SOCKCTL SOCKCHATD SOCKFETCH
set -uo pipefail

dir=$1 sockctl=$2 sockchatd=$3 sockfetch=$4
failures=0

# The candidates for completing the words given (the last one is being completed), one per line.
complete_words() {
    local program=$1
    shift
    bash --norc --noprofile -c '
        source "$1/$2" || exit 2
        shift 2
        COMP_WORDS=("$@")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}
        "_${COMP_WORDS[0]//-/_}"
        printf "%s\n" "${COMPREPLY[@]}"' _ "$dir" "$program" "$@"
}

# expect WORD... -- CANDIDATE...: completing WORD... offers exactly CANDIDATE... (any order).
expect() {
    local words=() want=()
    while [ "$1" != -- ]; do words+=("$1"); shift; done
    shift
    want=("$@")
    local got
    got=$(complete_words "${words[0]}" "${words[@]}" | sort)
    local wanted
    wanted=$( ((${#want[@]})) && printf '%s\n' "${want[@]}" | sort)
    if [ "$got" != "$wanted" ]; then
        echo "FAIL: '${words[*]}<TAB>' offers [${got//$'\n'/ }], expected [${wanted//$'\n'/ }]"
        failures=$((failures + 1))
    fi
}

# expect_offers WORD... -- CANDIDATE...: completing WORD... offers at least CANDIDATE...
expect_offers() {
    local words=()
    while [ "$1" != -- ]; do words+=("$1"); shift; done
    shift
    local got
    got=$(complete_words "${words[0]}" "${words[@]}")
    local c
    for c in "$@"; do
        if ! grep -qxF -- "$c" <<<"$got"; then
            echo "FAIL: '${words[*]}<TAB>' does not offer $c (offers: ${got//$'\n'/ })"
            failures=$((failures + 1))
        fi
    done
}

# The options a CLI11 --help lists: the first field of the lines that start with a dash.
help_options() {
    "$@" --help | sed -n 's/^ *\(-[^ ].*\)$/\1/p' | sed 's/  .*//; s/ [A-Z<[].*//' | tr ',' '\n' |
        sed 's/^ *//; s/ .*//' | grep '^-'
}

expect sockctl st -- status stop
expect sockctl --socket /tmp/a.sock st -- status stop
expect sockctl "" -- chat echo help status clients rooms kick say reload log-level stop metrics
expect sockctl log-level d -- debug
expect sockctl clients --service "" -- chat echo
expect sockctl say --a -- --all
expect sockctl help ki -- kick
expect sockctl status --j -- --json
expect sockctl chat --no- -- --no-color --no-bell --no-reconnect
expect sockctl echo --c -- --cacert --cert --config
expect sockctl chat --t -- --tls
# The TLS files complete as files, and are not taken for the command.
tmp=$(mktemp -d)
touch "$tmp/ca.pem"
expect sockctl chat --cacert "$tmp/ca" -- "$tmp/ca.pem"
expect sockctl echo --key "$tmp/c" -- "$tmp/ca.pem"
expect sockctl chat --cert "$tmp/ca.pem" --n -- --nick --no-color --no-bell --no-reconnect
rm -rf "$tmp"
expect sockfetch --co -- --connect-timeout
expect sockfetch --ca -- --cacert
expect sockfetch -m "" --
expect sockchatd --c -- --config --check-config

# Each program's (and each sockctl command's) --help options, all offered after a dash.
mapfile -t options < <(help_options "$sockctl")
expect_offers sockctl - -- "${options[@]}"
for command in chat echo status clients rooms kick say reload log-level stop metrics; do
    mapfile -t options < <(help_options "$sockctl" "$command")
    expect_offers sockctl "$command" - -- "${options[@]}"
done
mapfile -t options < <(help_options "$sockchatd")
expect_offers sockchatd - -- "${options[@]}"
mapfile -t options < <(help_options "$sockfetch")
expect_offers sockfetch - -- "${options[@]}"

if [ "$failures" -gt 0 ]; then
    echo "bash_completion: $failures failure(s)"
    exit 1
fi
echo "bash_completion: ok"
