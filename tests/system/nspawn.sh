# shellcheck shell=bash
# Harness: a real systemd booted with systemd-nspawn over an overlay of the host's root.
# Sourced by system_test.sh. The host's root is the lower layer, so everything installed on the
# host (the package's dependencies, apt's lists and cache) is there; every change made in the
# container lands in a throwaway upper layer. The container gets its own network namespace
# (loopback only), so its sockchatd cannot clash with anything listening on the host.
#
#   ct_boot NAME           mount the overlay, boot, wait for systemctl is-system-running
#   ct CMD...              run CMD in the container (all its namespaces), clean environment
#   ct_copy SRC... DEST    copy host files to DEST (a path inside the container)
#   ct_path PATH           the host path of PATH inside the container
#   ct_teardown            power off, kill if need be, unmount, remove (the EXIT trap calls it)
#
# Exits 77 (ctest's SKIP_RETURN_CODE) with a loud message where no container can be booted.

CT_BOOT_TIMEOUT=${CT_BOOT_TIMEOUT:-120}    # seconds until systemctl is-system-running answers
CT_LIFETIME=${CT_LIFETIME:-480}            # the container is killed after this, whatever happens
CT_DIR=""
CT_WRAPPER=""    # pid of `timeout ... systemd-nspawn`
CT_NSPAWN=""     # pid of systemd-nspawn
CT_INIT=""       # pid (on the host) of the container's systemd
CT_BACKGROUND=() # host pids of processes started in the container with ct_bg

skip() {
  {
    echo
    echo "################################################################################"
    echo "SKIPPED: sockchatd system test: $*"
    echo "The journey under a real systemd did NOT run; nothing was tested here."
    echo "################################################################################"
  } >&2
  exit 77
}

ct_log() { printf '%s [system-test] %s\n' "$(date +%T)" "$*" >&2; }

# Refuses (by skipping) where systemd-nspawn cannot run: not root, or already in a container
# (containers do not nest here, e.g. ../shared/tools/fresh-debian12).
ct_preflight() {
  [ "$(id -u)" = 0 ] || skip "needs root (it mounts an overlay and runs systemd-nspawn)"
  # What container managers leave for their payload (not systemd-detect-virt: it takes a stray
  # /.dockerenv for a container, and some VMs here carry one). A container that none of these
  # reveal fails to boot below, which skips too.
  local virt=""
  if [ -s /run/systemd/container ]; then
    virt=$(cat /run/systemd/container)
  elif [ -s /run/host/container-manager ]; then
    virt=$(cat /run/host/container-manager)
  elif [ -n "${container:-}" ]; then
    virt=$container
  elif [ -r /proc/1/environ ]; then
    virt=$( { tr '\0' '\n' </proc/1/environ; } 2>/dev/null | sed -n 's/^container=//p' | head -n1 || true)
  fi
  [ -z "$virt" ] || [ -n "${CT_IGNORE_CONTAINER:-}" ] || # (to try the boot regardless)
    skip "running inside a container ($virt): systemd-nspawn cannot boot a nested container here"
  command -v systemd-nspawn >/dev/null ||
    { echo "system test: systemd-nspawn is missing: apt-get install systemd-container (in build-deps.txt)" >&2; exit 1; }
  command -v nsenter >/dev/null || { echo "system test: nsenter is missing (util-linux)" >&2; exit 1; }
}

# Unmounts and removes what an earlier run killed with SIGKILL (ctest's timeout) left behind.
ct_reap_stale() {
  local d pid
  for d in "${TMPDIR:-/tmp}"/sockchatd-systest.*; do
    [ -d "$d" ] || continue
    pid=$(cat "$d/owner" 2>/dev/null || echo "")
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then continue; fi
    ct_log "removing stale $d"
    mountpoint -q "$d/root" && { umount "$d/root" 2>/dev/null || umount -l "$d/root"; }
    # Never rm -rf into a mounted overlay of /.
    mountpoint -q "$d/root" || rm -rf --one-file-system "$d"
  done
}

