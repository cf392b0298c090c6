#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Builds (once) a Debian system whose init is systemd, for QEMU: a root
# filesystem made by debootstrap, turned into an ext4 image without
# mounting anything (mkfs.ext4 -d), and its own kernel and initramfs.
#
#   build-rootfs.sh [PACKAGE...]
#
# PACKAGEs are installed besides systemd and the kernel: the test passes
# the runtime dependencies of the virtio-forwarder .deb, so that the .deb
# installs in the guest with no network.  Prints on stdout:
#   IMAGE=<ext4 image of />   (use it read-only: boot a qcow2 overlay)
#   KERNEL=<vmlinuz>
#   INITRD=<initrd.img>
# Everything else goes to stderr.  The result is cached under
# ${VFWD_PKG_CACHE:-/var/cache/virtio-forwarder-pkgtest}/rootfs-<key>, the
# key a hash of this script, the suite, the mirror and the packages; a
# rerun with the same inputs takes well under a second.  Exits 77 when a
# prerequisite cannot be had (no mirror, debootstrap cannot be installed).
#
# At boot the system runs vfwd-pkgtest.service: it mounts the filesystem
# labelled VFWDTEST (the test's data disk) on /mnt/vfwd, runs its run.sh
# with the output on the serial console, and powers off.
set -euo pipefail

CACHE=${VFWD_PKG_CACHE:-/var/cache/virtio-forwarder-pkgtest}
SELF=$(readlink -f "$0")
# log, die, unavailable ("build-rootfs: ..." on stderr).
# shellcheck source=scripts/lib.sh
. "$(dirname "$SELF")/../../scripts/lib.sh"

export DEBIAN_FRONTEND=noninteractive
for spec in debootstrap:debootstrap mkfs.ext4:e2fsprogs; do
	cmd=${spec%%:*}
	command -v "$cmd" >/dev/null 2>&1 && continue
	log "apt-get install ${spec#*:}"
	{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "${spec#*:}"; } >&2 ||
		unavailable "cannot install ${spec#*:}"
done

# The host's own suite and mirror (its apt sources), so that the guest
# gets the same Debian release the .deb was built against.
. /etc/os-release
SUITE=${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}
mirror() {
	local f
	# deb822 sources: the URIs of a stanza whose Suites has $SUITE.
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v suite="$SUITE" '
			function flush() { if (ok && uri != "") print uri; ok = 0; uri = "" }
			/^$/ { flush() }
			/^URIs:/ { uri = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) ok = 1 }
			END { flush() }' "$f"
	done
	# One-line sources: "deb [options] URI SUITE main...".
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -n "s/^deb \(\[[^]]*\] \)\?\([^ ]*\) $SUITE .*main.*/\2/p" "$f"
	done
}
MIRROR=${VFWD_PKG_MIRROR:-$(mirror | sed -n 1p)}
[ -n "$MIRROR" ] || unavailable "no Debian mirror for $SUITE in the apt sources (set VFWD_PKG_MIRROR)"
# apt's proxy, if it has one, for debootstrap's downloads.
proxy=$(apt-config dump 2>/dev/null | sed -n 's/^Acquire::http::Proxy "\(.*\)";$/\1/p' | head -n1)
[ -n "$proxy" ] && [ -z "${http_proxy:-}" ] && export http_proxy=$proxy

# systemd as PID 1, the kernel (its initramfs has the virtio disk and
# ext4 modules), and what the checks use: e2fsprogs to find the data disk
# by label is in util-linux (mount -L), procps for pgrep.
PACKAGES=$(printf '%s\n' systemd systemd-sysv linux-image-amd64 procps "$@" | sort -u)
KEY=$( { cat "$SELF"; echo "$SUITE $MIRROR"; echo "$PACKAGES"; } | sha256sum | cut -c1-16)
OUT=$CACHE/rootfs-$KEY

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9   # concurrent runs build once

if [ ! -e "$OUT/.done" ]; then
	W=$(mktemp -d "$CACHE/.build.XXXXXX")
	cleanup() {
		# debootstrap's mounts, if it stopped half-way.
		local m
		for m in $(awk -v w="$W/" 'index($2, w) == 1 { print $2 }' /proc/mounts | sort -r); do
			umount -l "$m" 2>/dev/null || true
		done
		rm -rf "$W"
	}
	trap cleanup EXIT
	R=$W/root
	log "debootstrap $SUITE from $MIRROR (a few minutes): $(echo $PACKAGES)"
	debootstrap --variant=minbase --include="$(echo $PACKAGES | tr ' ' ,)" \
		"$SUITE" "$R" "$MIRROR" >"$W/debootstrap.log" 2>&1 || {
		tail -n 20 "$W/debootstrap.log" >&2
		grep -q "Failed getting release file\|Couldn't download\|Temporary failure\|Could not resolve" \
			"$W/debootstrap.log" && unavailable "debootstrap could not reach $MIRROR"
		die "debootstrap failed (log above)"
	}

	# The test unit: runs the data disk's run.sh, output on the console.
	cat >"$R/etc/systemd/system/vfwd-pkgtest.service" <<'EOF'
[Unit]
Description=virtio-forwarder package test (the data disk's run.sh)
After=multi-user.target

[Service]
Type=simple
ExecStartPre=/bin/mkdir -p /mnt/vfwd
ExecStartPre=/bin/mount -o ro -L VFWDTEST /mnt/vfwd
ExecStart=/bin/bash /mnt/vfwd/run.sh
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
TTYReset=no
ExecStopPost=/bin/systemctl --no-block poweroff

[Install]
WantedBy=multi-user.target
EOF
	ln -s /etc/systemd/system/vfwd-pkgtest.service \
		"$R/etc/systemd/system/multi-user.target.wants/vfwd-pkgtest.service"
	# Nothing else on the console, and no timers that would want a
	# network the guest does not have.
	for unit in serial-getty@ttyS0.service getty@tty1.service apt-daily.timer \
		apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer; do
		ln -sf /dev/null "$R/etc/systemd/system/$unit"
	done
	echo vfwd-guest >"$R/etc/hostname"
	echo "/dev/vda / ext4 defaults 0 1" >"$R/etc/fstab"
	# Package lists are not needed offline; the kernel and initramfs are
	# taken out for -kernel/-initrd.
	rm -rf "$R"/var/cache/apt/archives/*.deb "$R"/var/lib/apt/lists/*_Packages
	cp -L "$R/vmlinuz" "$W/vmlinuz"
	cp -L "$R/initrd.img" "$W/initrd.img"
	# The image: 2 GiB, sparse; the guest writes to a qcow2 overlay.
	size_mb=$(( $(du -sm "$R" | cut -f1) + 1024 ))
	log "mkfs.ext4 -d ($size_mb MiB, sparse)"
	mkfs.ext4 -q -F -L vfwdroot -d "$R" "$W/root.img" "${size_mb}M" >&2 ||
		die "mkfs.ext4 -d failed"
	rm -rf "$R"
	rm -rf "$OUT"
	mv "$W" "$OUT"
	trap - EXIT
	touch "$OUT/.done"
	# Other keys are older inputs; those of the last hour may belong to
	# another checkout's run.
	find "$CACHE" -maxdepth 1 -name 'rootfs-*' ! -path "$OUT" -mmin +60 \
		-exec rm -rf {} + 2>/dev/null || true
fi

echo "IMAGE=$OUT/root.img"
echo "KERNEL=$OUT/vmlinuz"
echo "INITRD=$OUT/initrd.img"
