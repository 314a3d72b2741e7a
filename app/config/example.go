package config

// exampleTOML documents every field with its default. It must parse to
// Default() with data_dir replaced; config_test.go checks that.
const exampleTOML = `# permitdesk workstation configuration.
# Every field is optional; the value shown is the default.

# Identifies this workstation to the central system (3 to 32 of A-Z, 0-9, -).
station_id = "DEV-0001"
# Database, logs, rendered faces and backups. Default: ~/.local/share/permitdesk
# data_dir = "/var/lib/permitdesk"
# debug, info, warn or error.
log_level = "info"
# UI language: zh-CN or en.
language = "zh-CN"

[central]
# Base URL of the central permit system's sync API. Empty: offline only.
url = ""
# CA that signed the server certificate; the station's certificate and key.
ca_file = ""
cert_file = ""
key_file = ""
# Bound on each request.
timeout = "15s"
# Time between pulls while the link is up.
sync_interval = "30s"
# File with the pinned public key of the central system's issuance seals: a
# PEM file such as the seal-pub.pem that "permitdesk central pki init" writes,
# or a file holding the key as 64 hex digits. Empty: trust the keys fetched
# from the central system.
seal_key_file = ""

[keys]
# "psam": keys are computed by the key card in devices.psam (production).
# "file": a development master key in key_file. Never use it with real cards.
source = "psam"
key_file = ""

[printing]
# Font with CJK glyphs. Empty: the first of the usual Debian CJK fonts found.
font_file = ""
# Card templates. Empty: the built-in templates.
template_dir = ""
# Rendered faces kept for the record. Empty: <data_dir>/faces.
output_dir = ""

[issuance]
# When the revocation check cannot reach the central system:
# "allow" issues and records that the check was skipped, "block" stops.
offline_revocation_policy = "allow"
# Bound on each device step of a job.
step_timeout = "1m0s"
# Idle time after which an operator is logged out.
session_timeout = "15m0s"

# PC/SC readers are chosen by a substring of their name (see
# "permitdesk card readers"). Empty name: the device is not used.
[devices.encoder]
name = ""
# Largest data field per short APDU; up to 65535 with extended = true.
max_apdu = 239
extended = false

[devices.psam]
name = ""
max_apdu = 239
extended = false

[devices.desk_reader]
name = ""
max_apdu = 239
extended = false

# Serial devices are opened by path, or by the USB adapter's serial number.
# flow_control: none, rtscts or xonxoff.
[devices.printer]
port = ""
usb_serial = ""
baud = 115200
flow_control = "none"
timeout = "5s"
# The printer's ACK/NACK protocol (must match the printer's Pcom setting).
ack_nack = false

[devices.rewriter]
port = ""
usb_serial = ""
baud = 38400
flow_control = "none"
timeout = "5s"
ack_nack = false

[devices.idreader]
# "serial" or "hid".
transport = "serial"
port = ""
usb_serial = ""
baud = 115200
flow_control = "none"
timeout = "3s"
ack_nack = false

[devices.idreader.hid]
# Hexadecimal USB ids, and the serial number to tell identical readers apart.
vendor_id = ""
product_id = ""
serial = ""

[devices.scanner]
# A HID POS scanner (usage page 0x8C). Leave empty for keyboard-wedge scanners,
# which the app reads as fast keystrokes ending in Enter.
vendor_id = ""
product_id = ""
serial = ""
`