ct_boot() {
  local name=$1
  ct_reap_stale
  CT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/sockchatd-systest.XXXXXX")
  echo $$ >"$CT_DIR/owner"
  mkdir "$CT_DIR/upper" "$CT_DIR/work" "$CT_DIR/root"
  mount -t overlay overlay -o "lowerdir=/,upperdir=$CT_DIR/upper,workdir=$CT_DIR/work" "$CT_DIR/root" ||
    skip "cannot mount an overlay of / (overlayfs unavailable or / is itself unsuitable)"
  # Debian's container images forbid starting services; a real system does not.
  rm -f "$CT_DIR/root/usr/sbin/policy-rc.d"
  ct_log "booting container $name (systemd-nspawn -b over an overlay of /)"
  local network=--private-network
  [ "${CT_PRIVATE_NETWORK:-1}" = 1 ] || network="" # the host's network (to reach a package mirror)
  timeout -k 10 "$CT_LIFETIME" systemd-nspawn -q --register=no --keep-unit $network \
    -D "$CT_DIR/root" -M "$name" -b --console=read-only </dev/null >"$CT_DIR/console.log" 2>&1 &
  CT_WRAPPER=$!
  # nspawn running but its systemd slow to appear (a loaded machine) is a failure, not a skip:
  # wait for it as long as for the boot itself.
  local appear_deadline=$((SECONDS + CT_BOOT_TIMEOUT))
  while [ $SECONDS -lt $appear_deadline ]; do
    [ -n "$CT_NSPAWN" ] || CT_NSPAWN=$(pgrep -P "$CT_WRAPPER" | head -n1 || true)
    if [ -n "$CT_NSPAWN" ]; then
      CT_INIT=$(pgrep -P "$CT_NSPAWN" | head -n1 || true)
      if [ -n "$CT_INIT" ] && [ "$(cat /proc/"$CT_INIT"/comm 2>/dev/null)" = systemd ] &&
        [ -e "/proc/$CT_INIT/root/run/systemd/system" ]; then
        break
      fi
    fi
    if ! kill -0 "$CT_WRAPPER" 2>/dev/null; then
      tail -n 20 "$CT_DIR/console.log" >&2
      skip "systemd-nspawn could not boot a container here (its output is above)"
    fi
    CT_INIT=""
    sleep 0.1
  done
  if [ -z "$CT_INIT" ]; then
    tail -n 20 "$CT_DIR/console.log" >&2
    ct_log "FAIL: systemd-nspawn runs, but the container's systemd did not appear within ${CT_BOOT_TIMEOUT} s"
    exit 1
  fi
  # Early in the boot the manager's socket is not there yet ("Failed to connect to bus"): retry.
  local state deadline=$((SECONDS + CT_BOOT_TIMEOUT))
  while :; do
    state=$(timeout "$CT_BOOT_TIMEOUT" nsenter -t "$CT_INIT" -a -r -w -- \
      env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin systemctl is-system-running --wait 2>&1) || true
    case $state in
      running | degraded | maintenance | stopping | offline) break ;;
    esac
    [ $SECONDS -lt $deadline ] && kill -0 "$CT_INIT" 2>/dev/null || break
    sleep 0.2
  done
  case $state in
    running) ct_log "container is up (systemd pid $CT_INIT on the host)" ;;
    degraded)
      ct_log "container is up but degraded; failed units (not sockchatd's doing):"
      ct systemctl --failed --no-legend --plain >&2 || true ;;
    *)
      tail -n 30 "$CT_DIR/console.log" >&2
      echo "system test: the container's systemd did not finish booting: '$state'" >&2
      exit 1 ;;
  esac
}

ct() {
  nsenter -t "$CT_INIT" -a -r -w -- env -i \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    TERM=dumb DEBIAN_FRONTEND=noninteractive SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}

# ct_bg OUT CMD...: run CMD in the container in the background, stdout+stderr to the host file
# OUT; its host pid is remembered for the teardown. Stdin is the caller's (redirect it).
ct_bg() {
  local out=$1
  shift
  ct "$@" <&0 >"$out" 2>&1 & # <&0: an asynchronous command would get /dev/null otherwise
  CT_BACKGROUND+=($!)
}

ct_path() { printf '%s%s' "$CT_DIR/root" "$1"; }

ct_copy() {
  local dest=${*: -1} n=$(($# - 1))
  mkdir -p "$(ct_path "$dest")"
  cp "${@:1:$n}" "$(ct_path "$dest")/"
}

ct_teardown() {
  local pid
  for pid in "${CT_BACKGROUND[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [ -n "$CT_NSPAWN" ] && kill -0 "$CT_NSPAWN" 2>/dev/null; then
    ct_log "powering off the container"
    kill -TERM "$CT_NSPAWN" 2>/dev/null || true # systemd-nspawn -b: a clean poweroff
    for _ in $(seq 1 150); do kill -0 "$CT_NSPAWN" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$CT_NSPAWN" 2>/dev/null; then
      ct_log "the container did not power off in 30 s: killing it"
      kill -KILL "$CT_NSPAWN" "$CT_INIT" 2>/dev/null || true
    fi
  fi
  [ -z "$CT_WRAPPER" ] || wait "$CT_WRAPPER" 2>/dev/null || true
  if [ -n "$CT_DIR" ]; then
    if mountpoint -q "$CT_DIR/root"; then
      for _ in 1 2 3 4 5; do umount "$CT_DIR/root" 2>/dev/null && break; sleep 1; done
      mountpoint -q "$CT_DIR/root" && umount -l "$CT_DIR/root"
    fi
    if [ -n "${CT_KEEP_LOGS:-}" ]; then
      mkdir -p "$CT_KEEP_LOGS" && find "$CT_DIR" -maxdepth 1 -type f -exec cp {} "$CT_KEEP_LOGS/" \; || true
    fi
    if mountpoint -q "$CT_DIR/root"; then
      echo "system test: could not unmount $CT_DIR/root; left in place" >&2
    else
      rm -rf --one-file-system "$CT_DIR"
    fi
  fi
  CT_NSPAWN="" CT_DIR=""
}
