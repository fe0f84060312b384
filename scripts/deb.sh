#!/usr/bin/env bash
# Builds hopd's Debian package from a built binary:
#
#   scripts/deb.sh VERSION ARCH BINARY OUTDIR
#   scripts/deb.sh 1.2.0 amd64 dist/hopd_1.2.0_linux_amd64 dist
#
# It installs /usr/bin/hopd, a menu entry and an icon under /usr/share, and
# an autostart entry in /etc/xdg/autostart that starts hopd at login for
# every user (one user opts out with `hopd autostart disable`; a user without
# a config gets a hopd that exits at once). Needs dpkg-deb and go.
set -euo pipefail

if (($# != 4)); then
	echo "usage: scripts/deb.sh VERSION ARCH BINARY OUTDIR (for example: scripts/deb.sh 1.2.0 amd64 dist/hopd_1.2.0_linux_amd64 dist)" >&2
	exit 2
fi
version=$1 arch=$2 binary=$3 out=$4
command -v dpkg-deb >/dev/null || { echo "deb.sh: dpkg-deb is missing: apt-get install dpkg" >&2; exit 1; }
[[ -x $binary ]] || { echo "deb.sh: $binary is not an executable: run make dist first" >&2; exit 1; }
case $arch in amd64 | arm64) ;; *) echo "deb.sh: ARCH must be amd64 or arm64, not $arch" >&2; exit 2 ;; esac

# A tag's git describe (v1.2.0, or v1.2.0-3-gabc1234-dirty past it) becomes
# 1.2.0 or 1.2.0+3+gabc1234+dirty; an untagged tree (a bare commit hash)
# becomes 0~git<hash>, which sorts before any release.
debversion=${version#v}
if [[ $debversion =~ ^[0-9]+\.[0-9]+ ]]; then
	debversion=${debversion//-/+}
else
	debversion="0~git${debversion//[^A-Za-z0-9.+~]/.}"
fi

here=$(cd "$(dirname "$0")/.." && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 0755 "$root"

install -D -m 0755 "$binary" "$root/usr/bin/hopd"
install -D -m 0644 "$here/packaging/hopd.desktop" "$root/usr/share/applications/hopd.desktop"
install -D -m 0644 "$here/packaging/hopd-autostart.desktop" "$root/etc/xdg/autostart/hopd.desktop"
install -D -m 0644 "$here/README.md" "$root/usr/share/doc/hopd/README.md"
(cd "$here" && go run ./packaging/mkicon -root "$root")

mkdir -p "$root/DEBIAN"
# /etc/xdg/autostart/hopd.desktop is a conffile: an admin's edit survives
# upgrades.
echo /etc/xdg/autostart/hopd.desktop >"$root/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
cat >"$root/DEBIAN/control" <<CONTROL
Package: hopd
Version: $debversion
Architecture: $arch
Maintainer: hopd maintainers <hopd@users.noreply.github.com>
Installed-Size: $size
Section: utils
Priority: optional
Recommends: gnome-keyring | keepassxc, bash-completion
Homepage: https://github.com/hopd/hopd
Description: fresh AWS credentials for every account, served on loopback
 hopd keeps an IAM user's access keys in the OS keychain, turns them into
 one MFA-backed session a day, and serves assumed-role credentials for every
 account of an AWS Organization to any SDK or CLI on this machine, over the
 ECS endpoint, IMDSv2 and credential_process. It starts at login and shows
 a tray icon that opens each account's web console.
CONTROL

mkdir -p "$out"
deb="$out/hopd_${debversion}_${arch}.deb"
dpkg-deb --root-owner-group -Zxz --build "$root" "$deb" >/dev/null
echo "$deb"
