"""examples/device_main.py, the main.py that `make deploy` puts on the board.

The template runs for real on each runtime and is asked for its pages over
loopback. Where the chip's `network` module is needed, a small stand-in for
it (FAKE_NETWORK below) is written into the test's own temporary directory,
beside a copy of the template, so `import network` finds it there and nowhere
else; the runtime and the server stay real.
"""

import json
import os
import shutil
import socket
import struct
import subprocess
import time

import pytest

from helpers import ROOT, free_port

TEMPLATE = os.path.join(ROOT, 'examples', 'device_main.py')
AP_NAME = 'aiowebserver-abcd'  # from the stand-in's MAC address, ends in ab:cd
AP_PASSWORD = 'aiowebserver'
HEAP_KB = 128  # MicroPython's heap for the status page test (heap_free must fit in it)
# The template is compiled from source at boot, so its bytecode lives in the
# heap beside the server's: with Wi-Fi, Ethernet and their fallbacks it leaves
# too little of 64k (64-bit objects) for the page after a few requests. The
# small-heap runtimes give it 96k, about 48k of 32-bit objects: an ESP32-C3
# has about 170 KB free at boot.
BOARD_HEAP = '96k'
FIELDS = {'mode', 'ssid', 'ip', 'hostname', 'url', 'uptime_s', 'heap_free', 'version', 'machine'}

# What the ESP32 port's network module does that main.py relies on: AP
# settings are refused until the AP is active, connect() reports its outcome
# through status(), the station and the AP have their own addresses. JOIN
# chooses how the Wi-Fi network answers: 'ok', a STAT_* name, or 'radio error'.
FAKE_NETWORK = '''
JOIN = %r
STAT_IDLE = 1000
STAT_CONNECTING = 1001
STAT_GOT_IP = 1010
STAT_NO_AP_FOUND = 201
STAT_WRONG_PASSWORD = 202
STAT_CONNECT_FAIL = 203
_name = ['esp32c3']


def hostname(name=None):
    if name is None:
        return _name[0]
    _name[0] = name

_made = {}


class WLAN:
    IF_STA = 0
    IF_AP = 1
    SEC_WPA2 = 3

    def __init__(self, interface_id=0):
        self.kind = ('STA', 'AP')[interface_id]
        last = _made.get(interface_id)  # one interface, however many objects: its state carries over
        self.up = last.up if last else False
        self.state = last.state if last else STAT_IDLE
        _made[interface_id] = self

    def active(self, up=None):
        if up is None:
            return self.up
        if self.kind == 'STA' and JOIN == 'radio error':
            raise OSError('Wifi Internal Error')
        self.up = up
        print('fake network: %%s active(%%r)' %% (self.kind, up))

    def config(self, *query, **settings):
        if query == ('mac',):
            return b'\\x58\\xcf\\x79\\x12\\xab\\xcd'
        if not self.up:
            raise OSError('Wifi Invalid Mode')
        print('fake network: %%s config %%s' %% (self.kind, ' '.join(
            '%%s=%%r' %% item for item in sorted(settings.items()))))

    def connect(self, ssid, key):
        print('fake network: STA connect(%%r, %%r) as host %%r' %% (ssid, key, _name[0]))
        self.state = STAT_GOT_IP if JOIN == 'ok' else globals()[JOIN]

    def status(self, param=None):
        return -61 if param == 'rssi' else self.state

    def isconnected(self):
        return self.state == STAT_GOT_IP

    def disconnect(self):
        self.state = STAT_IDLE

    def ipconfig(self, key):
        return ('192.168.1.50' if self.kind == 'STA' else '192.168.4.1', '255.255.255.0')
'''

# The Ethernet side of the esp32 port's network module, as MicroPython
# documents network.LAN: keyword arguments phy_addr, phy_type (network.PHY_*),
# mdc/mdio/power/ref_clk (machine.Pin objects), ref_clk_mode (Pin.IN/OUT);
# active(), isconnected(), ipconfig('addr4'), config('mac'). LAN chooses what
# the Ethernet does: 'ok' (DHCP answers) or 'broken' (the driver fails, as
# esp_eth_driver_install does without a PHY).
FAKE_LAN = '''
LAN_MODE = %r
PHY_LAN8720 = 0
PHY_OPENETH = 9
_name = ['esp32c3']


def hostname(name=None):
    if name is None:
        return _name[0]
    _name[0] = name


class LAN:
    def __init__(self, id=None, **kw):
        names = {PHY_LAN8720: 'PHY_LAN8720', PHY_OPENETH: 'PHY_OPENETH'}
        print('fake network: LAN(%%s)' %% ', '.join('%%s=%%s' %% (k, names.get(v, v) if k == 'phy_type'
                                                             else v) for k, v in sorted(kw.items())))
        if LAN_MODE == 'broken':
            raise OSError('esp_eth_driver_install failed')
        self.up = False

    def active(self, up=None):
        if up is None:
            return self.up
        self.up = up
        print('fake network: LAN active(%%r) as host %%r' %% (up, _name[0]))

    def isconnected(self):
        return self.up

    def config(self, *query):
        if query == ('mac',):
            return b'\\x02\\x00\\x00\\x00\\xab\\xcd'
        raise ValueError('unknown config param')

    def ipconfig(self, key):
        return ('10.0.2.15', '255.255.255.0')
'''

