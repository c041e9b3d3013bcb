#!/usr/bin/env bash
# Builds the xray test guest: a qcow2 disk that boots by UEFI from the disk alone.
#
# Usage: build-guest.sh [--arch x86_64|aarch64] [--cache-dir DIR]
#
# The disk (64 MiB virtual size, GPT) has two partitions:
#   1. an EFI system partition (FAT16) whose \EFI\BOOT\BOOTX64.EFI (BOOTAA64.EFI
#      on aarch64) is a unified kernel image: systemd-stub + Debian cloud kernel +
#      busybox initramfs + command line
#   2. "scratch", an empty Linux data partition over the rest of the disk
# The guest prints GUEST-READY on its first serial port: ttyS0 on x86_64, ttyAMA0
# on aarch64. Then it runs a root shell there with the prompt "guest# " and
# terminal echo off. The ACPI power button powers it off.
#
# Before GUEST-READY the guest looks for a cloud-init NoCloud seed: an ISO 9660
# file system labelled cidata on a CD (virtio-scsi and scsi-cd). It prints one
# line "SEED-FILE NAME SIZE SHA256" per regular file in the seed's root, sorted
# by name, then SEED-DONE. It prints SEED-NONE without a seed, and
# "SEED-ERROR MESSAGE" when the seed cannot be mounted. It takes the host name
# from local-hostname in meta-data and prints "SEED-HOSTNAME NAME". When the
# first user under "users:" in user-data has ssh_authorized_keys, it creates
# that user with /bin/sh as shell, gives the first network interface QEMU user
# networking's address 10.0.2.15/24 with gateway 10.0.2.2, starts dropbear on
# port 22 and prints "SSHD-STARTED 22". Dropbear generates its host keys at the
# first connection. The user's password is locked, and the guest has neither
# sudo nor bash, so the sudo and shell entries of user-data have no effect.
#
# Guest content comes from Debian packages that are downloaded with
# apt-get download and unpacked with dpkg-deb. Nothing is installed or mounted,
# so the script runs without root. The packages are those of the guest's
# architecture (amd64 or arm64), so apt needs that architecture's package
# lists. On an amd64 host, root gets the arm64 lists with
#   apt-get -o APT::Architectures::=amd64 -o APT::Architectures::=arm64 update
# which leaves dpkg's configuration alone, but a later plain apt-get update
# deletes those lists again. dpkg --add-architecture arm64 && apt-get update
# keeps them. The script reads the lists of the guest's architecture by passing
# -o APT::Architecture=amd64 or arm64 to apt-cache and apt-get.
#
# Output: the absolute path of the image, as the last line of stdout. Progress
# and errors go to stderr. Two builds with the same packages and the same host
# tools (mtools, dosfstools, binutils, qemu-img) give identical bytes.
# Cache: DIR/<key>/guest-ARCH.qcow2, where <key> is a sha256 of this script's
# bytes, the architecture and the names and versions of the packages in the
# image. A run whose key exists returns the cached path without building.
# Downloaded packages are kept in DIR/debs.
# Default DIR: ${XDG_CACHE_HOME:-$HOME/.cache}/xray/guest
#
# Exit status: 0 success, 1 build failed, 2 invalid arguments or unsupported
# architecture, 3 a required tool is missing.

set -euo pipefail
umask 022
export LC_ALL=C
# mkfs.fat and sfdisk are in /usr/sbin, which is often not on a normal user's PATH.
export PATH="$PATH:/usr/sbin:/sbin"

readonly PROGRAM="build-guest.sh"
readonly DISK_MIB=64
readonly BUSYBOX_PACKAGE="busybox-static"
readonly STUB_PACKAGE="systemd-boot-efi"
# The SSH server and the packages of the shared libraries that it and its
# libraries link (Depends of dropbear-bin 2022.83 and of libtomcrypt1 in Debian
# 12). The build fails, naming the library, when one is missing.
readonly SSH_PACKAGES="dropbear-bin libc6 libcrypt1 libtomcrypt1 libtommath1 libgmp10 zlib1g"

# Every timestamp written into the image (cpio entries, FAT entries) is this
# instant, 2024-01-01T00:00:00Z, so the time of the build does not change the image.
export SOURCE_DATE_EPOCH=1704067200

# Fixed identifiers, so that two builds give the same bytes.
readonly DISK_GUID="2ECEECF1-2732-48A4-9C3B-4B5D2E2CD86B"
readonly ESP_PARTITION_GUID="8D9CE00A-885C-4933-A6C5-44C68F332718"
readonly SCRATCH_PARTITION_GUID="2BA4CA31-EDCF-4144-B58C-FE955FD4E060"
readonly ESP_VOLUME_ID="58524159"
readonly ESP_TYPE_GUID="C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
readonly LINUX_DATA_TYPE_GUID="0FC63DAF-8483-4772-8E79-3D69D8477DE4"

# Kernel modules for the initramfs, in load order (each line: name, then
# "required" or "optional"). busybox insmod does not resolve dependencies, so a
# module comes after the modules it needs. A required module that is built into
# the kernel is skipped. Optional ones are taken only where the kernel ships them
# as modules. The virtio_pci_*_dev helpers are separate modules only in newer
# kernels (6.1 has both), and virtio_net with its failover helpers gives a virtio
# NIC a driver.
readonly MODULES="
button required
evdev required
virtio_ring required
virtio required
virtio_pci_legacy_dev optional
virtio_pci_modern_dev optional
virtio_pci required
virtio_blk required
failover optional
net_failover optional
virtio_net optional
"

# Kernel modules that read the seed CD, in the same format and load order. The
# guest loads them only when it has a virtio SCSI controller, so a boot without
# one loads none of them. The SCSI scan runs during the insmod of virtio_scsi,
# because the kernel command line sets scsi_mod.scan=sync. isofs reads Joliet
# names without an nls module, because Debian's CONFIG_NLS_DEFAULT is utf8.
# scsi_common is a separate module only in newer kernels (6.1 has it).
readonly SEED_MODULES="
scsi_common optional
scsi_mod required
virtio_scsi required
cdrom required
sr_mod required
isofs required
"

log() {
    printf '%s: %s\n' "$PROGRAM" "$*" >&2
}

die() {
    log "error: $*"
    exit 1
}

usage() {
    cat >&2 <<EOF
Usage: $PROGRAM [--arch x86_64|aarch64] [--cache-dir DIR]

Builds the xray test guest image (UEFI, qcow2) from Debian packages and prints
its absolute path as the last line of stdout.

  --arch ARCH       guest architecture: x86_64 (also amd64) or aarch64 (also
                    arm64); default x86_64
  --cache-dir DIR   folder for built images and downloaded packages
                    (default \${XDG_CACHE_HOME:-\$HOME/.cache}/xray/guest)
  -h, --help        print this help
EOF
}

