#!/usr/bin/env bash
# Installs the system parts hopd's tests use, when it can (root with apt-get).
# Without them the tests that need them skip, except under CI=true where
# they fail: CI must never pass by skipping.
set -euo pipefail

need=()
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
command -v dbus-daemon >/dev/null || need+=(dbus-daemon)
command -v dbus-run-session >/dev/null || need+=(dbus-bin)
command -v node >/dev/null || need+=(nodejs)
command -v npm >/dev/null || need+=(npm)
# Autostart and packaging tests: validate and launch desktop entries, verify
# the systemd unit, build the .deb.
command -v desktop-file-validate >/dev/null || need+=(desktop-file-utils)
command -v gio >/dev/null || need+=(libglib2.0-bin)
command -v systemd-analyze >/dev/null || need+=(systemd)
command -v dpkg-deb >/dev/null || need+=(dpkg)
# Headless Chromium follows console sign-in URLs in the e2e tests (chromedp).
command -v chromium >/dev/null || need+=(chromium)
# The fault suite runs hopd as root without CAP_DAC_OVERRIDE (setpriv), so
# that a config file made unreadable is unreadable to it.
command -v setpriv >/dev/null || need+=(util-linux)
# The peer check's test connects as another user (nobody) with curl.
command -v curl >/dev/null || need+=(curl)
# SDKs older than the token file, as Debian 12 ships them: its AWS CLI (2.9,
# at /usr/bin/aws, beside pip's) and rclone go through hopd exec.
[[ -x /usr/bin/aws ]] || need+=(awscli)
command -v rclone >/dev/null || need+=(rclone)
# hopd env's lines are read by each shell it writes for (PowerShell's are
# checked as text: Debian has no pwsh).
command -v fish >/dev/null || need+=(fish)
# hopd exec's shell and account picker are typed into through tmux.
command -v tmux >/dev/null || need+=(tmux)
command -v zsh >/dev/null || need+=(zsh)
# Tests that act as user nobody run the system python, which nobody can
# read (a pyenv under /root is not).
[[ -x /usr/bin/python3 ]] || need+=(python3)

if ((${#need[@]})); then
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		echo "deps: installing ${need[*]}"
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
	else
		echo "deps: missing ${need[*]} (not root or no apt-get): tests that need them will skip" >&2
	fi
fi

py_ok=1
python3 -c 'import moto, flask, boto3' 2>/dev/null || py_ok=0
command -v aws >/dev/null || py_ok=0
if ((py_ok == 0)); then
	if command -v pip3 >/dev/null || command -v pip >/dev/null; then
		echo "deps: installing moto[server], boto3 and awscli with pip"
		python3 -m pip install -q 'moto[server]' boto3 awscli || echo "deps: pip install failed: moto/boto3/aws tests will skip" >&2
	else
		echo "deps: moto, boto3 or the AWS CLI is missing and pip is not available" >&2
	fi
fi

# The JavaScript SDK v3 for the SDK tests; node_modules is not committed.
if command -v npm >/dev/null && [[ ! -d test/js/node_modules/@aws-sdk/client-sts ]]; then
	echo "deps: npm install in test/js"
	(cd test/js && npm install --no-audit --no-fund --loglevel=error) || echo "deps: npm install failed: JavaScript SDK tests will skip" >&2
fi