# machine.Pin as the esp32 port has it, enough for network.LAN's pins
FAKE_MACHINE = '''
class Pin:
    IN = 1
    OUT = 3

    def __init__(self, id):
        self.id = id

    def __repr__(self):
        return 'Pin(%d)' % self.id
'''


def is_micropython(runtime):
    return 'cpython' not in str(runtime)


def wait_for_log(app, text, timeout=10.0):
    """The app's output once it contains text (or fail with what it printed)."""
    deadline = time.monotonic() + timeout
    while True:
        log = app.log()
        if text in log:
            return log
        if time.monotonic() > deadline:
            pytest.fail('%r never appeared in the output:\n%s' % (text, log))
        time.sleep(0.02)  # polling the output, not waiting for a guess


SETUP = "setup: join '%s' with a phone" % AP_NAME  # the setup portal runs


def start_board(start_app, tmp_path, join='ok', wifi_json=None, until=SETUP, lan=None,
                heap=None):
    """Run main.py in a directory standing in for the board's filesystem (the
    template, the chip's network module, wifi.json (bytes or str) unless None)
    until it prints `until`; returns the app and its output. join=None: a
    network module without WLAN; lan: 'ok' or 'broken' adds network.LAN. The
    setup portal's DNS gets a free port (app.dns_port), not 53."""
    shutil.copy(TEMPLATE, str(tmp_path / 'main.py'))
    module = (FAKE_NETWORK % join if join else '') + (FAKE_LAN % lan if lan else '')
    (tmp_path / 'network.py').write_text(module)
    (tmp_path / 'machine.py').write_text(FAKE_MACHINE)
    if wifi_json is not None:
        data = wifi_json.encode() if isinstance(wifi_json, str) else wifi_json
        (tmp_path / 'wifi.json').write_bytes(data)
    if heap is None and start_app.runtime in ('mpy', 'frozen'):
        heap = BOARD_HEAP
    dns_port = free_port(socket.SOCK_DGRAM)
    app = start_app(str(tmp_path / 'main.py'), cwd=str(tmp_path), heap=heap,
                    env={'AIOWEBSERVER_DNS_PORT': str(dns_port)})
    app.dns_port = dns_port
    return app, wait_for_log(app, until)


def status_json(app):
    status, headers, body = app.request('GET', '/status.json')
    assert status == 200
    assert headers['content-type'].startswith('application/json')
    info = json.loads(body)
    assert set(info) == FIELDS
    return info


def test_on_a_pc_the_template_serves_its_status_page_and_json(runtime, start_app):
    app = start_app(TEMPLATE, heap='%dk' % HEAP_KB)
    log = wait_for_log(app, 'open http://127.0.0.1:%d/' % app.port)
    assert 'wifi: no network module (unix port?): serving on this machine only' in log

    info = status_json(app)
    assert info['mode'] == 'local'
    assert info['ip'] == '127.0.0.1'
    assert info['url'] == 'http://127.0.0.1:%d/' % app.port
    assert 0 <= info['uptime_s'] < 600
    if is_micropython(runtime):
        assert info['version'].startswith('micropython 1.')
        assert 0 < info['heap_free'] < HEAP_KB * 1024
    else:
        assert info['version'].startswith('cpython 3.')
        assert info['heap_free'] is None

    status, headers, body = app.request('GET', '/')
    assert status == 200
    assert headers['content-type'].startswith('text/html')
    page = body.decode()
    for field in FIELDS:
        assert '<th>%s</th>' % field in page
    assert info['version'] in page
    assert '<a href="/status.json">' in page


def test_a_board_with_wifi_json_joins_the_network_and_answers_as_name_local(
        runtime, start_app, tmp_path):
    app, log = start_board(
        start_app, tmp_path, 'ok', json.dumps({'ssid': 'home', 'password': 'secret pw'}),
        until='open http://%s.local/ (or http://192.168.1.50/)' % AP_NAME)
    assert "wifi: joining 'home' (attempt 1/3)" in log
    # the name must be set before connecting: DHCP and mDNS take it then
    assert "fake network: STA connect('home', 'secret pw') as host '%s'" % AP_NAME in log
    assert "wifi: joined 'home' as %s, address 192.168.1.50" % AP_NAME in log
    assert 'AP active' not in log

    info = status_json(app)
    assert (info['mode'], info['ssid'], info['ip'], info['hostname']) == (
        'station', 'home', '192.168.1.50', AP_NAME)
    status, _, body = app.request('GET', '/')
    assert status == 200 and b'<h1>%s</h1>' % AP_NAME.encode() in body