arch="x86_64"
cache_dir=""

parse_args() {
    while [ "$#" -gt 0 ]; do
        case "$1" in
            --arch)
                [ "$#" -ge 2 ] || { log "error: --arch needs a value"; usage; exit 2; }
                arch="$2"
                shift 2
                ;;
            --arch=*)
                arch="${1#--arch=}"
                shift
                ;;
            --cache-dir)
                [ "$#" -ge 2 ] || { log "error: --cache-dir needs a value"; usage; exit 2; }
                cache_dir="$2"
                shift 2
                ;;
            --cache-dir=*)
                cache_dir="${1#--cache-dir=}"
                shift
                ;;
            -h | --help)
                usage
                exit 0
                ;;
            *)
                log "error: unknown argument: $1"
                usage
                exit 2
                ;;
        esac
    done

    case "$arch" in
        x86_64 | amd64)
            arch="x86_64"
            ;;
        aarch64 | arm64)
            arch="aarch64"
            ;;
        *)
            log "error: invalid --arch value: $arch (expected x86_64 or aarch64)"
            exit 2
            ;;
    esac
    set_arch_parameters

    if [ -z "$cache_dir" ]; then
        if [ -n "${XDG_CACHE_HOME:-}" ]; then
            cache_dir="$XDG_CACHE_HOME/xray/guest"
        elif [ -n "${HOME:-}" ]; then
            cache_dir="$HOME/.cache/xray/guest"
        else
            log "error: neither XDG_CACHE_HOME nor HOME is set. Pass --cache-dir DIR"
            exit 2
        fi
    fi
}

# Guest parameters that depend on the architecture, set by set_arch_parameters.
deb_arch=""
kernel_cmdline=""
meta_kernel_package=""
stub_path=""
boot_file=""
serial_tty=""
binutils_prefix=""
binutils_package=""
# Debian's multiarch tuple, the library folder name under /lib and /usr/lib.
multiarch=""

set_arch_parameters() {
    case "$arch" in
        x86_64)
            deb_arch="amd64"
            stub_path="./usr/lib/systemd/boot/efi/linuxx64.efi.stub"
            boot_file="BOOTX64.EFI"
            serial_tty="ttyS"
            binutils_prefix=""
            binutils_package="binutils"
            multiarch="x86_64-linux-gnu"
            ;;
        aarch64)
            deb_arch="arm64"
            stub_path="./usr/lib/systemd/boot/efi/linuxaa64.efi.stub"
            boot_file="BOOTAA64.EFI"
            # The first PL011 UART of QEMU's virt machine.
            serial_tty="ttyAMA"
            # binutils for amd64 (2.40 in Debian 12) rejects aarch64 PE files with
            # "file format not recognized", so the cross binutils edit the stub.
            # On an arm64 host the same package is the native binutils.
            binutils_prefix="aarch64-linux-gnu-"
            binutils_package="binutils-aarch64-linux-gnu"
            multiarch="aarch64-linux-gnu"
            ;;
    esac
    # /init passes each module's NAME.PARAMETER=VALUE words to its insmod, as modprobe does.
    kernel_cmdline="console=${serial_tty}0,115200 panic=-1 loglevel=4 scsi_mod.scan=sync"
    meta_kernel_package="linux-image-cloud-$deb_arch"
}

# Reports every missing tool with the Debian package that provides it, then exits 3.
check_tools() {
    local missing=0
    local entry tool package
    for entry in \
        apt-get:apt apt-cache:apt dpkg-deb:dpkg tar:tar \
        mkfs.fat:dosfstools mmd:mtools mcopy:mtools sfdisk:fdisk \
        cpio:cpio gzip:gzip "${binutils_prefix}objcopy:$binutils_package" \
        "${binutils_prefix}objdump:$binutils_package" \
        "${binutils_prefix}readelf:$binutils_package" \
        qemu-img:qemu-utils sha256sum:coreutils truncate:coreutils \
        od:coreutils dd:coreutils mktemp:coreutils find:findutils; do
        tool="${entry%%:*}"
        package="${entry#*:}"
        if ! command -v "$tool" >/dev/null 2>&1; then
            log "missing tool: $tool (Debian package: $package)"
            missing=1
        fi
    done
    if [ "$missing" -ne 0 ]; then
        log "install the packages above, or import a cloud image instead: xray base import FILE --name NAME"
        exit 3
    fi
}

# Names and versions of the packages that go into the image, set by resolve_packages.
kernel_package=""
kernel_version=""
busybox_version=""
stub_version=""
# NAME=VERSION of each of $SSH_PACKAGES, in that order. An indexed array and
# not an associative one, which macOS's bash 3.2 lacks.
ssh_specs=()

# Resolves the packages to their candidate versions with one apt-cache call,
# because each apt call rebuilds the package cache in memory where apt keeps no
# pkgcache.bin (about 0.35 s per call, measured in a Debian 12 container). The
# kernel meta package depends on one versioned image package, such as
# "linux-image-6.1.0-57-cloud-amd64 (= 6.1.192-3)".
resolve_packages() {
    local output line field value package="" version="" depends=""
    local ssh_packages found=() spec
    read -r -a ssh_packages <<<"$SSH_PACKAGES"
    if ! output="$(apt-cache -o APT::Architecture="$deb_arch" show --no-all-versions \
        "$meta_kernel_package" "$BUSYBOX_PACKAGE" "$STUB_PACKAGE" "${ssh_packages[@]}" 2>&1)"; then
        log "$output"
        if ! has_package_lists; then
            die "apt has no $deb_arch package lists, which the $arch guest is built from. Run as root: $(update_command) and retry"
        fi
        die "apt-cache found no $deb_arch candidate for one of $meta_kernel_package $BUSYBOX_PACKAGE $STUB_PACKAGE $SSH_PACKAGES. Run as root: $(update_command) and retry"
    fi

    # A blank line ends each record, and the appended newline ends the last one.
    while IFS= read -r line; do
        if [ -z "$line" ]; then
            case "$package" in
                "$meta_kernel_package") parse_kernel_dependency "$depends" ;;
                "$BUSYBOX_PACKAGE") busybox_version="$version" ;;
                "$STUB_PACKAGE") stub_version="$version" ;;
                *) [ -z "$package" ] || found+=("$package=$version") ;;
            esac
            package=""
            version=""
            depends=""
            continue
        fi
        field="${line%%:*}"
        value="${line#*: }"
        case "$field" in
            Package) package="$value" ;;
            Version) version="$value" ;;
            Depends) depends="$value" ;;
        esac
    done <<<"$output"$'\n'

    [ -n "$kernel_package" ] || die "no linux-image-* dependency found in $meta_kernel_package"
    [ -n "$busybox_version" ] || die "no candidate version for $BUSYBOX_PACKAGE"
    [ -n "$stub_version" ] || die "no candidate version for $STUB_PACKAGE"
    ssh_specs=()
    for package in "${ssh_packages[@]}"; do
        for spec in ${found[@]+"${found[@]}"}; do
            case "$spec" in
                "$package="?*)
                    ssh_specs+=("$spec")
                    continue 2
                    ;;
            esac
        done
        die "no $deb_arch candidate version for $package. Run as root: $(update_command) and retry"
    done

    if [ -z "$kernel_version" ]; then
        # The meta package does not pin the version, so ask for the image package's candidate.
        kernel_version="$(apt-cache -o APT::Architecture="$deb_arch" show --no-all-versions "$kernel_package" |
            sed -n 's/^Version: //p' | head -n 1)"
        [ -n "$kernel_version" ] || die "no candidate version for $kernel_package"
    fi
}

