#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Builds (once) the test guest: a Debian kernel, not installed, and an
# initramfs with static busybox, the virtio-net modules, ethtool, iperf3 and an /init
# driven by vfwd.* kernel parameters (see tests/vm/README.md).
#
# Prints on stdout:
#   KERNEL=<path>     uncompressed vmlinux when it could be extracted, else bzImage
#   BZIMAGE=<path>
#   INITRD=<path>
# Everything else goes to stderr. Reruns reuse the cache and rebuild only
# what changed (kernel package, busybox, ethtool, iperf3, this script).
#
# Environment:
#   VFWD_VM_FLAVOUR     "virtio" (default): the guest of a relay, /init is
#                       tests/vm/init; "realvf": the L1 guest of the real-VF
#                       tests (igb/igbvf, vfio-pci, 9p, virtio-console
#                       modules; /init is tests/vm/init-realvf)
#   VFWD_VM_CACHE       cache directory (default /var/cache/virtio-forwarder-tests)
#   VFWD_VM_KERNEL_PKG  kernel package (default: what linux-image-amd64 depends on)
#   VFWD_VM_NO_INSTALL  non-empty: never run apt-get install (fail instead)
set -euo pipefail

CACHE=${VFWD_VM_CACHE:-/var/cache/virtio-forwarder-tests}
SELF=$(readlink -f "$0")
# log, die, and unavailable: exit status 77, a prerequisite cannot be had
# (no package mirror, no package); the tests skip on it, and fail on any
# other error.
# shellcheck source=scripts/lib.sh
. "$(dirname "$SELF")/../../scripts/lib.sh"

MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net"
# The L1 guest of the real-VF tests: the host's root over 9p, an agent on a
# virtio serial port, the emulated 82576 (PF and VF drivers) and vfio-pci.
REALVF_MODULES="virtio_console 9pnet_virtio 9p igb igbvf vfio_iommu_type1 vfio_pci"
FLAVOUR=${VFWD_VM_FLAVOUR:-virtio}
case "$FLAVOUR" in
virtio) INIT=init; GUEST_MODULES=$MODULES ;;
realvf) INIT=init-realvf; GUEST_MODULES="$MODULES $REALVF_MODULES" ;;
*) die "VFWD_VM_FLAVOUR=$FLAVOUR: allowed virtio, realvf" ;;
esac

export DEBIAN_FRONTEND=noninteractive
APT_UPDATED=
apt_update_once() {
	[ -n "$APT_UPDATED" ] && return 0
	log "apt-get update"
	apt-get update -qq >&2 || unavailable "apt-get update failed (no package mirror?)"
	APT_UPDATED=1
}

# Installs Debian packages that are missing ("cmd:package" pairs, or
# "-pkg:package" to test the package itself).
need() {
	local missing=() spec cmd pkg
	for spec in "$@"; do
		cmd=${spec%%:*}
		pkg=${spec#*:}
		if [ "${cmd:0:1}" = "-" ]; then
			dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" ||
				missing+=("$pkg")
		else
			command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
		fi
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ -n "${VFWD_VM_NO_INSTALL:-}" ] && unavailable "missing packages: ${missing[*]}"
	apt_update_once
	log "apt-get install ${missing[*]}"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
		unavailable "apt-get install ${missing[*]} failed"
}

need qemu-system-x86_64:qemu-system-x86 -busybox-static:busybox-static \
	ethtool:ethtool iperf3:iperf3 cpio:cpio xz:xz-utils modinfo:kmod gzip:gzip \
	python3:python3 dpkg-deb:dpkg

BUSYBOX=/bin/busybox
file_is_static() { ! ldd "$1" >/dev/null 2>&1; }
file_is_static "$BUSYBOX" || die "$BUSYBOX is not static (busybox-static expected)"

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9   # concurrent test runs build once