def assert_access_point(app, log):
    assert ("fake network: AP config key='%s' security=3 ssid='%s'" % (AP_PASSWORD, AP_NAME)
            in log)
    assert ("wifi: access point '%s' up, password '%s', address 192.168.4.1"
            % (AP_NAME, AP_PASSWORD) in log)
    info = status_json(app)
    assert (info['mode'], info['ssid'], info['ip'], info['hostname'], info['url']) == (
        'access point', AP_NAME, '192.168.4.1', AP_NAME, 'http://192.168.4.1/')
    status, _, body = app.request('GET', '/')
    assert status == 200 and b'access point' in body


def assert_setup_portal(app, log):
    """The access point is up and the setup portal answers for it: its page on
    the AP's address, a redirect there for other names, its address in DNS
    (test_portal.py tests the portal itself)."""
    assert ("fake network: AP config key='%s' security=3 ssid='%s'" % (AP_PASSWORD, AP_NAME)
            in log)
    assert ("wifi: access point '%s' up, password '%s', address 192.168.4.1"
            % (AP_NAME, AP_PASSWORD) in log)
    board = {'Host': '192.168.4.1'}
    status, headers, body = app.request('GET', '/status.json', headers=board)
    info = json.loads(body)
    assert (info['mode'], info['ssid'], info['hostname']) == ('setup', AP_NAME, AP_NAME)
    status, _, body = app.request('GET', '/', headers=board)
    assert status == 200 and b'<form method=post action=/join>' in body
    status, headers, _ = app.request('GET', '/generate_204',
                                     headers={'Host': 'connectivitycheck.gstatic.com'})
    assert status == 302 and headers['location'] == 'http://192.168.4.1:%d/' % app.port
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as dns:
        dns.settimeout(5)
        dns.sendto(struct.pack('>HHHHHH', 0xabcd, 0x100, 1, 0, 0, 0)
                   + b'\x07example\x03com\x00\x00\x01\x00\x01', ('127.0.0.1', app.dns_port))
        answer = dns.recv(512)
    assert answer[:2] == b'\xab\xcd' and answer[-4:] == socket.inet_aton('192.168.4.1')


def test_a_board_without_wifi_json_says_so_and_starts_its_access_point(
        runtime, start_app, tmp_path):
    app, log = start_board(start_app, tmp_path)
    assert 'wifi: no wifi.json: starting the access point' in log
    assert 'STA connect' not in log
    assert_setup_portal(app, log)


@pytest.mark.parametrize('content', [
    '{"ssid": "home", "password": ',  # cut short
    '["home", "secret"]',  # not an object
    '{"password": "secret"}',  # no ssid
    '{"ssid": "", "password": "secret"}',  # empty ssid
    '{"ssid": 42, "password": "secret"}',  # not text
    b'\xff\xfe not json',  # not even text
    '{"ssid": "home", "password": "%s"}' % ('x' * 600),  # longer than main.py reads
], ids=['truncated', 'list', 'no-ssid', 'empty-ssid', 'number', 'binary', 'huge'])
def test_a_malformed_wifi_json_is_reported_and_the_access_point_starts(
        runtime, start_app, tmp_path, content):
    app, log = start_board(start_app, tmp_path, 'ok', content)
    assert ('wifi: wifi.json is malformed (want {"ssid": "...", "password": "..."}): '
            'starting the access point' in log)
    assert 'STA connect' not in log
    assert_setup_portal(app, log)


def test_a_refused_password_is_tried_three_times_then_the_access_point_starts(
        runtime, start_app, tmp_path):
    app, log = start_board(
        start_app, tmp_path, 'STAT_WRONG_PASSWORD', '{"ssid": "home", "password": "wrong"}')
    for attempt in (1, 2, 3):
        assert "wifi: joining 'home' (attempt %d/3)" % attempt in log
    assert log.count("wifi: could not join 'home': wrong password") == 3
    assert 'attempt 4' not in log
    # the station is switched off before the access point goes up
    assert log.index('fake network: STA active(False)') < log.index('fake network: AP active(True)')
    assert_setup_portal(app, log)


def test_an_unreachable_network_is_reported_as_not_found(runtime, start_app, tmp_path):
    app, log = start_board(
        start_app, tmp_path, 'STAT_NO_AP_FOUND', '{"ssid": "elsewhere", "password": "pw"}')
    assert "wifi: could not join 'elsewhere': network not found" in log
    assert_setup_portal(app, log)