# Succeeds when apt has a Packages list for $deb_arch. apt-get indextargets lists only
# index files that exist.
has_package_lists() {
    local files
    files="$(apt-get -o APT::Architecture="$deb_arch" indextargets --format '$(FILENAME)' \
        'Identifier: Packages' "Architecture: $deb_arch" 2>/dev/null)" || return 1
    [ -n "$files" ]
}

# Prints the apt-get update command that fetches the package lists of $deb_arch. A
# plain update fetches only the architectures dpkg is configured for, so the command
# for another architecture names both, without changing the dpkg configuration.
update_command() {
    local native
    native="$(dpkg --print-architecture 2>/dev/null)" || native=""
    if [ -z "$native" ] || [ "$native" = "$deb_arch" ]; then
        printf 'apt-get update\n'
    else
        printf 'apt-get -o APT::Architectures::=%s -o APT::Architectures::=%s update (or: dpkg --add-architecture %s && apt-get update)\n' \
            "$native" "$deb_arch" "$deb_arch"
    fi
}

# Takes the first dependency of the kernel meta package, for example
# "linux-image-6.1.0-57-cloud-amd64 (= 6.1.192-3)", and sets kernel_package and kernel_version.
parse_kernel_dependency() {
    local first="${1%%,*}"
    first="${first%%|*}"
    first="${first#"${first%%[! ]*}"}"
    kernel_package="${first%% *}"
    case "$first" in
        *"(= "*")"*)
            kernel_version="${first#*(= }"
            kernel_version="${kernel_version%%)*}"
            ;;
    esac
    case "$kernel_package" in
        linux-image-*) ;;
        *) kernel_package="" ;;
    esac
}

# Prints the cache key: the sha256 (first 32 hex digits) of this script's bytes
# followed by the package list.
compute_cache_key() {
    local script="${BASH_SOURCE[0]}"
    [ -f "$script" ] && [ -r "$script" ] || die "cannot read the script file '$script'. Run the script from a file, not from standard input"
    local digest
    digest="$({
        cat -- "$script"
        printf 'arch %s\n' "$arch"
        package_list
    } | sha256sum)"
    printf '%s\n' "${digest:0:32}"
}

package_list() {
    printf '%s=%s\n' \
        "$kernel_package" "$kernel_version" \
        "$BUSYBOX_PACKAGE" "$busybox_version" \
        "$STUB_PACKAGE" "$stub_version"
    printf '%s\n' "${ssh_specs[@]}"
}

package_summary() {
    package_list | paste -s -d ' ' -
}

work=""

cleanup() {
    if [ -n "$work" ] && [ -d "$work" ]; then
        rm -rf -- "$work"
    fi
}

# Places the .deb files in $cache_dir/debs and sets kernel_deb, busybox_deb,
# stub_deb and ssh_debs. A cached file is used only when its sha256 matches the archive's.
kernel_deb=""
busybox_deb=""
stub_deb=""
ssh_debs=()

fetch_debs() {
    local deb_dir="$cache_dir/debs"
    local download_dir="$work/download"
    mkdir -p -- "$deb_dir" "$download_dir"

    local specs=() spec
    while IFS= read -r spec; do
        specs+=("$spec")
    done < <(package_list)
    local uris
    uris="$(apt-get -o APT::Architecture="$deb_arch" download --print-uris "${specs[@]}")" ||
        die "apt-get download --print-uris failed for $(package_summary)"

    local uri file size hash package
    local wanted=() wanted_specs=()
    while read -r uri file size hash; do
        [ -n "$file" ] || continue
        case "$hash" in
            SHA256:*) hash="${hash#SHA256:}" ;;
            *) die "apt-get gave no SHA256 for $file (got '$hash')" ;;
        esac
        if [ -f "$deb_dir/$file" ] && [ "$(sha256_of "$deb_dir/$file")" = "$hash" ]; then
            log "using cached $file"
        else
            wanted+=("$file $hash")
            # The file name starts with the package name and an underscore.
            for spec in "${specs[@]}"; do
                case "$file" in
                    "${spec%%=*}_"*) wanted_specs+=("$spec") ;;
                esac
            done
        fi
        case "$file" in
            "${kernel_package}_"*) kernel_deb="$deb_dir/$file" ;;
            "${BUSYBOX_PACKAGE}_"*) busybox_deb="$deb_dir/$file" ;;
            "${STUB_PACKAGE}_"*) stub_deb="$deb_dir/$file" ;;
            *)
                for package in $SSH_PACKAGES; do
                    case "$file" in
                        "${package}_"*) ssh_debs+=("$deb_dir/$file") ;;
                    esac
                done
                ;;
        esac
    done <<<"$uris"

    [ -n "$kernel_deb" ] && [ -n "$busybox_deb" ] && [ -n "$stub_deb" ] &&
        [ "${#ssh_debs[@]}" -eq "$(wc -w <<<"$SSH_PACKAGES")" ] ||
        die "apt-get download --print-uris did not list all packages: $uris"

    if [ "${#wanted[@]}" -gt 0 ]; then
        log "downloading ${wanted_specs[*]}"
        # apt-get download names each file as --print-uris does.
        (cd -- "$download_dir" && apt-get -o APT::Architecture="$deb_arch" download \
            "${wanted_specs[@]}" >&2) ||
            die "apt-get download failed for ${wanted_specs[*]}"
        local item
        for item in "${wanted[@]}"; do
            file="${item% *}"
            hash="${item#* }"
            [ -f "$download_dir/$file" ] || die "apt-get download did not write $file"
            [ "$(sha256_of "$download_dir/$file")" = "$hash" ] ||
                die "sha256 of the downloaded $file does not match the archive's $hash"
            # A rename within one file system is atomic, so a concurrent reader sees
            # either the old complete file or the new one.
            mv -f -- "$download_dir/$file" "$deb_dir/$file"
        done
    fi
}

