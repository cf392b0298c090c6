#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The package checks, run inside the systemd guest (tests/packaging/
# build-rootfs.sh) by its vfwd-pkgtest.service, from the data disk that
# test_package.py made: this script as run.sh, the .deb, two repacked
# "upgrades" of it, and hang-worker.  PID 1 is systemd.
#
# Each check prints one line on the console:
#   VFWD-PKG ok NAME
#   VFWD-PKG FAIL NAME: what was wrong
# then "VFWD-PKG DONE".  The checks run in order, each from the state the
# one before left (as an operator would go), and a failed one does not
# stop the others.
set -u

D=/mnt/vfwd
U=virtio-forwarder.service
B=virtio-forwarder-balancer.service
CONF=/etc/default/virtioforwarder
export DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin
failures=0

say() { echo "VFWD-PKG $*"; }
# check NAME FUNCTION: runs FUNCTION; its output is the reason of a failure.
check() {
	local name=$1 out rc t0=$SECONDS
	shift
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc = 0 ]; then
		say "ok $name ($((SECONDS - t0)) s)"
	else
		failures=$((failures + 1))
		say "FAIL $name: $(echo "$out" | tail -n 15 | tr '\n' '|')"
	fi
}
# wait_until SECONDS COMMAND...: polls COMMAND every 0.2 s.
wait_until() {
	local end=$((SECONDS + $1))
	shift
	while ! "$@" >/dev/null 2>&1; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.2
	done
}
prop() { systemctl show -p "$2" --value "$1"; }
is_state() { [ "$(prop "$1" ActiveState)" = "$2" ]; }
expect() { # what actual expected
	[ "$2" = "$3" ] || { echo "$1: '$2', expected '$3'"; return 1; }
}
journal_has() { # unit priority text
	journalctl -q -u "$1" -p "$2" -o cat | grep -qF -- "$3"
}
daemon_procs() { pgrep -x virtio-forwarde; }   # comm is cut to 15 characters

# Everything on the root filesystem and in /run, /dev/shm and
# /dev/hugepages, but what the system changes by itself (logs, the dpkg
# and apt databases, systemd's state): compared before the install and
# after the purge.
snapshot() {
	find / /run /dev/shm /dev/hugepages -xdev \
		\( -path /proc -o -path /sys -o -path /mnt/vfwd -o -path /var/log \
		-o -path /var/lib/dpkg -o -path /var/lib/apt -o -path /var/cache \
		-o -path /var/lib/systemd -o -path /run/systemd -o -path /run/udev \
		-o -path /run/log -o -path /run/user -o -path /run/mount \
		-o -path /var/tmp -o -path /run/lock -o -path /tmp/vfwd-check \) -prune \
		-o -printf '%p %M %u:%g\n' 2>/dev/null | sort
}

# ---------------------------------------------------------------- install
t_install() {
	apt-get install -y -q "$D"/virtio-forwarder_*_amd64.deb </dev/null >/tmp/vfwd-check/apt.log 2>&1 ||
		{ tail -n 20 /tmp/vfwd-check/apt.log; return 1; }
	local v
	v=$(virtio-forwarder --version) || return 1
	echo "$v" | grep -q "^virtio-forwarder " || { echo "--version: $v"; return 1; }
	expect "status" "$(dpkg-query -W -f='${Status}' virtio-forwarder)" "install ok installed" || return 1
	for f in /usr/sbin/virtio-forwarder /usr/bin/vfwdctl /lib/systemd/system/$U \
		/lib/systemd/system/$B /usr/lib/tmpfiles.d/virtio-forwarder.conf \
		/usr/share/man/man8/virtio-forwarder.8.gz /usr/share/man/man1/vfwdctl.1.gz; do
		[ -e "$f" ] || { echo "missing $f"; return 1; }
	done
	for t in port_control stats core_pinner monitor_load core_scheduler config; do
		command -v "virtioforwarder_$t.py" >/dev/null || { echo "virtioforwarder_$t.py not on PATH"; return 1; }
		[ -x "/usr/lib/virtio-forwarder/virtioforwarder_$t.py" ] ||
			{ echo "no /usr/lib/virtio-forwarder/virtioforwarder_$t.py"; return 1; }
	done
	virtioforwarder_stats.py --help >/dev/null 2>&1 || { echo "virtioforwarder_stats.py --help failed"; return 1; }
	dpkg-query -W -f='${Conffiles}\n' virtio-forwarder | grep -q " $CONF " ||
		{ echo "$CONF is not a conffile"; return 1; }
}

