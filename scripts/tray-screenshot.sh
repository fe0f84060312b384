#!/usr/bin/env bash
# Renders hopd's tray menu, open, into docs/tray.png: Xvfb with an
# xfce4-panel whose status tray hosts StatusNotifierItems, a throwaway
# keychain and D-Bus, moto for STS, and hopd with a demo config.
#
#   ./scripts/tray-screenshot.sh [OUT.png]     # default docs/tray.png
#
# As root it installs what it needs with apt-get (xvfb xfce4-panel xdotool
# imagemagick); nothing outside a temporary directory is touched.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/docs/tray.png}
case "$out" in /*) ;; *) out=$PWD/$out ;; esac

die() {
	echo "tray-screenshot: $*" >&2
	exit 1
}

need=()
command -v Xvfb >/dev/null || need+=(xvfb)
command -v xfce4-panel >/dev/null || need+=(xfce4-panel)
command -v xdotool >/dev/null || need+=(xdotool)
command -v import >/dev/null || need+=(imagemagick)
command -v dbus-daemon >/dev/null || need+=(dbus-daemon)
command -v dbus-send >/dev/null || need+=(dbus-bin)
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
if ((${#need[@]})); then
	[[ $(id -u) == 0 ]] && command -v apt-get >/dev/null ||
		die "missing ${need[*]}: install them (apt-get install ${need[*]})"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
python3 -c 'import moto' 2>/dev/null || die "python3 with moto is missing: ./scripts/deps.sh installs it"

# shellcheck source=lib/world.sh
. "$root/scripts/lib/world.sh"
world_init hopd-tray

(cd "$root" && CGO_ENABLED=0 go build -o "$tmp/hopd" ./cmd/hopd)

while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep -E '^(AWS_|HOPD_)' || true)
export HOME=$tmp/home XDG_RUNTIME_DIR=$tmp/run XDG_CONFIG_HOME=$tmp/home/.config
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME/xfce4/xfconf/xfce-perchannel-xml" "$tmp/state"
chmod 700 "$XDG_RUNTIME_DIR"

# One panel along the top: a spacer, then the status tray at the right.
cat >"$XDG_CONFIG_HOME/xfce4/xfconf/xfce-perchannel-xml/xfce4-panel.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<channel name="xfce4-panel" version="1.0">
  <property name="configver" type="int" value="2"/>
  <property name="panels" type="array">
    <value type="int" value="1"/>
    <property name="panel-1" type="empty">
      <property name="position" type="string" value="p=6;x=0;y=0"/>
      <property name="length" type="uint" value="100"/>
      <property name="position-locked" type="bool" value="true"/>
      <property name="size" type="uint" value="30"/>
      <property name="icon-size" type="uint" value="22"/>
      <property name="plugin-ids" type="array">
        <value type="int" value="1"/>
        <value type="int" value="2"/>
      </property>
    </property>
  </property>
  <property name="plugins" type="empty">
    <property name="plugin-1" type="string" value="separator">
      <property name="expand" type="bool" value="true"/>
      <property name="style" type="uint" value="0"/>
    </property>
    <property name="plugin-2" type="string" value="systray">
      <property name="icon-size" type="uint" value="22"/>
      <property name="square-icons" type="bool" value="true"/>
    </property>
  </property>
</channel>
EOF

width=900 height=560
export DISPLAY=:$((90 + RANDOM % 100))
Xvfb "$DISPLAY" -screen 0 ${width}x${height}x24 -nolisten tcp >"$tmp/xvfb.log" 2>&1 &
pids+=($!)
wait_for 10 xdotool getdisplaygeometry || die "Xvfb did not start: $(cat "$tmp/xvfb.log")"
convert -size ${width}x${height} gradient:'#7d9bbd'-'#34495e' "$tmp/desktop.png"
display -window root "$tmp/desktop.png" || true # sets the background, then exits 1

start_keychain screenshot
start_moto
wait_for 30 moto_up || die "moto did not start: $(tail -5 "$tmp/moto.log")"

xfce4-panel --disable-wm-check >"$tmp/panel.log" 2>&1 &
pids+=($!)
wait_for 20 bus_has_owner org.kde.StatusNotifierWatcher ||
	die "xfce4-panel's status tray did not take org.kde.StatusNotifierWatcher: $(tail -5 "$tmp/panel.log")"

export HOPD_CONFIG=$tmp/config.toml HOPD_STATE_DIR=$tmp/state
cat >"$HOPD_CONFIG" <<EOF
listen = "127.0.0.1:$(free_port)"

[user]
name = "michael"
region = "eu-west-1"

[[account]]
name = "production"
id = "222222222222"
color = "#d13212"

[[account]]
name = "staging"
id = "333333333333"
color = "orange"

[[account]]
name = "playground"
id = "444444444444"
color = "#1d8102"
region = "us-east-1"

[[account]]
name = "data-lake"
id = "555555555555"
color = "#0073bb"
EOF
printf 'AKIASCREENSHOT000001\nscreenshotSecretKey0123456789abcdefghijk\n' | "$tmp/hopd" keys set michael >/dev/null
"$tmp/hopd" serve >"$tmp/hopd.log" 2>&1 &
pids+=($!)
wait_for 15 "$tmp/hopd" status || die "hopd did not start: $(tail -5 "$tmp/hopd.log")"
# Credentials for one account start the session, so the status line shows
# how long it lasts.
wait_for 15 "$tmp/hopd" creds staging || die "hopd serves no credentials: $(tail -5 "$tmp/hopd.log")"

# The icon sits at the right end of the panel; a click opens the menu, and
# pointing at an account opens its submenu.
sleep 2
xdotool mousemove $((width - 16)) 15 click 1
sleep 1.5
# The menu is the tallest window of the tray plugin's process (wrapper-2.0).
menu=
best=0
for w in $(xdotool search --onlyvisible --classname wrapper); do
	h=$(xdotool getwindowgeometry --shell "$w" | sed -n 's/^HEIGHT=//p')
	if ((h > best)); then best=$h menu=$w; fi
done
[[ -n $menu ]] && ((best > 100)) || die "the tray menu did not open: $(tail -5 "$tmp/panel.log")"
eval "$(xdotool getwindowgeometry --shell "$menu")"
# Rows are 25 px: the status line, then the accounts; point at "staging".
xdotool mousemove $((X + 60)) $((Y + 67))
sleep 0.5
xdotool mousemove $((X + 70)) $((Y + 67))
sleep 1.5

mkdir -p "$(dirname "$out")"
import -window root "$tmp/shot.png"
# Keep the panel's corner: the menu, the submenu to its left, a margin.
left=$((X > 300 ? X - 300 : 0))
convert "$tmp/shot.png" -crop $((width - left))x$((Y + HEIGHT + 24))+${left}+0 +repage "$tmp/crop.png"
mv "$tmp/crop.png" "$out"
echo "wrote $out"