sha256_of() {
    local line
    line="$(sha256sum -- "$1")"
    printf '%s\n' "${line%% *}"
}

# Unpacks busybox, the UEFI stub, the kernel with the selected modules, and the
# SSH packages into $work/extract.
extract_packages() {
    local extract="$work/extract"
    mkdir -p -- "$extract/busybox" "$extract/stub" "$extract/kernel" "$extract/ssh"

    dpkg-deb -x "$busybox_deb" "$extract/busybox"
    dpkg-deb --fsys-tarfile "$stub_deb" | tar -x -f - -C "$extract/stub" "$stub_path"
    local deb
    for deb in "${ssh_debs[@]}"; do
        dpkg-deb -x "$deb" "$extract/ssh"
    done

    # The package unpacks to about 100 MB (Installed-Size of the 6.1 cloud kernel),
    # so take only vmlinuz, modules.builtin and the listed modules, by exact member name.
    local listing
    listing="$(dpkg-deb --fsys-tarfile "$kernel_deb" | tar -t -f -)"
    local vmlinuz builtin
    vmlinuz="$(grep -E '^\./boot/vmlinuz-' <<<"$listing" | head -n 1)" ||
        die "no boot/vmlinuz-* found in $kernel_deb"
    builtin="$(grep -E '^\./lib/modules/[^/]+/modules\.builtin$' <<<"$listing" | head -n 1)" || builtin=""

    local members=("$vmlinuz")
    [ -z "$builtin" ] || members+=("$builtin")

    # Each entry of selected_modules is GROUP:PATH or GROUP:builtin:NAME, where GROUP is
    # boot for $MODULES and seed for $SEED_MODULES.
    local name need path group list
    selected_modules=()
    for group in boot seed; do
        list="$MODULES"
        [ "$group" = boot ] || list="$SEED_MODULES"
        while read -r name need; do
            [ -n "$name" ] || continue
            path="$(grep -E "^\./lib/modules/[^/]+/kernel/.*/${name}\.ko\$" <<<"$listing" | head -n 1)" || path=""
            if [ -n "$path" ]; then
                members+=("$path")
                selected_modules+=("$group:$path")
            elif [ "$need" = "optional" ]; then
                log "module $name is not in $kernel_package; skipped"
            else
                # Whether it is built in is known only after modules.builtin is extracted.
                selected_modules+=("$group:builtin:$name")
            fi
        done <<<"$list"
    done

    dpkg-deb --fsys-tarfile "$kernel_deb" | tar -x -f - -C "$extract/kernel" "${members[@]}"

    kernel_image="$extract/kernel/${vmlinuz#./}"
    kernel_release="${vmlinuz#./boot/vmlinuz-}"

    # systemd-stub starts the .linux section as an EFI program, which an arm64 Image
    # is but its gzip-compressed form is not. Debian 12 ships the arm64 cloud kernel
    # uncompressed, and this covers kernels that ship Image.gz as vmlinuz.
    if [ "$(od -An -t x1 -N 2 -- "$kernel_image" | tr -d ' \n')" = "1f8b" ]; then
        log "unpacking the gzip-compressed ${vmlinuz#./}"
        gzip -d -c -- "$kernel_image" >"$kernel_image.unpacked"
        kernel_image="$kernel_image.unpacked"
    fi

    local module
    for module in "${selected_modules[@]}"; do
        module="${module#*:}"
        case "$module" in
            builtin:*)
                name="${module#builtin:}"
                if [ -n "$builtin" ] && grep -qE "/${name}\.ko\$" "$extract/kernel/${builtin#./}"; then
                    log "module $name is built into the kernel"
                else
                    die "module $name not found in $kernel_package, neither as a .ko file nor in modules.builtin"
                fi
                ;;
        esac
    done
}

selected_modules=()
kernel_image=""
kernel_release=""

# Writes the initramfs tree: busybox, /init, the init configuration and the modules.
make_initramfs_tree() {
    local root="$1"
    mkdir -p -- "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,run,tmp,root,var/log} \
        "$root"/{lib/modules/seed,lib/nocloud,home,etc/acpi/PWRF,etc/dropbear}
    chmod 1777 "$root/tmp"
    chmod 0700 "$root/root"
    ln -s ../run "$root/var/run"
    cp -- "$work/extract/busybox/bin/busybox" "$root/bin/busybox"
    chmod 0755 "$root/bin/busybox"

    # The numeric prefix keeps the load order when load-modules loads FOLDER/*.ko.
    local index=10 module group folder
    for module in "${selected_modules[@]}"; do
        group="${module%%:*}"
        module="${module#*:}"
        case "$module" in
            builtin:*) continue ;;
        esac
        folder="$root/lib/modules"
        [ "$group" = boot ] || folder="$root/lib/modules/seed"
        cp -- "$work/extract/kernel/${module#./}" "$folder/$index-$(basename -- "$module")"
        index=$((index + 1))
    done

    cat >"$root/sbin/load-modules" <<'EOF'
#!/bin/sh
# Usage: load-modules FOLDER
# Loads FOLDER/NN-NAME.ko in name order, which is their dependency order. As
# modprobe does, it passes the kernel command line's NAME.PARAMETER=VALUE words
# to module NAME. Each fork costs milliseconds under TCG, so it uses shell
# builtins where it can.
read -r cmdline </proc/cmdline
for module in "$1"/*.ko; do
    [ -e "$module" ] || continue
    name="${module##*/}"
    name="${name#*-}"
    name="${name%.ko}"
    parameters=""
    for word in $cmdline; do
        case "$word" in
            "$name".*=*) parameters="$parameters ${word#*.}" ;;
        esac
    done
    # Unquoted, so that each parameter is one argument.
    insmod "$module" $parameters || echo "init: insmod $module failed"
done
EOF

    # The kernel starts /init with no open file descriptors, because the
    # initramfs contains no /dev/console (making device nodes needs root).
    cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
# --install needs /proc/self/exe to name the link target.
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=755 tmpfs /run
# Keep kernel messages off the console, which the host reads as command output.
dmesg -n 1
load-modules /lib/modules
hostname guest
ip link set lo up
nocloud-seed
exec /sbin/init
EOF

    cat >"$root/etc/inittab" <<EOF