t_enabled_not_started() {
	expect "is-enabled $U" "$(systemctl is-enabled $U)" enabled || return 1
	expect "is-enabled $B" "$(systemctl is-enabled $B)" enabled || return 1
	expect "$U" "$(prop $U ActiveState)" inactive || return 1
	expect "$B" "$(prop $B ActiveState)" inactive || return 1
	[ -z "$(daemon_procs)" ] || { echo "a daemon runs"; return 1; }
	# The 1.x name of the balancer, made by 'enable' from Alias=.
	expect "alias" "$(readlink /etc/systemd/system/vio4wd_core_scheduler.service)" \
		/lib/systemd/system/$B || return 1
	[ -d /run/virtio-forwarder ] || { echo "no /run/virtio-forwarder (tmpfiles.d)"; return 1; }
	expect "mode" "$(stat -c '%a %U:%G' /run/virtio-forwarder)" "755 root:root" || return 1
	# Ready before libvirt's daemons start autostarted VMs.
	for l in libvirtd.service virtqemud.service; do
		prop $U Before | tr ' ' '\n' | grep -qx "$l" || { echo "$U not Before=$l: $(prop $U Before)"; return 1; }
	done
}

# An unedited configuration is replaced by the new one without a question
# (stdin is /dev/null and no --force-conf* option is given: a question
# would fail the upgrade).
t_upgrade_quiet() {
	apt-get install -y -q "$D"/upgrade1/virtio-forwarder_*.deb </dev/null \
		>/tmp/vfwd-check/apt.log 2>&1 || { tail -n 20 /tmp/vfwd-check/apt.log; return 1; }
	if grep -q "Configuration file" /tmp/vfwd-check/apt.log; then
		grep -A3 "Configuration file" /tmp/vfwd-check/apt.log
		return 1
	fi
	grep -q "^# upgrade1$" $CONF || { echo "$CONF not replaced by the new version's"; return 1; }
	expect "version" "$(dpkg-query -W -f='${Version}' virtio-forwarder)" "$(cat "$D"/upgrade1/version)" || return 1
	expect "$U after upgrade" "$(prop $U ActiveState)" inactive || return 1
	expect "is-enabled" "$(systemctl is-enabled $U)" enabled
}

# The operator's edits: one worker on the guest's second vCPU, no
# hugepages, adaptive polling (an idle worker sleeps instead of spinning
# on a vCPU that the checks' apt and systemctl need too), and the core
# scheduling service for the balancer.
configure() {
	sed -i -e 's/^VIRTIOFWD_CPU_MASK=.*/VIRTIOFWD_CPU_MASK=1/' \
		-e 's/^VIRTIOFWD_EAL_ARGS=.*/VIRTIOFWD_EAL_ARGS="--no-huge -m 256"/' \
		-e 's/^VIRTIOFWD_POLL_MODE=.*/VIRTIOFWD_POLL_MODE=adaptive/' \
		-e 's/^VIO4WD_CORE_SCHED_ENABLE=.*/VIO4WD_CORE_SCHED_ENABLE=true/' $CONF
}

