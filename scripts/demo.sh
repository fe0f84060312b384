#!/usr/bin/env bash
# hopd in one command, with no AWS account: a local AWS emulator (moto), a
# throwaway keychain, three accounts, an MFA code, the AWS CLI and boto3
# getting each account's role credentials from hopd in every form it serves
# them, and each account's console through a local federation stand-in.
#
#   ./scripts/demo.sh          # show it, then clean up
#   ./scripts/demo.sh --keep   # leave it running until Ctrl-C, to try by hand
#
# `make demo` builds bin/hopd first. Nothing outside a temporary directory is
# touched: the keychain is a fresh gnome-keyring on a private D-Bus (never
# yours), HOME points into the temporary directory, and every AWS call goes
# to moto on 127.0.0.1.
set -euo pipefail

keep=0
case "${1:-}" in
"") ;;
--keep) keep=1 ;;
-h | --help)
	sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "usage: $0 [--keep]" >&2
	exit 2
	;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
hopd=${HOPD_BIN:-$root/bin/hopd} # the tests pass the binary they built

if [[ -t 1 ]]; then
	bold=$'\e[1m' dim=$'\e[2m' red=$'\e[31m' reset=$'\e[0m'
else
	bold='' dim='' red='' reset=''
fi
heading() { printf '\n%s== %s ==%s\n' "$bold" "$*" "$reset"; }
note() { printf '%s%s%s\n' "$dim" "$*" "$reset"; }
die() {
	printf '%sdemo: %s%s\n' "$red" "$*" "$reset" >&2
	exit 1
}

# --- what the demo needs -----------------------------------------------------
[[ -x $hopd ]] || die "$hopd is missing: run \`make demo\` (it builds bin/hopd first)"
python3 -c 'import moto, boto3' 2>/dev/null ||
	die "python3 with moto and boto3 is missing: pip install 'moto[server]' boto3 (or ./scripts/deps.sh)"
for tool in dbus-daemon gnome-keyring-daemon dbus-send; do
	command -v "$tool" >/dev/null || die "$tool is missing: ./scripts/deps.sh installs it (apt-get install dbus-daemon dbus-bin gnome-keyring)"
done
have_aws=1
command -v aws >/dev/null || have_aws=0

# --- a private world in a temporary directory --------------------------------
# Children stop newest first: hopd, then the keyring and its bus, then moto.
# shellcheck source=lib/world.sh
. "$root/scripts/lib/world.sh"
world_init hopd-demo

# Only the demo's variables: none of the caller's AWS settings take part.
while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep -E '^AWS_' || true)
export HOME=$tmp/home XDG_RUNTIME_DIR=$tmp/run
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" "$tmp/config" "$tmp/state"
chmod 700 "$XDG_RUNTIME_DIR"

heading "Starting the parts"

start_moto
note "moto (a local AWS emulator) on $AWS_ENDPOINT_URL; it accepts any key and any MFA code"
start_keychain demo
note "a throwaway keychain (gnome-keyring on a private D-Bus): your own keychain is never touched"

fed_port=$(free_port)
python3 "$root/scripts/lib/federation.py" "$fed_port" >"$tmp/federation.log" 2>&1 &
pids+=($!)
note "a stand-in for AWS sign-in's federation endpoint on 127.0.0.1:$fed_port (it checks credentials with moto)"

listen_port=$(free_port)
export HOPD_CONFIG=$tmp/config/config.toml HOPD_STATE_DIR=$tmp/state
accounts=(production staging playground)
declare -A ids=([production]=222222222222 [staging]=333333333333 [playground]=444444444444)
declare -A colors=([production]='#d13212' [staging]='#ff9900' [playground]='#1d8102')
declare -A imds_ports
{
	printf 'listen = "127.0.0.1:%s"\nsignin_url = "http://127.0.0.1:%s/federation"\n\n' "$listen_port" "$fed_port"
	printf '[user]\nname = "demo"\nregion = "us-east-1"\nmfa_serial = "arn:aws:iam::123456789012:mfa/demo"\n'
	for a in "${accounts[@]}"; do
		imds_ports[$a]=$(free_port)
		printf '\n[[account]]\nname = "%s"\nid = "%s"\ncolor = "%s"\nimds_port = %s\n' \
			"$a" "${ids[$a]}" "${colors[$a]}" "${imds_ports[$a]}"
	done
} >"$HOPD_CONFIG"
note "config $HOPD_CONFIG: three accounts, each with an IMDS port; the user has an MFA device"

# Fake keys in the IAM format (moto takes any); a real user types theirs.
printf 'AKIADEMO000000000001\n%s\n' "$(printf 'demo%.0s' {1..10})" |
	"$hopd" keys set demo | sed 's/^/  /'

wait_for 30 moto_up ||
	die "moto did not start: $(tail -5 "$tmp/moto.log")"