::respawn:/sbin/acpid -d
${serial_tty}0::respawn:-/bin/sh
::shutdown:/bin/sync
EOF

    # busybox acpid maps the power button (KEY_POWER) to this path under /etc/acpi.
    # acpid runs a plain executable file there directly, but a directory through run-parts.
    cat >"$root/etc/acpi/PWRF/00000080" <<'EOF'
#!/bin/sh
echo "GUEST-POWERBUTTON: powering off"
sync
poweroff
EOF

    # @SERIAL_TTY@ is replaced below by the serial device name without its number.
    cat >"$root/etc/profile" <<'EOF'
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
export HOME=/root
PS1='guest# '
cd "$HOME"
case "$(tty)" in
    /dev/@SERIAL_TTY@*)
        # With echo off the host reads only command output, and ash skips line editing.
        stty -echo
        # Wait (at most 2 s) until acpid has opened the input devices, so that a
        # power button press right after GUEST-READY is not lost.
        acpid_ready() {
            for pid in $(pidof acpid); do
                ls -l "/proc/$pid/fd" 2>/dev/null | grep -q /dev/input/event && return 0
            done
            return 1
        }
        tries=0
        until acpid_ready || [ "$tries" -ge 200 ]; do
            usleep 10000
            tries=$((tries + 1))
        done
        unset -f acpid_ready
        unset tries pid
        echo GUEST-READY
        ;;
esac
EOF
    sed -i "s|@SERIAL_TTY@|$serial_tty|" "$root/etc/profile"

    chmod 0755 "$root/init" "$root/sbin/load-modules" "$root/etc/acpi/PWRF/00000080"
    chmod 0644 "$root/etc/inittab" "$root/etc/profile"

    write_account_files "$root"
    write_seed_program "$root"

    # The SSH server and its libraries triple the compressed initramfs, which the
    # kernel unpacks at every boot. Packed with the rest, they made that 0.35 s
    # slower on the x86_64 guest under TCG (2-core host, three boots). As an
    # archive inside the initramfs, compressed apart, they cost 0.19 s, and the
    # rest of the unpacking is paid only at a boot that starts dropbear.
    install_dropbear "$work/dropbear"
    pack_initramfs "$work/dropbear" "$root/lib/dropbear.cpio.gz"
}

# Writes the account and name service files that busybox and dropbear read.
write_account_files() {
    local root="$1"
    printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
    printf 'root:x:0:\n' >"$root/etc/group"
    # "*" in the password field: no password matches, so root logs in only by key.
    printf 'root:*:19723:0:99999:7:::\n' >"$root/etc/shadow"
    # dropbear rejects a user whose shell is not listed here.
    printf '/bin/sh\n' >"$root/etc/shells"
    # glibc's defaults without this file differ between versions.
    printf 'passwd: files\ngroup: files\nshadow: files\nhosts: files\n' >"$root/etc/nsswitch.conf"
    printf '127.0.0.1 localhost\n::1 localhost\n' >"$root/etc/hosts"
    chmod 0644 "$root"/etc/{passwd,group,shells,nsswitch.conf,hosts}
    chmod 0600 "$root/etc/shadow"
}

# Writes /sbin/nocloud-seed, which /init runs before /sbin/init, and the awk
# program that reads the first user from user-data.
write_seed_program() {
    local root="$1"
    cat >"$root/sbin/nocloud-seed" <<'EOF'
#!/bin/sh
# Applies a cloud-init NoCloud seed: an ISO 9660 file system labelled cidata on a
# CD. It prints these lines on the console:
#   SEED-FILE NAME SIZE SHA256  for each regular file in the seed's root, by name
#   SEED-DONE                   after the last SEED-FILE line
#   SEED-NONE                   when no seed is attached
#   SEED-ERROR MESSAGE          when the seed cannot be mounted
#   SEED-HOSTNAME NAME          after setting the host name from meta-data
#   SSHD-STARTED 22             when dropbear listens for the user from user-data
# Other problems are lines starting with "seed: ", and the boot goes on. Each
# fork costs milliseconds under TCG, so a boot without a seed runs only builtins.

SEED_MOUNT=/run/seed

# Succeeds when the guest has a virtio SCSI controller (virtio device ID 8).
# virtio_pci lists every virtio device under /sys/bus/virtio, with or without a driver.
has_virtio_scsi() {
    for file in /sys/bus/virtio/devices/*/device; do
        [ -e "$file" ] || continue
        read -r id <"$file"
        [ "$id" != 0x0008 ] || return 0
    done
    return 1
}

# Waits until sr_mod has given each SCSI CD-ROM (SCSI device type 5) a block
# device, at most 5 s in all. The scan itself is over: scsi_mod.scan=sync makes
# the insmod of virtio_scsi wait for it.
wait_for_cd_drives() {
    tries=0
    for device in /sys/bus/scsi/devices/*:*:*:*; do
        [ -e "$device/type" ] || continue
        read -r type <"$device/type"
        [ "$type" = 5 ] || continue
        until [ -d "$device/block" ] || [ "$tries" -ge 500 ]; do
            usleep 10000
            tries=$((tries + 1))
        done
    done
}

# Prints the volume identifier of block device $1 without its trailing spaces.
# It fails unless the ISO 9660 primary volume descriptor (sector 16 of 2048
# bytes, "CD001" at byte 1) is there. The identifier is at bytes 40 to 71.
iso9660_label() {
    [ "$(dd if="$1" bs=1 skip=32769 count=5 2>/dev/null)" = CD001 ] || return 1
    dd if="$1" bs=1 skip=32808 count=32 2>/dev/null | sed 's/ *$//'
}

# Prints the first CD labelled cidata or CIDATA, the two labels cloud-init accepts.
find_seed_device() {
    for block in /sys/block/sr*; do
        [ -e "$block" ] || continue
        label="$(iso9660_label "/dev/${block##*/}")" || continue
        case "$label" in
            cidata | CIDATA)
                echo "/dev/${block##*/}"
                return 0
                ;;
        esac
    done
    return 1
}

print_seed_files() {
    find "$SEED_MOUNT" -mindepth 1 -maxdepth 1 -type f | sort | while IFS= read -r path; do
        sum="$(sha256sum "$path")"
        echo "SEED-FILE ${path#"$SEED_MOUNT"/} $(stat -c %s "$path") ${sum%% *}"
    done
}

# Prints the value of the top-level key $1 in the YAML file $2, without quotes.
yaml_top_value() {
    sed -n "s/^$1:[[:space:]]*//p" "$2" 2>/dev/null | head -n 1 | tr -d '\r' |
        sed -e 's/[[:space:]]*$//' -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'\$/\1/"
}

