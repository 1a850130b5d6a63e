# main.py for a board running the aiowebserver firmware (ESP32-C3 first).
# `make deploy PORT=... WIFI_SSID=... WIFI_PASSWORD=...` copies this file to
# the board as main.py, next to wifi.json. Walk-through: docs/on-the-board.md
# On a PC: make run EXAMPLE=device_main (serves the status page on this machine).
#
# 1. Ethernet first where the board has it: an optional "lan" entry in
#    wifi.json names the PHY and its pins (WT32-ETH01, Olimex ESP32-POE...):
#      {"lan": {"phy": "LAN8720", "phy_addr": 1, "mdc": 23, "mdio": 18,
#               "power": 12, "ref_clk": 17, "ref_clk_mode": "OUT"}}
#    (keys as in MicroPython's network.LAN for esp32; pin numbers become
#    machine.Pin objects). An image without WLAN (Ethernet only, the QEMU
#    image) uses network.LAN(phy_addr=1, phy_type=network.PHY_OPENETH)
#    unless "lan" says otherwise.
# 2. Else join the Wi-Fi network named in wifi.json, {"ssid": "...",
#    "password": "..."}: at most JOIN_ATTEMPTS tries of JOIN_WAIT_S seconds.
# 3. No working Wi-Fi settings (no wifi.json, a malformed one, the network
#    refused, or BOOT pressed within 1.5 s of the start): the setup portal, an
#    access point "aiowebserver-XXXX" (XXXX: the end of the board's MAC
#    address), password AP_PASSWORD, whose page opens on a phone that joins it;
#    the network picked there is joined and saved, with the admin password
#    chosen there (required while none is set; docs/portal.md). On any
#    error: the access point alone, with this page on 192.168.4.1.
# 4. Serve a status page on / and the same data as JSON on /status.json, in
#    every case: if no interface came up it says so and serves on whatever is.
# 5. The device page on /device (aiowebserver.device): live status, Wi-Fi,
#    firmware updates, main.py upload (docs/ota.md). Once serving, a new
#    firmware is confirmed; one that never gets here is rolled back.
# On the unix port and CPython (no `network` module) it serves on this machine.
# Ctrl-C, or any mpremote command, stops it and gives the REPL back.

import asyncio
import gc
import json
import sys
import time

import aiowebserver as web

try:
    from micropython import const
except ImportError:  # CPython

    def const(x):
        return x


try:
    import network
except ImportError:  # unix port, CPython
    network = None

AP_PASSWORD = 'aiowebserver'  # WPA2: 8 to 63 characters; change it here
JOIN_ATTEMPTS = const(3)
JOIN_WAIT_S = const(10)  # per attempt: the fallback starts within 30 s
LAN_WAIT_S = const(10)  # for an Ethernet address from DHCP
_CONFIG_MAX = const(512)  # bytes read from wifi.json
BOOT_PIN = const(9)  # the BOOT button of ESP32-C3 boards (0 on ESP32 boards): low when pressed

started = time.time()
impl = sys.implementation
version = '%s %d.%d.%d' % ((impl.name,) + tuple(impl.version[:3]))
machine = getattr(impl, '_machine', sys.platform)  # the board's name on MicroPython
net = {'mode': 'local', 'ssid': None, 'ip': '127.0.0.1', 'hostname': None, 'url': None}
host = port = None  # the server's defaults: 0.0.0.0, port 80 (else 8000)


_MALFORMED = 'wifi.json is malformed (want {"ssid": "...", "password": "..."})'


def read_config():
    # wifi.json as a dict, else why not (a str)
    try:
        with open('wifi.json', 'rb') as f:
            cfg = json.loads(f.read(_CONFIG_MAX))
    except OSError:
        return 'no wifi.json'
    except ValueError:  # not JSON, not utf-8, cut short
        cfg = None
    return cfg if isinstance(cfg, dict) else _MALFORMED


def wifi_settings(cfg):
    # (ssid, password) from the config, or None after saying why not
    if isinstance(cfg, dict):
        ssid, password = cfg.get('ssid'), cfg.get('password', '')
        if ssid and isinstance(ssid, str) and isinstance(password, str):
            return ssid, password
        cfg = _MALFORMED
    print('wifi: %s: starting the access point' % cfg)
    return None


