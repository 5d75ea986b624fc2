#!/bin/bash -e
# The Pi 5 as a sensor, all as configuration files:
# - eth0 (the capture port) with the NIC offloads that merge or split packets turned off,
#   through NetworkManager, which manages the network on Raspberry Pi OS trixie;
# - Wi-Fi and Bluetooth off through the firmware's overlays: a capture box needs no radio;
# - the journal in RAM with a cap, sparing the SD card;
# - swap in compressed RAM only (rpi-swap's zram, no writeback file on the SD card).

install -D -m 600 files/ids2-capture.nmconnection \
	"${ROOTFS_DIR}/etc/NetworkManager/system-connections/ids2-capture.nmconnection"

install -d -m 755 "${ROOTFS_DIR}/etc/systemd/journald.conf.d"
install -m 644 files/journald.conf "${ROOTFS_DIR}/etc/systemd/journald.conf.d/50-ids2.conf"

install -d -m 755 "${ROOTFS_DIR}/etc/rpi/swap.conf.d"
install -m 644 files/swap.conf "${ROOTFS_DIR}/etc/rpi/swap.conf.d/50-ids2.conf"

CONFIG_TXT="${ROOTFS_DIR}/boot/firmware/config.txt"
if ! grep -q "^# ids2:" "${CONFIG_TXT}"; then
	printf '\n[all]\n' >> "${CONFIG_TXT}"
	cat files/config.txt >> "${CONFIG_TXT}"
fi