apply_hostname() {
    name="$(yaml_top_value local-hostname "$SEED_MOUNT/meta-data")"
    [ -n "$name" ] || return 0
    case "$name" in
        -* | *[!A-Za-z0-9.-]*)
            echo "seed: invalid local-hostname '$name' in meta-data: use letters, digits, '-' and '.' (host name stays $(hostname))"
            return 0
            ;;
    esac
    if [ "${#name}" -gt 64 ]; then
        echo "seed: local-hostname '$name' in meta-data is longer than 64 characters, so the host name stays $(hostname)"
        return 0
    fi
    hostname "$name"
    echo "$name" >/etc/hostname
    echo "127.0.1.1 $name" >>/etc/hosts
    echo "SEED-HOSTNAME $name"
}

# Creates user $1 (or uses root) with the SSH keys in file $2 as authorized_keys.
create_user() {
    name="$1"
    if [ "$name" = root ]; then
        home=/root
        uid=0
    else
        uid=1000
        while cut -d: -f3 /etc/passwd | grep -qx "$uid"; do
            uid=$((uid + 1))
        done
        home="/home/$name"
        echo "$name:x:$uid:$uid::$home:/bin/sh" >>/etc/passwd
        echo "$name:x:$uid:" >>/etc/group
        # "!" locks the password, as lock_passwd: true requests.
        echo "$name:!:19723:0:99999:7:::" >>/etc/shadow
        mkdir -p "$home"
        chmod 0755 "$home"
    fi
    mkdir -p "$home/.ssh"
    cp "$2" "$home/.ssh/authorized_keys"
    # dropbear ignores authorized_keys when it, ~/.ssh or the home folder is
    # writable by group or others.
    chmod 0700 "$home/.ssh"
    chmod 0600 "$home/.ssh/authorized_keys"
    chown -R "$uid:$uid" "$home"
}

# Gives the first network interface QEMU user networking's guest address, unless
# it has an IPv4 address already.
configure_network() {
    for path in /sys/class/net/*; do
        interface="${path##*/}"
        [ "$interface" != lo ] && [ -e "$path/device" ] || continue
        ip link set "$interface" up
        if ! ip -4 addr show dev "$interface" | grep -q ' inet '; then
            ip addr add 10.0.2.15/24 dev "$interface"
            ip route add default via 10.0.2.2 dev "$interface"
        fi
        return 0
    done
    echo "seed: no network interface found, so dropbear is reachable on loopback only"
}

# Starts dropbear on port 22 and waits (at most 10 s) until it listens. -R makes
# it generate each host key at the first connection that needs that key type.
start_sshd() {
    if [ ! -e /usr/sbin/dropbear ]; then
        gzip -d -c /lib/dropbear.cpio.gz | (cd / && cpio -i -d -m 2>/dev/null)
    fi
    setsid dropbear -F -E -R -s -p 22 </dev/null >/var/log/dropbear.log 2>&1 &
    # In /proc/net/tcp and tcp6, 0016 is port 22 and state 0A is LISTEN.
    tries=0
    until grep -qE '^ *[0-9]+: [0-9A-F]+:0016 [0-9A-F]+:0000 0A ' /proc/net/tcp /proc/net/tcp6 2>/dev/null; do
        if [ "$tries" -ge 1000 ]; then
            echo "seed: dropbear is not listening on port 22 after 10 s. Its log:"
            cat /var/log/dropbear.log
            return 1
        fi
        usleep 10000
        tries=$((tries + 1))
    done
    echo "SSHD-STARTED 22"
}

apply_user() {
    user_data="$SEED_MOUNT/user-data"
    [ -f "$user_data" ] || return 0
    if [ "$(head -n 1 "$user_data" | tr -d '\r')" != "#cloud-config" ]; then
        echo "seed: user-data does not start with #cloud-config, so no user was created"
        return 0
    fi

    awk -f /lib/nocloud/first-user.awk "$user_data" >/run/seed-user
    name="$(sed -n 's/^name //p' /run/seed-user)"
    sed -n 's/^key //p' /run/seed-user >/run/seed-keys
    rm -f /run/seed-user
    [ -n "$name" ] || return 0
    if [ ! -s /run/seed-keys ]; then
        echo "seed: user $name in user-data has no ssh_authorized_keys, so no user was created"
        return 0
    fi

    case "$name" in
        [!a-z_]* | *[!a-z0-9_-]*)
            echo "seed: invalid user name '$name' in user-data: use lowercase letters, digits, '_' and '-', starting with a letter or '_'"
            return 0
            ;;
    esac
    if [ "${#name}" -gt 32 ]; then
        echo "seed: user name '$name' in user-data is longer than 32 characters, so no user was created"
        return 0
    fi

    create_user "$name" /run/seed-keys
    rm -f /run/seed-keys
    configure_network
    start_sshd
}

if ! has_virtio_scsi; then
    echo SEED-NONE
    exit 0
fi
load-modules /lib/modules/seed
wait_for_cd_drives
if ! device="$(find_seed_device)"; then
    echo SEED-NONE
    exit 0
fi
mkdir -p "$SEED_MOUNT"
if ! mount -t iso9660 -o ro "$device" "$SEED_MOUNT"; then
    echo "SEED-ERROR mounting $device (label cidata) failed"
    exit 0
fi
print_seed_files
echo SEED-DONE
apply_hostname
apply_user
umount "$SEED_MOUNT"
EOF

    # NOTE: it reads block-style YAML only, the style of xray's seeds and of
    # cloud-init's examples, so a flow-style list such as "ssh_authorized_keys: [...]"
    # gives no keys.
    cat >"$root/lib/nocloud/first-user.awk" <<'EOF'
# Prints "name NAME" and one "key KEY" line per entry of its ssh_authorized_keys
# for the first item of the top-level "users:" list that has a name. Items
# without a name, such as "- default", are skipped.
function unquote(text,  first) {
    sub(/^[ \t]+/, "", text)
    sub(/[ \t]+$/, "", text)
    first = substr(text, 1, 1)
    if (length(text) >= 2 && (first == "\"" || first == squote) &&
        substr(text, length(text), 1) == first) {
        text = substr(text, 2, length(text) - 2)
    }
    return text
}

function finish_item() {
    if (item_name != "" && !done) {
        print "name " item_name
        printf "%s", item_keys
        done = 1
    }
    item_name = ""
    item_keys = ""
    in_keys = 0
}

BEGIN {
    squote = sprintf("%c", 39)
    item_indent = -1
}