def join(ssid, password):
    # the IP address once joined, or None after JOIN_ATTEMPTS failed tries
    sta = network.WLAN(network.WLAN.IF_STA)
    sta.active(True)
    if sta.isconnected():
        sta.disconnect()  # still on a network from before a soft reset (Ctrl-D)
    refused = {network.STAT_WRONG_PASSWORD: 'wrong password',
               network.STAT_NO_AP_FOUND: 'network not found (the chip sees 2.4 GHz only)',
               network.STAT_CONNECT_FAIL: 'connection failed'}
    for attempt in range(1, JOIN_ATTEMPTS + 1):
        print('wifi: joining %r (attempt %d/%d)' % (ssid, attempt, JOIN_ATTEMPTS))
        sta.connect(ssid, password)
        why = 'no answer within %d s (a wrong password looks like this too)' % JOIN_WAIT_S
        for _ in range(JOIN_WAIT_S * 10):
            status = sta.status()
            if status == network.STAT_GOT_IP:
                return sta.ipconfig('addr4')[0]
            if status in refused:
                why = refused[status]
                break
            time.sleep(0.1)
        print('wifi: could not join %r: %s' % (ssid, why))
        sta.disconnect()
    sta.active(False)  # a station still searching would disturb the access point
    return None


def boot_pressed():
    # BOOT pressed within 1.5 s of the start: Wi-Fi setup. (Held during a reset
    # it starts the chip's ROM bootloader instead: press it just after.)
    try:
        from machine import Pin

        pin = Pin(BOOT_PIN, Pin.IN, Pin.PULL_UP)
    except (ImportError, AttributeError):  # unix port, CPython
        return False
    print('wifi: press BOOT now for Wi-Fi setup')
    for _ in range(30):
        if pin.value() == 0:
            print('wifi: BOOT pressed: Wi-Fi setup')
            return True
        time.sleep(0.05)
    return False


def start_access_point(name):
    ap = network.WLAN(network.WLAN.IF_AP)
    ap.active(True)  # the ESP32 only takes an AP config once the AP is active
    ap.config(ssid=name, key=AP_PASSWORD, security=network.WLAN.SEC_WPA2)
    ip = ap.ipconfig('addr4')[0]
    net.update(mode='access point', ssid=name, ip=ip, url='http://%s/' % ip)
    print('wifi: access point %r up, password %r, address %s' % (name, AP_PASSWORD, ip))


def set_name(nic):
    # aiowebserver-XXXX from the interface's MAC, before it is up: DHCP and mDNS take it then
    mac = nic.config('mac')
    name = 'aiowebserver-%02x%02x' % (mac[4], mac[5])
    network.hostname(name)
    net['hostname'] = name
    return name


def start_lan(cfg):
    # Ethernet: True once it has an address (False: up without one, or failed)
    cfg = cfg if isinstance(cfg, dict) else {'phy': 'OPENETH'}  # QEMU's NIC
    kw = {'phy_addr': 1}
    for key, value in cfg.items():
        if key == 'phy':
            kw['phy_type'] = getattr(network, 'PHY_' + value)  # AttributeError: not in this firmware
        elif key == 'ref_clk_mode':
            from machine import Pin
            kw[key] = getattr(Pin, value)  # "OUT": the ESP32 drives the clock, "IN": the PHY
        elif key in ('mdc', 'mdio', 'power', 'reset', 'ref_clk'):
            from machine import Pin
            kw[key] = Pin(value)
        else:
            kw[key] = value
    print('lan: starting Ethernet (%s)' % ', '.join('%s=%s' % kv for kv in sorted(cfg.items())))
    lan = network.LAN(**kw)
    name = set_name(lan)
    lan.active(True)
    for _ in range(LAN_WAIT_S * 10):
        if lan.isconnected():
            ip = lan.ipconfig('addr4')[0]
            net.update(mode='ethernet', ip=ip, url='http://%s/' % ip)
            print('lan: up as %s, address %s' % (name, ip))
            return True
        time.sleep(0.1)
    print('lan: no address within %d s (cable? DHCP server?)' % LAN_WAIT_S)
    return False