# ------------------------------------------------------------- the service
# 'activating' until READY=1, and then everything is there: the sockets,
# the control endpoints, the STATUS= line.
t_start_when_ready() {
	local seen_activating= s end=$((SECONDS + 120))
	systemctl start --no-block $U
	while :; do
		s=$(prop $U ActiveState)
		case $s in
		activating) seen_activating=1 ;;
		active) break ;;
		failed) echo "failed to start"; journalctl -q -u $U -o cat | tail -n 10; return 1 ;;
		esac
		[ $SECONDS -ge $end ] && { echo "still $s after 120 s"; return 1; }
		sleep 0.05
	done
	# Right when it turned active: sockets and the stats service answer.
	[ -S /tmp/virtio-forwarder1.sock ] || { echo "active before the sockets exist"; return 1; }
	[ -S /run/virtio-forwarder/stats ] || { echo "active before the stats endpoint exists"; return 1; }
	timeout 10 vfwdctl stats >/dev/null || { echo "vfwdctl stats failed"; return 1; }
	[ -n "$seen_activating" ] || { echo "never seen activating"; return 1; }
	expect "SubState" "$(prop $U SubState)" running || return 1
	prop $U StatusText | grep -q "worker(s)" || { echo "StatusText: $(prop $U StatusText)"; return 1; }
	expect "WatchdogUSec" "$(prop $U WatchdogUSec)" 10s || return 1
	# journald reads the daemon's stderr on its own time: wait for lines.
	wait_until 10 journal_has $U notice "ready: 1 worker(s)" || { echo "no 'ready' notice"; return 1; }
}

# Each message at its own priority: 'journalctl -p' filters on it.
t_journal_priorities() {
	# info (6): in -p info, not in -p notice.
	wait_until 10 journal_has $U info "systemd watchdog: 10000 ms" || { echo "info line missing"; return 1; }
	if journal_has $U notice "systemd watchdog: 10000 ms"; then echo "info line shown at notice"; return 1; fi
	# notice (5), warning (4): /tmp is world-writable.
	journal_has $U notice "ready: " || { echo "notice line missing"; return 1; }
	if journal_has $U warning "ready: "; then echo "notice line shown at warning"; return 1; fi
	journal_has $U warning "is writable by every user" || { echo "warning line missing"; return 1; }
	if journal_has $U err "is writable by every user"; then echo "warning line shown at err"; return 1; fi
	journalctl -q -u $U -o cat | grep -q "^virtio-forwarder\[\|^<[0-9]>" &&
		{ echo "level prefixes left in the messages"; return 1; }
	return 0
}

t_stop_clean() {
	local pid
	pid=$(prop $U MainPID)
	systemctl stop $U || { echo "systemctl stop failed"; return 1; }
	expect "ActiveState" "$(prop $U ActiveState)" inactive || return 1
	expect "Result" "$(prop $U Result)" success || return 1
	expect "ExecMainStatus" "$(prop $U ExecMainStatus)" 0 || return 1
	[ ! -e /proc/"$pid" ] || { echo "process $pid still there"; return 1; }
	[ ! -e /tmp/virtio-forwarder1.sock ] || { echo "sockets left in /tmp"; return 1; }
	[ ! -e /run/virtio-forwarder/stats ] || { echo "stats endpoint left"; return 1; }
	[ ! -e /var/run/virtio-forwarder.pid ] || { echo "pid file left"; return 1; }
	journal_has $U info "Deactivated successfully" || { echo "no 'Deactivated successfully'"; return 1; }
}