# ---------------------------------------------------------------- kernel
# The file of module $1 under $MODROOT/kernel (set before calling).
# A module's file may spell '_' as '-' (vfio-pci.ko).
modfile() {
	local d=${1//_/-}
	find "$MODROOT/kernel" -type f \( -name "$1.ko" -o -name "$1.ko.xz" -o -name "$1.ko.zst" \
		-o -name "$d.ko" -o -name "$d.ko.xz" -o -name "$d.ko.zst" \) | head -n1
}
PKG=${VFWD_VM_KERNEL_PKG:-}
if [ -z "$PKG" ]; then
	resolve() { apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -n1; }
	PKG=$(resolve)
	if [ -z "$PKG" ]; then
		# No package lists: use what the cache has before asking the mirror.
		PKG=$(ls -1d "$CACHE"/kernel-linux-image-* 2>/dev/null | sort -V | tail -n1 |
			sed 's|.*/kernel-||')
		[ -n "$PKG" ] || { apt_update_once; PKG=$(resolve); }
	fi
	[ -n "$PKG" ] || unavailable "cannot find the kernel package (linux-image-amd64's dependency)"
fi
KDIR=$CACHE/kernel-$PKG
# The modules kept of the package: every flavour's (the cache is shared).
KEEP="$MODULES $REALVF_MODULES"
if [ "$(cat "$KDIR/.done" 2>/dev/null)" != "$KEEP" ]; then
	log "downloading $PKG"
	rm -rf "$KDIR" && mkdir -p "$KDIR/dl"
	chown _apt "$KDIR/dl" 2>/dev/null || true   # apt-get download's sandbox user
	(cd "$KDIR/dl" && apt-get download "$PKG" >&2) || {
		apt_update_once
		(cd "$KDIR/dl" && apt-get download "$PKG" >&2) || unavailable "apt-get download $PKG failed"
	}
	log "extracting $PKG"
	dpkg-deb -x "$KDIR"/dl/*.deb "$KDIR/root"
	rm -rf "$KDIR/dl"
	# Keep the kernel and the modules we use with what they depend on,
	# not the whole 400 MB tree.
	declare -A NEEDED=()
	want_mod() {
		local f dep
		f=$(modfile "$1")
		[ -n "$f" ] && [ -z "${NEEDED[$f]:-}" ] || return 0
		NEEDED[$f]=1
		for dep in $(modinfo -F depends "$f" | tr ',' ' '); do want_mod "$dep"; done
	}
	for MODROOT in "$KDIR"/root/lib/modules/* "$KDIR"/root/usr/lib/modules/*; do
		[ -d "$MODROOT" ] && break
	done
	for m in $KEEP; do want_mod "$m"; done
	find "$KDIR/root" -path '*/kernel/*' -type f -print0 |
		while IFS= read -r -d '' f; do [ -n "${NEEDED[$f]:-}" ] || rm -f "$f"; done
	echo "$KEEP" >"$KDIR/.done"
fi
BZIMAGE=$(ls -1 "$KDIR"/root/boot/vmlinuz-* | head -n1)
[ -f "$BZIMAGE" ] || die "no vmlinuz in $PKG"
KVER=${BZIMAGE##*/vmlinuz-}

# Uncompressed vmlinux: find the compressed payload inside the bzImage (the
# first offset where a known magic decompresses to an ELF image).
VMLINUX=$KDIR/vmlinux
if [ ! -e "$KDIR/.vmlinux-tried" ]; then
	log "extracting vmlinux from $BZIMAGE"
	python3 - "$BZIMAGE" "$VMLINUX.tmp" <<'EOF' >&2 && mv "$VMLINUX.tmp" "$VMLINUX" || rm -f "$VMLINUX.tmp"
import bz2, lzma, subprocess, sys, zlib
data = open(sys.argv[1], "rb").read()

def gunzip(b):
    return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(b)

def unxz(b):
    return lzma.LZMADecompressor(lzma.FORMAT_XZ).decompress(b)

def unlzma(b):
    return lzma.LZMADecompressor(lzma.FORMAT_ALONE).decompress(b)

def unbz2(b):
    return bz2.BZ2Decompressor().decompress(b)

def unzstd(b):
    p = subprocess.run(["zstd", "-dc"], input=b, capture_output=True)
    return p.stdout

methods = [(b"\x1f\x8b\x08", gunzip), (b"\xfd7zXZ\x00", unxz), (b"\x5d\x00\x00\x00", unlzma),
           (b"BZh", unbz2), (b"\x28\xb5\x2f\xfd", unzstd)]