"$hopd" serve --no-tray 2>"$tmp/hopd.log" &
pids+=($!)
wait_for 10 test -s "$HOPD_STATE_DIR/daemon.json" || die "hopd did not start: $(cat "$tmp/hopd.log")"
note "hopd serving on 127.0.0.1:$listen_port (its log: $tmp/hopd.log)"
wait_for 10 grep -q ready "$tmp/federation.log" || die "the federation stand-in did not start: $(cat "$tmp/federation.log")"

heading "An MFA code"
note "  hopd creds production   (before any code: hopd asks for one, on the desktop too)"
"$hopd" creds production 2>&1 | sed 's/^/  /' || true
note "  hopd mfa 123456   (moto takes any code; a real user types the one on their device)"
"$hopd" mfa 123456 2>&1 | sed 's/^/  /'
# The first credentials need STS; hopd answers 503 rather than keep a client
# waiting, so wait here until the session and the first role are ready.
wait_for 20 "$hopd" creds production || die "hopd serves no credentials: $(tail -5 "$tmp/hopd.log")"

# credential_process profiles, as `hopd profiles write` would add them.
export AWS_CONFIG_FILE=$tmp/aws-config AWS_SHARED_CREDENTIALS_FILE=$tmp/aws-credentials
for a in "${accounts[@]}"; do
	printf '[profile %s]\ncredential_process = %s creds %s\nregion = us-east-1\n\n' "$a" "$hopd" "$a"
done >"$AWS_CONFIG_FILE"

# --- the main job ------------------------------------------------------------
boto3_whoami='import boto3; print(boto3.client("sts").get_caller_identity()["Arn"])'
show() { # label, command...
	local label=$1 out
	shift
	if out=$("$@" 2>&1); then
		printf '  %-20s %s\n' "$label" "$out"
	else
		printf '  %-20s %sfailed:%s %s\n' "$label" "$red" "$reset" "$out"
	fi
}

for a in "${accounts[@]}"; do
	heading "$a (${ids[$a]}), sts get-caller-identity"
	if ((have_aws)); then
		note "  hopd exec $a -- aws sts get-caller-identity"
		show "ECS endpoint" "$hopd" exec "$a" -- aws sts get-caller-identity --query Arn --output text
	fi
	note "  hopd exec $a --imds -- python3 -c '<boto3 get_caller_identity>'"
	show "IMDSv2 (boto3)" "$hopd" exec "$a" --imds -- python3 -c "$boto3_whoami"
	if ((have_aws)); then
		note "  AWS_PROFILE=$a aws sts get-caller-identity   (credential_process = hopd creds $a)"
		show "credential_process" env AWS_PROFILE="$a" aws sts get-caller-identity --query Arn --output text
	else
		note "  AWS_PROFILE=$a python3 -c '<boto3>'   (credential_process = hopd creds $a)"
		show "credential_process" env AWS_PROFILE="$a" python3 -c "$boto3_whoami"
	fi
done
((have_aws)) || note "(the AWS CLI is not installed: boto3 stood in for it; pip install awscli to see it)"

heading "The console"
note "  hopd console ACCOUNT --print   (without --print, the browser gets a one-time loopback link instead)"
console_check() { # account, hopd console arguments...
	local a=$1 url verdict
	shift
	url=$("$hopd" console "$a" "$@" --print) || die "hopd console $a $* failed"
	printf '  %-11s %s\n' "$a" "$url"
	verdict=$(python3 "$root/scripts/lib/federation.py" check "$url") || die "the stand-in refused $a's link: $verdict"
	printf '  %-11s %s\n' "" "$verdict"
}
for a in "${accounts[@]}"; do
	console_check "$a"
done
note "  a deep link: hopd console staging --service ddb --region euw1 --print"
console_check staging --service ddb --region euw1

heading "The dashboard"
note "  hopd dashboard --print   (a one-time link: the first browser to open it gets the page)"
printf '  %s\n' "$("$hopd" dashboard --print)"

heading "hopd status"
"$hopd" status | sed 's/^/  /'

if ((keep)); then
	heading "Still running: try it from another shell"
	cat <<EOF
  export HOPD_CONFIG=$HOPD_CONFIG HOPD_STATE_DIR=$HOPD_STATE_DIR
  export AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL AWS_CONFIG_FILE=$AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE=$AWS_SHARED_CREDENTIALS_FILE
  $hopd accounts
  $hopd exec staging -- aws sts get-caller-identity
  eval "\$($hopd env playground)"; aws sts get-caller-identity
  AWS_PROFILE=production aws sts get-caller-identity

Press Ctrl-C to stop hopd and moto and remove $tmp.
EOF
	wait "${pids[@]}" || true
else
	heading "Done"
	note "Stopping hopd, moto and the throwaway keychain. Run with --keep to try it by hand."
fi