t_sigkill_restarted() {
	local pid n0
	systemctl start $U || { echo "start failed"; return 1; }
	pid=$(prop $U MainPID)
	n0=$(prop $U NRestarts)
	kill -KILL "$pid"
	wait_until 60 sh -c "[ \"\$(systemctl show -p MainPID --value $U)\" != 0 ] &&
		[ \"\$(systemctl show -p MainPID --value $U)\" != $pid ] &&
		[ \"\$(systemctl show -p ActiveState --value $U)\" = active ]" ||
		{ echo "not active again with a new process: $(prop $U ActiveState) $(prop $U MainPID)"; return 1; }
	expect "NRestarts" "$(prop $U NRestarts)" $((n0 + 1)) || return 1
	journal_has $U info "status=9/KILL" || { echo "no 'status=9/KILL' in the journal"; return 1; }
	timeout 10 vfwdctl stats >/dev/null || { echo "the restarted daemon does not answer"; return 1; }
}

# Client mode with the sockets in the package's run directory, as the
# daemon's /tmp warning suggests: QEMU (group kvm) must create them there,
# so the daemon gives the directory that tmpfiles.d made at boot (0755
# root:root) to kvm with mode 1770, and systemd-tmpfiles run again (an
# upgrade does) leaves it so.  Left as the boot made it for the checks
# after this one.
t_client_mode_run_dir() {
	local dir=/run/virtio-forwarder
	cp $CONF /tmp/vfwd-check/server.conf
	getent group kvm >/dev/null || groupadd --system kvm
	sed -i -e "s|^VIRTIOFWD_SOCKET_DIR=.*|VIRTIOFWD_SOCKET_DIR=$dir|" \
		-e 's/^VIRTIOFWD_VHOST_CLIENT=.*/VIRTIOFWD_VHOST_CLIENT=y/' $CONF
	expect "before" "$(stat -c '%a %U:%G' $dir)" "755 root:root" || return 1
	systemctl start $U || { echo "start in client mode failed"; journalctl -q -u $U -o cat | tail -n 5; return 1; }
	expect "client mode" "$(stat -c '%a %U:%G' $dir)" "1770 root:kvm" || return 1
	wait_until 10 journal_has $U notice "in client mode QEMU creates the sockets here" ||
		{ echo "no notice of the change"; return 1; }
	systemd-tmpfiles --create /usr/lib/tmpfiles.d/virtio-forwarder.conf || { echo "systemd-tmpfiles failed"; return 1; }
	expect "after systemd-tmpfiles" "$(stat -c '%a %U:%G' $dir)" "1770 root:kvm" || return 1
	systemctl stop $U || return 1
	cp /tmp/vfwd-check/server.conf $CONF
	chgrp root $dir && chmod 0755 $dir
}

# Busy poll mode for the next two checks, by a drop-in as an operator
# would write one (systemctl edit): the watchdog check needs a worker
# that polls, since a sleeping worker of adaptive mode is never taken for
# a hung one.  Taken up by the start of the SIGKILL check.
DROPIN=/etc/systemd/system/$U.d/busy.conf
busy_dropin() {
	mkdir -p "${DROPIN%/*}"
	printf '[Service]\nExecStart=\nExecStart=%s\n' \
		"/usr/sbin/virtio-forwarder --config $CONF --poll-mode=busy" >"$DROPIN"
	systemctl daemon-reload
}

# A worker stopped alone, with ptrace.
t_watchdog_restarted() {
	local pid n0 helper
	pid=$(prop $U MainPID)
	n0=$(prop $U NRestarts)
	tr '\0' ' ' </proc/"$pid"/cmdline | grep -q -- "--poll-mode=busy" ||
		{ echo "the drop-in's command line is not used"; return 1; }
	"$D"/hang-worker "$pid" 120 >/tmp/vfwd-check/hang.out 2>&1 &
	helper=$!
	wait_until 10 grep -q stopped /tmp/vfwd-check/hang.out ||
		{ echo "hang-worker: $(cat /tmp/vfwd-check/hang.out)"; return 1; }
	# The daemon says so within half a period, systemd acts after a period.
	wait_until 15 journal_has $U err "not petting the systemd watchdog" ||
		{ echo "no 'not petting' error"; return 1; }
	# systemd reads the STATUS= notification on its own time.
	wait_until 10 sh -c "systemctl show -p StatusText --value $U | grep -q 'a worker is stalled'" ||
		{ echo "StatusText: $(prop $U StatusText)"; return 1; }
	wait_until 60 journal_has $U info "Watchdog timeout" ||
		{ echo "no 'Watchdog timeout' from systemd"; return 1; }
	wait_until 90 sh -c "[ \"\$(systemctl show -p MainPID --value $U)\" != 0 ] &&
		[ \"\$(systemctl show -p MainPID --value $U)\" != $pid ] &&
		[ \"\$(systemctl show -p ActiveState --value $U)\" = active ]" ||
		{ echo "not restarted: $(prop $U ActiveState) $(prop $U MainPID)"; return 1; }
	wait "$helper" || { echo "hang-worker: $(cat /tmp/vfwd-check/hang.out)"; return 1; }
	expect "NRestarts" "$(prop $U NRestarts)" $((n0 + 1)) || return 1
	timeout 10 vfwdctl stats >/dev/null || { echo "the restarted daemon does not answer"; return 1; }
}

# Exit status 2, 'failed', and no restart however long one waits.
t_bad_config_no_loop() {
	cp $CONF /tmp/vfwd-check/good.conf
	sed -i 's/^VIRTIOFWD_CPU_MASK=.*/VIRTIOFWD_CPU_MASK=banana/' $CONF
	if systemctl restart $U 2>/dev/null; then echo "restart with a bad configuration succeeded"; return 1; fi
	local n0
	n0=$(prop $U NRestarts)
	sleep 8    # four times RestartSec
	expect "ActiveState" "$(prop $U ActiveState)" failed || return 1
	expect "Result" "$(prop $U Result)" exit-code || return 1
	expect "ExecMainStatus" "$(prop $U ExecMainStatus)" 2 || return 1
	expect "NRestarts" "$(prop $U NRestarts)" "$n0" || return 1
	[ -z "$(daemon_procs)" ] || { echo "a daemon runs"; return 1; }
	wait_until 10 journal_has $U err "VIRTIOFWD_CPU_MASK" || { echo "the error is not in the journal at err"; return 1; }
	cp /tmp/vfwd-check/good.conf $CONF
	systemctl reset-failed $U
	systemctl start $U || { echo "start with the good configuration failed"; return 1; }
}

# The balancer, started by its 1.x name, talks to the daemon.
t_balancer_alias() {
	systemctl start vio4wd_core_scheduler.service || { echo "start by the alias failed"; return 1; }
	expect "Id" "$(prop vio4wd_core_scheduler.service Id)" $B || return 1
	expect "$B" "$(prop $B ActiveState)" active || return 1
	wait_until 20 journal_has $B info "balancing every" || { echo "no start line"; journalctl -q -u $B -o cat | tail -n 5; return 1; }
	sleep 6    # a round or so: it must stay up
	expect "$B" "$(prop $B ActiveState)" active || return 1
	expect "NRestarts" "$(prop $B NRestarts)" 0 || return 1
	if journal_has $B err ""; then echo "errors: $(journalctl -q -u $B -p err -o cat | tail -n 3)"; return 1; fi
	systemctl stop vio4wd_core_scheduler.service || return 1
	expect "$B" "$(prop $B ActiveState)" inactive
}

# An edited configuration is kept (dpkg asks; --force-confold answers),
# the new one is put beside it, and the running daemon is left alone.
t_upgrade_running_edited() {
	local pid
	pid=$(prop $U MainPID)
	apt-get install -y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		"$D"/upgrade2/virtio-forwarder_*.deb </dev/null >/tmp/vfwd-check/apt.log 2>&1 ||
		{ tail -n 20 /tmp/vfwd-check/apt.log; return 1; }
	grep -q '^VIRTIOFWD_CPU_MASK=1$' $CONF || { echo "the edit is lost"; return 1; }
	grep -q "^# upgrade2$" $CONF.dpkg-dist || { echo "no $CONF.dpkg-dist"; return 1; }
	expect "MainPID" "$(prop $U MainPID)" "$pid" || return 1
	expect "ActiveState" "$(prop $U ActiveState)" active
}

# --------------------------------------------------------- remove, purge
t_remove_stops() {
	local pid
	pid=$(prop $U MainPID)
	apt-get remove -y -q virtio-forwarder </dev/null >/tmp/vfwd-check/apt.log 2>&1 ||
		{ tail -n 20 /tmp/vfwd-check/apt.log; return 1; }
	[ ! -e /proc/"$pid" ] || { echo "the daemon still runs"; return 1; }
	[ -z "$(daemon_procs)" ] || { echo "a daemon runs"; return 1; }
	[ -e $CONF ] || { echo "remove took the configuration"; return 1; }
	[ ! -e /lib/systemd/system/$U ] || { echo "unit left"; return 1; }
	[ ! -e /run/virtio-forwarder ] || { echo "/run/virtio-forwarder left"; return 1; }
	expect "LoadState" "$(prop $U LoadState)" not-found
}

t_purge_leaves_nothing() {
	apt-get purge -y -q virtio-forwarder </dev/null >/tmp/vfwd-check/apt.log 2>&1 ||
		{ tail -n 20 /tmp/vfwd-check/apt.log; return 1; }
	local left
	left=$(dpkg-query -W -f='${Status}' virtio-forwarder 2>/dev/null)
	case $left in ""|"unknown ok not-installed") ;; *) echo "dpkg status: $left"; return 1 ;; esac
	snapshot >/tmp/vfwd-check/after
	if ! diff /tmp/vfwd-check/before /tmp/vfwd-check/after >/tmp/vfwd-check/diff; then
		cat /tmp/vfwd-check/diff
		return 1
	fi
	# The state debhelper keeps of enabled units, which the snapshot skips.
	left=$(find /var/lib/systemd/deb-systemd-helper-enabled /var/lib/systemd/deb-systemd-helper-masked \
		/etc/systemd \( -name '*virtio-forwarder*' -o -name '*vio4wd*' \) 2>/dev/null)
	[ -z "$left" ] || { echo "left: $left"; return 1; }
	# No core dump of the watchdog's SIGABRT anywhere.
	left=$(find / -xdev -maxdepth 1 -name 'core*' 2>/dev/null)
	[ -z "$left" ] || { echo "left: $left"; return 1; }
}

# ------------------------------------------------------------------ main
mkdir -p /tmp/vfwd-check
say "BEGIN systemd $(systemctl --version | head -n1 | cut -d' ' -f2), $(nproc) CPUs, PID 1 $(cat /proc/1/comm), up $(cut -d' ' -f1 /proc/uptime) s"
# The boot must be over (no job left) before the checks time anything.
wait_until 120 sh -c '[ "$(systemctl is-system-running)" != starting ]'
snapshot >/tmp/vfwd-check/before
check install t_install
check enabled-not-started t_enabled_not_started
check upgrade-quiet t_upgrade_quiet
configure
check start-when-ready t_start_when_ready
check journal-priorities t_journal_priorities
check stop-clean t_stop_clean
check client-mode-run-dir t_client_mode_run_dir
busy_dropin
check sigkill-restarted t_sigkill_restarted
check watchdog-restarted t_watchdog_restarted
rm -r "${DROPIN%/*}" && systemctl daemon-reload   # the next check restarts
check bad-config-no-loop t_bad_config_no_loop
check balancer-alias t_balancer_alias
check upgrade-running-edited t_upgrade_running_edited
check remove-stops t_remove_stops
check purge-leaves-nothing t_purge_leaves_nothing
if [ $failures -gt 0 ]; then
	# The units' journal, for the failures above.
	journalctl -q -u $U -u $B -o short-monotonic --no-pager | tail -n 60 | sed 's/^/VFWD-JOURNAL /'
fi
say "DONE $failures failed, up $(cut -d' ' -f1 /proc/uptime) s"