for magic, fn in methods:
    start = 0
    while True:
        i = data.find(magic, start)
        if i < 0:
            break
        start = i + 1
        try:
            out = fn(data[i:])
        except Exception:
            continue
        if out[:4] == b"\x7fELF":
            open(sys.argv[2], "wb").write(out)
            print("vmlinux: %s payload at offset %d, %d bytes" % (fn.__name__, i, len(out)))
            sys.exit(0)
print("vmlinux: no payload found")
sys.exit(1)
EOF
	touch "$KDIR/.vmlinux-tried"
fi
KERNEL=$BZIMAGE
[ -s "$VMLINUX" ] && KERNEL=$VMLINUX

# ------------------------------------------------------------- initramfs
ETHTOOL=$(command -v ethtool)
IPERF3=$(command -v iperf3)
# Contents only (not paths): every checkout of the same kit shares the cache.
KEY=$( { echo "$PKG $FLAVOUR"; cat "$SELF" "$(dirname "$SELF")/$INIT" "$BUSYBOX" "$ETHTOOL" \
	"$IPERF3"; } |
	sha256sum | cut -c1-16)
INITRD=$CACHE/initrd-$FLAVOUR-$KVER-$KEY.cpio.gz
if [ ! -s "$INITRD" ]; then
	log "building $INITRD"
	W=$(mktemp -d "$CACHE/.build.XXXXXX")
	trap 'rm -rf "$W"' EXIT
	R=$W/root
	mkdir -p "$R"/{bin,sbin,usr/bin,dev,proc,sys,tmp,run,etc,lib/modules}
	cp "$BUSYBOX" "$R/bin/busybox"

	# Modules, in dependency order (modinfo on the package's files).
	MODROOT=$KDIR/root/lib/modules/$KVER
	[ -d "$MODROOT" ] || MODROOT=$KDIR/root/usr/lib/modules/$KVER
	: >"$R/lib/modules/order"
	declare -A DONE=()
	add_mod() {
		local m=$1 f dep
		[ -n "${DONE[$m]:-}" ] && return 0
		DONE[$m]=1
		f=$(modfile "$m")
		if [ -z "$f" ]; then
			grep -q -e "/$m.ko" -e "/${m//_/-}.ko" "$MODROOT/modules.builtin" 2>/dev/null && return 0
			die "module $m not in $PKG"
		fi
		for dep in $(modinfo -F depends "$f" | tr ',' ' '); do
			add_mod "${dep//-/_}"
		done
		case "$f" in   # busybox insmod takes plain ELF objects
		*.xz) xz -dc "$f" >"$R/lib/modules/$m.ko" ;;
		*.zst) zstd -dc "$f" >"$R/lib/modules/$m.ko" ;;
		*) cp "$f" "$R/lib/modules/$m.ko" ;;
		esac
		echo "$m" >>"$R/lib/modules/order"
	}
	for m in $GUEST_MODULES; do add_mod "$m"; done
	log "modules: $(tr '\n' ' ' <"$R/lib/modules/order")"

	# ethtool and iperf3 with their shared libraries (found with ldd).
	add_prog() { # program destination
		cp "$1" "$R$2"
		file_is_static "$1" && return 0
		local lib
		for lib in $(ldd "$1" | grep -o '/[^ ]*'); do
			mkdir -p "$R$(dirname "$lib")"
			cp -L "$lib" "$R$lib"
		done
	}
	add_prog "$ETHTOOL" /sbin/ethtool
	add_prog "$IPERF3" /usr/bin/iperf3

	cp "$(dirname "$SELF")/$INIT" "$R/init"
	chmod 755 "$R/init"
	(cd "$R" && find . -print0 | sort -z | cpio --null -o -H newc --quiet -R 0:0) |
		gzip -6 >"$W/initrd.gz"
	mv "$W/initrd.gz" "$INITRD"
	# Older initramfs files of this kernel are stale; those of the last
	# hour may belong to another checkout running its tests right now.
	find "$CACHE" -maxdepth 1 -name "initrd-$FLAVOUR-$KVER-*.cpio.gz" ! -path "$INITRD" \
		-mmin +60 -delete
fi

echo "KERNEL=$KERNEL"
echo "BZIMAGE=$BZIMAGE"
echo "INITRD=$INITRD"