def test_an_error_while_starting_is_logged_and_the_access_point_page_still_answers(
        runtime, start_app, tmp_path):
    app, log = start_board(
        start_app, tmp_path, 'radio error', '{"ssid": "home", "password": "secret"}',
        until='open http://192.168.4.1/')
    assert ('error: OSError: Wifi Internal Error: falling back to the access point page'
            in log)
    assert_access_point(app, log)


def test_a_board_without_wlan_serves_over_ethernet_and_prints_its_address(
        runtime, start_app, tmp_path):
    # the QEMU image and Ethernet-only builds: network has LAN but no WLAN
    app, log = start_board(start_app, tmp_path, join=None, lan='ok',
                           until='open http://10.0.2.15/')
    assert 'wifi: this firmware has no WLAN (Ethernet only, or the QEMU image): using Ethernet' in log
    assert 'fake network: LAN(phy_addr=1, phy_type=PHY_OPENETH)' in log  # QEMU's open_eth NIC
    # the name is set before the interface is up: DHCP takes it then
    assert "fake network: LAN active(True) as host '%s'" % AP_NAME in log
    assert 'lan: up as %s, address 10.0.2.15' % AP_NAME in log
    assert 'error' not in log and 'Traceback' not in log
    info = status_json(app)
    assert (info['mode'], info['ip'], info['hostname'], info['url']) == (
        'ethernet', '10.0.2.15', AP_NAME, 'http://10.0.2.15/')


def test_a_lan_entry_in_wifi_json_chooses_the_phy_and_pins_before_wifi(
        runtime, start_app, tmp_path):
    # a WT32-ETH01: Wi-Fi and Ethernet in the firmware, the wiring in wifi.json
    lan = {'phy': 'LAN8720', 'phy_addr': 1, 'mdc': 23, 'mdio': 18, 'power': 12,
           'ref_clk': 17, 'ref_clk_mode': 'OUT'}
    app, log = start_board(start_app, tmp_path, 'ok', json.dumps({'lan': lan, 'ssid': 'home'}),
                           until='open http://10.0.2.15/', lan='ok')
    assert ('fake network: LAN(mdc=Pin(23), mdio=Pin(18), phy_addr=1, phy_type=PHY_LAN8720, '
            'power=Pin(12), ref_clk=Pin(17), ref_clk_mode=3)' in log)
    assert 'STA' not in log  # Ethernet is up: Wi-Fi is not started
    assert status_json(app)['mode'] == 'ethernet'


def test_when_ethernet_fails_too_the_board_still_serves_and_says_so_in_one_line(
        runtime, start_app, tmp_path):
    app, log = start_board(start_app, tmp_path, join=None, lan='broken',
                           until='aiowebserver: serving on')
    assert 'lan: could not start Ethernet: OSError: esp_eth_driver_install failed' in log
    assert log.count('network: no interface came up: serving anyway, on whatever interface is up') == 1
    assert 'Traceback' not in log
    info = status_json(app)
    assert (info['mode'], info['ip']) == ('no network', None)
    assert app.request('GET', '/')[0] == 200


def test_a_board_with_wifi_whose_ethernet_fails_joins_the_wifi_network(runtime, start_app, tmp_path):
    app, log = start_board(start_app, tmp_path, 'ok', json.dumps({'lan': {'phy': 'LAN8720'}, 'ssid': 'home'}),
                           until='open http://%s.local/ (or http://192.168.1.50/)' % AP_NAME, lan='broken')
    assert 'lan: could not start Ethernet: OSError: esp_eth_driver_install failed' in log
    assert "wifi: joined 'home' as %s, address 192.168.1.50" % AP_NAME in log
    assert 'network: no interface' not in log
    assert status_json(app)['mode'] == 'station'


def test_the_wifi_password_file_is_never_committed():
    result = subprocess.run(['git', 'check-ignore', '-q', 'wifi.json'], cwd=ROOT)
    assert result.returncode == 0, 'wifi.json is not in .gitignore'


@pytest.mark.skipif(not os.path.exists(os.path.join(ROOT, 'mk', 'firmware.mk')),
                    reason='mk/firmware.mk (the deploy target, issue 5) is not in the tree yet')
def test_make_deploy_dry_run_shows_the_mpremote_commands():
    result = subprocess.run(
        ['make', '-n', 'deploy', 'WIFI_SSID=x', 'WIFI_PASSWORD=y', 'PORT=/dev/ttyUSB0'],
        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    copies = [line for line in out.splitlines() if 'mpremote connect /dev/ttyUSB0' in line]
    assert copies, out
    assert 'cp examples/device_main.py :main.py' in copies[-1]
    assert 'cp wifi.json :wifi.json' in copies[-1]
    assert '"ssid"' in out and '"password"' in out  # how wifi.json gets written