{
    sub(/\r$/, "")
    if ($0 ~ /^[ \t]*(#.*)?$/) {
        next
    }
    match($0, /^ */)
    indent = RLENGTH
    text = substr($0, indent + 1)

    # A top-level key ends the users list.
    if (indent == 0 && text !~ /^-( |$)/) {
        if (in_users) {
            finish_item()
        }
        in_users = (text ~ /^users:[ \t]*$/)
        item_indent = -1
        next
    }
    if (!in_users || done) {
        next
    }

    # "- " at the list's indent starts an item, and its first key follows the dash.
    if (text ~ /^-( |$)/ && (item_indent < 0 || indent <= item_indent)) {
        finish_item()
        item_indent = indent
        text = substr(text, 2)
        match(text, /^ */)
        indent += 1 + RLENGTH
        text = substr(text, RLENGTH + 1)
        key_indent = indent
        if (text == "") {
            next
        }
    }
    if (item_indent < 0) {
        next
    }

    if (in_keys) {
        if (text ~ /^-( |$)/ && indent >= keys_indent) {
            key = unquote(substr(text, 2))
            if (key != "") {
                item_keys = item_keys "key " key "\n"
            }
            next
        }
        in_keys = 0
    }
    if (indent != key_indent) {
        next
    }
    if (text ~ /^name:/) {
        item_name = unquote(substr(text, 6))
    } else if (text ~ /^ssh_authorized_keys:[ \t]*$/) {
        in_keys = 1
        keys_indent = indent
    }
}

END {
    if (in_users) {
        finish_item()
    }
}
EOF
    chmod 0755 "$root/sbin/nocloud-seed"
    chmod 0644 "$root/lib/nocloud/first-user.awk"
}

# Copies dropbear, its dynamic loader and the shared libraries it needs, found
# by their NEEDED entries, from the unpacked SSH packages into the folder $1.
install_dropbear() {
    local root="$1"
    local stage="$work/extract/ssh"
    local interpreter
    interpreter="$("${binutils_prefix}readelf" -l --wide "$stage/usr/sbin/dropbear" |
        sed -n 's/.*\[Requesting program interpreter: \(.*\)\]$/\1/p')"
    [ -n "$interpreter" ] ||
        die "readelf found no program interpreter in /usr/sbin/dropbear of ${ssh_specs[0]}"
    copy_packaged_file "$root" "$interpreter"

    local queue=(/usr/sbin/dropbear) seen=" " file library folder found
    while [ "${#queue[@]}" -gt 0 ]; do
        file="${queue[0]}"
        queue=("${queue[@]:1}")
        copy_packaged_file "$root" "$file"
        for library in $("${binutils_prefix}readelf" -d --wide "$stage$copied_path" |
            sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'); do
            case "$seen" in
                *" $library "*) continue ;;
            esac
            seen="$seen$library "
            # The dynamic loader's search path without /etc/ld.so.cache (glibc 2.36 in Debian 12).
            found=""
            for folder in "/lib/$multiarch" "/usr/lib/$multiarch" /lib /usr/lib; do
                if [ -e "$stage$folder/$library" ] || [ -L "$stage$folder/$library" ]; then
                    found="$folder/$library"
                    break
                fi
            done
            [ -n "$found" ] ||
                die "$file needs $library, which is in none of $SSH_PACKAGES: add its package to SSH_PACKAGES"
            queue+=("$found")
        done
    done
}

# Copies the file at absolute path $2 of the unpacked SSH packages to the same
# path under $1, and sets copied_path to the path of the regular file. Symbolic
# links are copied as links, together with their targets, and an absolute
# target means a path in the packages, not on the host.
copied_path=""

