#!/bin/sh
# Install the fabdesk driver on a Raspberry Pi (Raspberry Pi OS / Debian), as root:
#   sudo sh hardware/pi/install.sh            # from a checkout of fabdesk
# Then write /etc/fabdesk/<machine>.toml and: sudo systemctl enable --now fabdesk-driver@<machine>
set -eu

SRC=$(cd "$(dirname "$0")/../.." && pwd)
PREFIX=/opt/fabdesk

if [ "$(id -u)" -ne 0 ]; then
    echo "run me as root (sudo sh $0)" >&2
    exit 1
fi

apt-get install -y --no-install-recommends python3 python3-venv

# An unprivileged system user that may open serial ports, a badge reader and GPIO pins, and
# nothing else (the gpio group exists on Raspberry Pi OS).
if ! id fabdesk >/dev/null 2>&1; then
    adduser --system --group --home /var/lib/fabdesk-driver --no-create-home fabdesk
fi
usermod -a -G dialout,input fabdesk
if getent group gpio >/dev/null; then usermod -a -G gpio fabdesk; fi

python3 -m venv "$PREFIX/venv"
"$PREFIX/venv/bin/pip" install --quiet --upgrade pip
"$PREFIX/venv/bin/pip" install --quiet "$SRC"

install -d -m 0750 -o root -g fabdesk /etc/fabdesk
if [ ! -e /etc/fabdesk/example.toml ]; then
    cat > /etc/fabdesk/example.toml <<'TOML'
# Copy to /etc/fabdesk/<machine>.toml, fill in, then:
#   sudo -u fabdesk /opt/fabdesk/venv/bin/fabdesk-driver --help
#   sudo systemctl enable --now fabdesk-driver@<machine>
[server]
url = "https://fabdesk.example.org"
token = "the device token of this machine"

[machine]
kind = "grbl"                       # grbl | marlin | meter | octoprint
port = "/dev/fabdesk-laser1"        # see /etc/udev/rules.d/99-fabdesk.rules
baudrate = 115200

[machine.bridge]
tcp = "0.0.0.0:8760"                # LightBurn/LaserGRBL connect here

[outbox]
path = "/var/lib/fabdesk-driver/<machine>/outbox.db"
TOML
fi
chmod 0640 /etc/fabdesk/*.toml
chgrp fabdesk /etc/fabdesk/*.toml

install -m 0644 "$SRC/hardware/pi/fabdesk-driver@.service" /etc/systemd/system/
install -m 0644 "$SRC/hardware/pi/99-fabdesk.rules" /etc/udev/rules.d/
udevadm control --reload-rules
udevadm trigger --subsystem-match=tty
udevadm trigger --subsystem-match=input
systemctl daemon-reload

echo "Installed. Next: edit /etc/fabdesk/<machine>.toml (from example.toml), then"
echo "  sudo -u fabdesk $PREFIX/venv/bin/fabdesk driver check --config /etc/fabdesk/<machine>.toml"
echo "  sudo systemctl enable --now fabdesk-driver@<machine>"
