# main.py for a board running the aiowebserver firmware (ESP32-C3 first).
# `make deploy PORT=... WIFI_SSID=... WIFI_PASSWORD=...` copies this file to
# the board as main.py, next to wifi.json. Walk-through: docs/on-the-board.md
#
# 1. Join the Wi-Fi network named in wifi.json, {"ssid": "...", "password": "..."}:
#    at most JOIN_ATTEMPTS tries of JOIN_WAIT_S seconds each.
# 2. Otherwise (no wifi.json, a malformed one, the network refused, any error)
#    start an access point "aiowebserver-XXXX" (XXXX: the end of the board's
#    MAC address), password AP_PASSWORD, and serve on http://192.168.4.1/.
# 3. Serve a status page on / and the same data as JSON on /status.json.
# On the unix port and CPython (no `network` module) it serves on this machine.
# Ctrl-C, or any mpremote command, stops it and gives the REPL back.

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
_CONFIG_MAX = const(512)  # bytes read from wifi.json

started = time.time()
impl = sys.implementation
version = '%s %d.%d.%d' % ((impl.name,) + tuple(impl.version[:3]))
machine = getattr(impl, '_machine', sys.platform)  # the board's name on MicroPython
net = {'mode': 'local', 'ssid': None, 'ip': '127.0.0.1', 'hostname': None, 'url': None}
host = port = None  # the server's defaults: 0.0.0.0, port 80 (else 8000)


def read_wifi_json():
    # (ssid, password), or None after saying why not
    try:
        with open('wifi.json', 'rb') as f:
            text = f.read(_CONFIG_MAX)
    except OSError:
        print('wifi: no wifi.json: starting the access point')
        return None
    try:
        cfg = json.loads(text)
        ssid, password = cfg['ssid'], cfg.get('password', '')
    except (ValueError, KeyError, TypeError, AttributeError):
        ssid = password = None
    if not ssid or not isinstance(ssid, str) or not isinstance(password, str):
        print('wifi: wifi.json is malformed (want {"ssid": "...", "password": "..."}): '
              'starting the access point')
        return None
    return ssid, password


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


def start_access_point(name):
    ap = network.WLAN(network.WLAN.IF_AP)
    ap.active(True)  # the ESP32 only takes an AP config once the AP is active
    ap.config(ssid=name, key=AP_PASSWORD, security=network.WLAN.SEC_WPA2)
    ip = ap.ipconfig('addr4')[0]
    net.update(mode='access point', ssid=name, ip=ip, url='http://%s/' % ip)
    print('wifi: access point %r up, password %r, address %s' % (name, AP_PASSWORD, ip))


def start_network():
    global host, port
    if network is None:
        import os

        host = os.getenv('AIOWEBSERVER_HOST') or '127.0.0.1'
        port = int(os.getenv('AIOWEBSERVER_PORT') or 8000)  # port 80 is for root on a PC
        net['url'] = 'http://%s:%d/' % (host, port)
        print('wifi: no network module (unix port?): serving on this machine only')
        return
    mac = network.WLAN(network.WLAN.IF_STA).config('mac')
    name = 'aiowebserver-%02x%02x' % (mac[4], mac[5])
    network.hostname(name)  # before any interface is up: DHCP and mDNS take it then
    net['hostname'] = name
    config = read_wifi_json()
    ip = config and join(*config)
    if ip:
        # mDNS answers for <name>.local only on the station interface
        url = 'http://%s.local/ (or http://%s/)' % (name, ip)
        net.update(mode='station', ssid=config[0], ip=ip, url=url)
        print('wifi: joined %r as %s, address %s' % (config[0], name, ip))
    else:
        start_access_point(name)


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
               '<p>The same as JSON: <a href="/status.json">/status.json</a></p>'
               % (title, title, rows))


@web.route('GET', '/status.json')
async def status_json(rq):
    await rq.header_json()
    await rq.w(json.dumps(status()))


def serve():
    print('open', net['url'])
    web.run_forever(host=host, port=port)  # until Ctrl-C


try:
    start_network()
    serve()
except Exception as e:  # a mistake here must not leave the board unreachable
    print('error: %s: %s: falling back to the access point page' % (type(e).__name__, e))
    if network is not None:
        start_access_point(net['hostname'] or 'aiowebserver')
    serve()