copy_packaged_file() {
    local root="$1" path="$2"
    local stage="$work/extract/ssh" target
    while [ -L "$stage$path" ]; do
        target="$(readlink -- "$stage$path")"
        mkdir -p -- "$root$(dirname -- "$path")"
        ln -sfn -- "$target" "$root$path"
        case "$target" in
            /*) path="$target" ;;
            *) path="$(dirname -- "$path")/$target" ;;
        esac
    done
    [ -f "$stage$path" ] || die "dropbear needs $path, which is in none of $SSH_PACKAGES: add its package to SSH_PACKAGES"
    mkdir -p -- "$root$(dirname -- "$path")"
    cp -- "$stage$path" "$root$path"
    copied_path="$path"
}

# Packs the tree as a gzip-compressed newc cpio archive with fixed owners and times.
pack_initramfs() {
    local root="$1" output="$2"
    find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
    (cd -- "$root" && find . -print0 | sort -z |
        cpio --quiet --null -o -H newc -R 0:0 --reproducible) | gzip -9 -n >"$output"
}

# Prints the smallest multiple of $2 that is at least $1.
align_up() {
    printf '%s\n' $((($1 + $2 - 1) / $2 * $2))
}

# Builds the unified kernel image: the stub with .osrel, .cmdline, .initrd and
# .linux sections added after its last section, each at a page-aligned address.
# .linux is last, as in systemd's ukify.
make_uki() {
    local initrd="$1" output="$2"
    local stub="$work/extract/stub/${stub_path#./}"
    local uki_dir="$work/uki"
    mkdir -p -- "$uki_dir"

    printf 'NAME="xray test guest"\nID=xray-guest\nVERSION_ID="%s"\nPRETTY_NAME="xray test guest (Linux %s)"\n' \
        "$kernel_release" "$kernel_release" >"$uki_dir/osrel"
    printf '%s' "$kernel_cmdline" >"$uki_dir/cmdline"

    # End of the stub's last section, from objdump -h rows:
    # "Idx Name Size VMA LMA FileOffset Align" with hexadecimal Size and VMA.
    local stub_end=0 idx section size vma rest end
    while read -r idx section size vma rest; do
        case "$idx" in
            [0-9]*) ;;
            *) continue ;;
        esac
        end=$((16#$vma + 16#$size))
        [ "$end" -le "$stub_end" ] || stub_end="$end"
    done < <("${binutils_prefix}objdump" -h "$stub")
    [ "$stub_end" -gt 0 ] || die "objdump -h found no sections in $stub"

    local page=4096
    local address
    address="$(align_up "$stub_end" "$page")"
    local args=()
    local name file
    for name in osrel cmdline initrd linux; do
        case "$name" in
            initrd) file="$initrd" ;;
            linux) file="$kernel_image" ;;
            *) file="$uki_dir/$name" ;;
        esac
        args+=(--add-section ".$name=$file" --change-section-vma ".$name=$(printf '0x%x' "$address")")
        address="$(align_up $((address + $(stat -c %s -- "$file"))) "$page")"
    done
    "${binutils_prefix}objcopy" "${args[@]}" "$stub" "$output"

    # objcopy (binutils 2.40) writes the current time into TimeDateStamp (PE
    # header + 8) and ignores SOURCE_DATE_EPOCH, so that field is zeroed. It also
    # computes CheckSum (PE header + 88) over the time. That field is zeroed too,
    # because the UEFI image loader does not check it (OVMF boots the zeroed image).
    local pe_offset
    pe_offset="$(read_u32_le "$output" 60)"
    [ "$(od -An -t x1 -j "$pe_offset" -N 4 -- "$output" | tr -d ' \n')" = "50450000" ] ||
        die "invalid PE file $output: no PE signature at offset $pe_offset"
    dd if=/dev/zero of="$output" bs=1 seek=$((pe_offset + 8)) count=4 conv=notrunc status=none
    dd if=/dev/zero of="$output" bs=1 seek=$((pe_offset + 88)) count=4 conv=notrunc status=none
}

read_u32_le() {
    local b0 b1 b2 b3
    read -r b0 b1 b2 b3 < <(od -An -t u1 -j "$2" -N 4 -- "$1")
    printf '%s\n' $((b0 + (b1 << 8) + (b2 << 16) + (b3 << 24)))
}

# Builds the FAT16 image of the EFI system partition with the UKI as \EFI\BOOT\$boot_file,
# the path UEFI firmware boots from a removable disk without boot entries.
# Its size is the content plus 10 % plus 4 MiB, rounded up to 4 MiB.
make_esp() {
    local uki="$1" output="$2"
    local mib=$((1024 * 1024))
    local uki_size need esp_mib
    uki_size="$(stat -c %s -- "$uki")"
    need=$((uki_size + uki_size / 10 + 4 * mib))
    esp_mib=$(($(align_up "$need" $((4 * mib))) / mib))

    # -h 2048: hidden sectors, the partition's start sector on the disk.
    # --invariant also fixes the volume ID, so -i comes after it to override that.
    mkfs.fat -C -F 16 --invariant -n GUESTESP -i "$ESP_VOLUME_ID" -h 2048 \
        "$output" $((esp_mib * 1024)) >/dev/null
    # An empty MTOOLSRC keeps a user's mtools configuration out of the build.
    # mmd takes directory times from SOURCE_DATE_EPOCH, and mcopy -m copies the file's mtime.
    touch -d "@$SOURCE_DATE_EPOCH" "$uki"
    MTOOLSRC=/dev/null MTOOLS_SKIP_CHECK=1 mmd -i "$output" ::/EFI ::/EFI/BOOT
    MTOOLSRC=/dev/null MTOOLS_SKIP_CHECK=1 mcopy -m -i "$output" "$uki" "::/EFI/BOOT/$boot_file"
    printf '%s\n' "$esp_mib"
}

# Writes the GPT disk with the ESP at 1 MiB and "scratch" over the rest, then converts it to qcow2.
make_disk() {
    local esp="$1" esp_mib="$2" output="$3"
    local raw="$work/disk.raw"
    truncate -s "${DISK_MIB}M" "$raw"
    local esp_start=2048
    local esp_sectors=$((esp_mib * 2048))
    local scratch_start=$((esp_start + esp_sectors))
    [ $((scratch_start + 2048 + 34)) -le $((DISK_MIB * 2048)) ] ||
        die "the EFI system partition ($esp_mib MiB) leaves no room for scratch on a $DISK_MIB MiB disk"

    sfdisk --quiet --no-reread --no-tell-kernel --wipe never "$raw" >&2 <<EOF
label: gpt
label-id: $DISK_GUID
unit: sectors
sector-size: 512
start=$esp_start, size=$esp_sectors, type=$ESP_TYPE_GUID, uuid=$ESP_PARTITION_GUID, name="EFI system partition"
start=$scratch_start, type=$LINUX_DATA_TYPE_GUID, uuid=$SCRATCH_PARTITION_GUID, name="scratch"
EOF
    dd if="$esp" of="$raw" bs=512 seek="$esp_start" conv=notrunc status=none
    qemu-img convert -q -f raw -O qcow2 "$raw" "$output"
}

build_image() {
    local output_dir="$1"
    local image="$output_dir/guest-$arch.qcow2"

    fetch_debs
    log "unpacking packages"
    extract_packages

    log "building the initramfs (kernel $kernel_release)"
    make_initramfs_tree "$work/initramfs"
    pack_initramfs "$work/initramfs" "$work/initrd.img"

    log "building the unified kernel image"
    make_uki "$work/initrd.img" "$work/$boot_file"

    log "building the disk"
    local esp_mib
    esp_mib="$(make_esp "$work/$boot_file" "$work/esp.img")"
    make_disk "$work/esp.img" "$esp_mib" "$image"
    # The image is a read-only base for per-VM overlays.
    chmod 0444 "$image"
    package_list >"$output_dir/packages.txt"
}

main() {
    parse_args "$@"
    check_tools
    resolve_packages

    mkdir -p -- "$cache_dir"
    cache_dir="$(cd -- "$cache_dir" && pwd -P)"
    local key
    key="$(compute_cache_key)"
    local final_dir="$cache_dir/$key"
    local image_name="guest-$arch.qcow2"

    # The key folder appears only by the atomic rename below, so an image there is complete.
    if [ -f "$final_dir/$image_name" ]; then
        printf '%s\n' "$final_dir/$image_name"
        return 0
    fi

    trap cleanup EXIT
    trap 'exit 129' HUP
    trap 'exit 130' INT
    trap 'exit 143' TERM

    # Remove work folders of builds that were killed (a build takes seconds, so
    # one older than an hour is not running any more).
    find "$cache_dir" -mindepth 1 -maxdepth 1 -name '.build-*' -mmin +60 -exec rm -rf -- {} + 2>/dev/null || true

    # The work folder is inside the cache folder, so the rename below stays on one file system.
    work="$(mktemp -d "$cache_dir/.build-XXXXXXXX")"
    log "building $image_name from $(package_summary) in $work"
    mkdir -p -- "$work/out"
    build_image "$work/out"

    # mv -T renames the folder itself, and it fails when a concurrent run has already
    # published the same key. That run's image has the same content and is used.
    if ! mv -T -- "$work/out" "$final_dir" 2>/dev/null; then
        [ -f "$final_dir/$image_name" ] || die "failed to move $work/out to $final_dir"
        log "a concurrent run has already built $final_dir"
    fi
    log "built $final_dir/$image_name"
    printf '%s\n' "$final_dir/$image_name"
}

main "$@"