def start_network():
    global host, port
    if network is None:
        import os

        host = os.getenv('AIOWEBSERVER_HOST') or '127.0.0.1'
        port = int(os.getenv('AIOWEBSERVER_PORT') or 8000)  # port 80 is for root on a PC
        net['url'] = 'http://%s:%d/' % (host, port)
        print('wifi: no network module (unix port?): serving on this machine only')
        return
    cfg = read_config()
    lan = cfg.get('lan') if isinstance(cfg, dict) else None
    wlan = hasattr(network, 'WLAN')
    if lan or not wlan or 'qemu' in machine.lower():
        if not wlan:
            print('wifi: this firmware has no WLAN (Ethernet only, or the QEMU image): using Ethernet')
        try:
            if start_lan(lan):
                return
        except Exception as e:
            print('lan: could not start Ethernet: %s: %s' % (type(e).__name__, e))
        if not wlan:
            return nothing_up()
    name = set_name(network.WLAN(network.WLAN.IF_STA))
    wifi = wifi_settings(cfg)
    if wifi and boot_pressed():
        wifi = None
    ip = wifi and join(*wifi)
    ssid = wifi and wifi[0]
    if not ip:
        ssid, ip = no_wifi(name)
    # mDNS answers for <name>.local only on the station interface
    url = 'http://%s.local/ (or http://%s/)' % (name, ip)
    net.update(mode='station', ssid=ssid, ip=ip, url=url)
    print('wifi: joined %r as %s, address %s' % (ssid, name, ip))


def no_wifi(name):
    # No working Wi-Fi settings (none, malformed, refused, BOOT pressed): the
    # setup portal on the board's own access point, loaded only now; (ssid, ip)
    # once a phone picked a network that works (docs/portal.md)
    import aiowebserver.portal as portal

    net.update(mode='setup', ssid=name)
    return portal.setup(name, AP_PASSWORD)


def nothing_up():
    # No interface came up: serve anyway (0.0.0.0), on any that comes up later
    net.update(mode='no network', ip=None)
    print('network: no interface came up: serving anyway, on whatever interface is up')


FIELDS = ('mode', 'ssid', 'ip', 'hostname', 'url', 'uptime_s', 'heap_free', 'version', 'machine')


def status():
    gc.collect()
    info = dict(net)
    info['uptime_s'] = int(time.time() - started)
    info['heap_free'] = gc.mem_free() if hasattr(gc, 'mem_free') else None  # None on CPython
    info['version'] = version
    info['machine'] = machine
    return info


def escape(value):
    value = '-' if value is None else str(value)
    return value.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')


@web.route('GET', '/')
async def status_page(rq):
    info = status()
    title = escape(net['hostname'] or 'aiowebserver')
    rows = ''.join('<tr><th>%s</th><td>%s</td></tr>' % (key, escape(info[key])) for key in FIELDS)
    await rq.w('<!doctype html><meta charset="utf-8">'
               '<meta name="viewport" content="width=device-width,initial-scale=1">'
               '<title>%s</title><h1>%s</h1><table>%s</table>'
               '<p>The same as JSON: <a href="/status.json">/status.json</a>; '
               'updates and settings: <a href="/device">/device</a></p>'
               % (title, title, rows))


@web.route('GET', '/status.json')
async def status_json(rq):
    await rq.header_json()
    await rq.w(json.dumps(status()))


async def serve_then_confirm():
    from aiowebserver import device

    await web.start(host=host, port=port)
    slot = device.confirm()  # it serves: the bootloader keeps this firmware
    if slot:
        print('ota: running from %s, confirmed' % slot)
    while True:
        await asyncio.sleep(3600)


def serve():
    from aiowebserver import device

    device.routes(status=status)
    if net['url']:
        print('open', net['url'])
    try:
        asyncio.run(serve_then_confirm())  # until Ctrl-C
    except KeyboardInterrupt:
        print('aiowebserver: stopped')
    finally:
        web.stop()


try:
    start_network()
except Exception as e:  # a mistake here must not leave the board unreachable
    print('error: %s: %s: falling back to %s' % (type(e).__name__, e, 'the access point page'
          if hasattr(network, 'WLAN') else 'whatever interface is up'))
    try:
        start_access_point(net['hostname'] or 'aiowebserver')
    except Exception as e:  # no Wi-Fi at all
        print('error: %s: %s' % (type(e).__name__, e))
        nothing_up()
serve()
