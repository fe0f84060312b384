# shellcheck shell=bash
# A private world for scripts that run hopd outside the tests: a temporary
# directory, the children started in it stopped newest first on exit, a
# private D-Bus with a throwaway gnome-keyring, and moto. Sourced by
# scripts/demo.sh and scripts/tray-screenshot.sh, which define die().

# world_init NAME makes $tmp and arranges for the children listed in pids
# (append with pids+=($!)) to be stopped and $tmp removed on any exit.
world_init() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
	pids=()
	trap world_cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

world_cleanup() {
	local status=$?
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill -TERM "${pids[i]}" 2>/dev/null || true
	done
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		wait "${pids[i]}" 2>/dev/null || true
	done
	rm -rf "$tmp"
	exit "$status"
}

# wait_for SECONDS COMMAND... waits until the command succeeds, or fails.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	until "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || return 1
		sleep 0.1
	done
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# bus_has_owner NAME: whether a program owns NAME on the session bus.
bus_has_owner() {
	dbus-send --session --dest=org.freedesktop.DBus --print-reply /org/freedesktop/DBus \
		org.freedesktop.DBus.NameHasOwner "string:$1" | grep -q 'boolean true'
}

# start_keychain PASSWORD starts a private session bus and an unlocked
# gnome-keyring on it, and exports the bus's address: hopd's keychain calls
# go there, never to the user's own keychain.
start_keychain() {
	export DBUS_SESSION_BUS_ADDRESS=unix:path=$tmp/bus
	dbus-daemon --session --nofork --nopidfile --address="$DBUS_SESSION_BUS_ADDRESS" >"$tmp/dbus.log" 2>&1 &
	pids+=($!)
	wait_for 10 bus_has_owner org.freedesktop.DBus || die "the private D-Bus did not start: $(cat "$tmp/dbus.log")"
	printf '%s' "$1" | gnome-keyring-daemon --foreground --unlock --components=secrets >"$tmp/keyring.log" 2>&1 &
	pids+=($!)
	wait_for 10 bus_has_owner org.freedesktop.secrets || die "gnome-keyring did not start: $(cat "$tmp/keyring.log")"
}

# start_moto starts moto on a free port and exports AWS_ENDPOINT_URL; wait
# for it with `wait_for 30 moto_up` (it takes seconds to start).
start_moto() {
	export AWS_ENDPOINT_URL=http://127.0.0.1:$(free_port)
	python3 -m moto.server -H 127.0.0.1 -p "${AWS_ENDPOINT_URL##*:}" >"$tmp/moto.log" 2>&1 &
	pids+=($!)
}

moto_up() {
	python3 -c "import urllib.request; urllib.request.urlopen('$AWS_ENDPOINT_URL/moto-api/')"
}
