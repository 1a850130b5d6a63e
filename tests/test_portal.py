"""The setup portal (aiowebserver/portal.py, aiowebserver/dns.py) as the
device template runs it: no wifi.json, so the board opens its access point and
a phone sets it up.

As in test_device_main.py, the template runs for real beside a stand-in for
the chip's `network` module written into the test's temporary directory
(FAKE_NETWORK: MicroPython's documented network.WLAN API). The stand-in's
access point has the address 127.0.0.1, where the test's server listens, so
the redirects lead a real browser to the real setup page; the DNS responder
listens on a free UDP port and gets real queries built with struct.
"""

import hashlib
import json
import os
import re
import shutil
import socket
import struct

import pytest

from helpers import ROOT, free_port, wait_for_port
from test_device import HEAP as DEVICE_HEAP, auth, from_address
from test_device_main import wait_for_log

TEMPLATE = os.path.join(ROOT, 'examples', 'device_main.py')
AP_NAME = 'aiowebserver-abcd'
HOME_PASSWORD = 'correct horse'
LONG_NAME = '\u00e9' * 16  # 32 bytes of UTF-8, the longest network name
HEX_KEY = '0123456789abcdef' * 4  # a 64-character password: a WPA key in hex
HTML_NAME = 'caf\u00e9 <b>&"free"</b>'
ADMIN = 'admin pass 42'  # the device page's admin password, chosen on the setup page
OLD_ADMIN = 'the old one'

# The ESP32 port's network module as main.py and the portal use it. scan()
# gives (ssid, bssid, channel, RSSI, security, hidden) tuples; connect()
# answers through status(): STAT_CONNECTING for two looks, then STAT_GOT_IP
# for the right password, STAT_WRONG_PASSWORD for another, STAT_NO_AP_FOUND for
# a network that is not there.
FAKE_NETWORK = r'''
STAT_IDLE = 1000
STAT_CONNECTING = 1001
STAT_GOT_IP = 1010
STAT_NO_AP_FOUND = 201
STAT_WRONG_PASSWORD = 202
STAT_CONNECT_FAIL = 203
PASSWORDS = %r
SCAN = [  # two access points of 'home', one hidden network, one name not UTF-8
    (b'home', b'\x01\x02\x03\x04\x05\x06', 6, -71, 3, False),
    (%r, b'\x01\x02\x03\x04\x05\x07', 1, -60, 0, False),
    (b'home', b'\x01\x02\x03\x04\x05\x08', 11, -48, 3, False),
    (%r, b'\x01\x02\x03\x04\x05\x09', 3, -80, 4, False),
    (b'', b'\x01\x02\x03\x04\x05\x0a', 9, -40, 3, True),
    (b'\xff\xfebad', b'\x01\x02\x03\x04\x05\x0b', 9, -45, 3, False),
]
_name = ['esp32c3']


def hostname(name=None):
    if name is None:
        return _name[0]
    _name[0] = name


class WLAN:
    IF_STA = 0
    IF_AP = 1
    SEC_OPEN = 0
    SEC_WPA2 = 3

    def __init__(self, interface_id=0):
        self.kind = ('STA', 'AP')[interface_id]
        self.up = False
        self.state = STAT_IDLE
        self.looks = 0

    def active(self, up=None):
        if up is None:
            return self.up
        self.up = up
        print('fake network: %%s active(%%r)' %% (self.kind, up))

    def config(self, *query, **settings):
        if query == ('mac',):
            return b'\x58\xcf\x79\x12\xab\xcd'
        if not self.up:
            raise OSError('Wifi Invalid Mode')
        print('fake network: %%s config %%s' %% (self.kind, ' '.join(
            '%%s=%%r' %% item for item in sorted(settings.items()))))

    def scan(self):
        if self.kind != 'STA' or not self.up:
            raise OSError('Wifi Invalid Mode')
        print('fake network: STA scan')
        return list(SCAN)

    def connect(self, ssid, key):
        if not self.up:
            raise OSError('Wifi Invalid Mode')
        print('fake network: STA connect(%%r, %%r)' %% (ssid, key))
        self.looks = 0
        if ssid not in PASSWORDS:
            self.result = STAT_NO_AP_FOUND
        elif key != PASSWORDS[ssid]:
            self.result = STAT_WRONG_PASSWORD
        else:
            self.result = STAT_GOT_IP
        self.state = STAT_CONNECTING

    def status(self):
        if self.state == STAT_CONNECTING:
            self.looks += 1
            if self.looks > 2:
                self.state = self.result
        return self.state

    def isconnected(self):
        return self.state == STAT_GOT_IP

    def disconnect(self):
        self.state = STAT_IDLE

    def ipconfig(self, key):
        assert key == 'addr4'
        return ('192.168.1.50' if self.kind == 'STA' else '127.0.0.1', '255.255.255.0')
''' % ({'home': HOME_PASSWORD, HTML_NAME: '', LONG_NAME: HEX_KEY},
       HTML_NAME.encode(), LONG_NAME.encode())

PROBES = [  # (Host, path) the phones and browsers ask to learn whether they are online
    ('connectivitycheck.gstatic.com', '/generate_204'),  # Android
    ('clients3.google.com', '/generate_204'),  # older Android
    ('captive.apple.com', '/hotspot-detect.html'),  # iPhone, Mac
    ('www.msftconnecttest.com', '/connecttest.txt'),  # Windows
    ('detectportal.firefox.com', '/canonical.html'),  # Firefox
    ('detectportal.firefox.com', '/success.txt'),
    ('example.com', '/'),  # any other name the phone asks for
    ('127.0.0.1', '/generate_204'),  # the probe paths on the board's own address too
]
ONLINE = (b'Success', b'Microsoft Connect Test', b'success')  # the "online" answers


def start_setup(start_app, tmp_path, wifi_json=None, heap=None):
    """main.py with the stand-in network module and no usable wifi.json: the
    app once its portal runs, its log, and the DNS port.

    The mpy runtime gets 128k (64-bit objects: about 64 KB of a 32-bit
    chip's): loaded from .mpy files the portal's bytecode and page constants
    take about 19 KB of heap beside the template's own compiled source and
    the modules it loads (device, ota...); at 96k the heap keeps 19 KB free
    but in pieces, and a few dozen requests later a 1 KB read can fail.
    Frozen into firmware, as on the board, the bytecode stays in flash: the
    frozen runtime keeps its 64k (docs/portal.md has the figures) unless
    `heap` says otherwise."""
    heap = heap or ('128k' if start_app.runtime == 'mpy' else None)
    shutil.copy(TEMPLATE, str(tmp_path / 'main.py'))
    (tmp_path / 'network.py').write_text(FAKE_NETWORK)
    if wifi_json is not None:
        (tmp_path / 'wifi.json').write_text(wifi_json)
    dns_port = free_port(socket.SOCK_DGRAM)
    app = start_app(str(tmp_path / 'main.py'), cwd=str(tmp_path), heap=heap,
                    env={'AIOWEBSERVER_DNS_PORT': str(dns_port)})
    log = wait_for_log(app, "setup: join '%s' with a phone" % AP_NAME)
    return app, log, dns_port


def dns_query(qid, name, qtype=1, flags=0x0100):
    """A DNS query packet: header, one question (labels, type, class IN)."""
    packet = struct.pack('>HHHHHH', qid, flags, 1, 0, 0, 0)
    for label in name.split('.'):
        packet += bytes([len(label)]) + label.encode()
    return packet + b'\x00' + struct.pack('>HH', qtype, 1)


def dns_parse(packet):
    """(id, flags, question count, [(type, class, ttl, rdata)]) of an answer."""
    qid, flags, qd, an, ns, ar = struct.unpack('>HHHHHH', packet[:12])
    i = 12
    for _ in range(qd):
        while packet[i]:
            i += packet[i] + 1
        i += 5
    answers = []
    for _ in range(an):
        assert packet[i:i + 2] == b'\xc0\x0c'  # the question's name
        rtype, rclass, ttl, size = struct.unpack('>HHIH', packet[i + 2:i + 12])
        answers.append((rtype, rclass, ttl, packet[i + 12:i + 12 + size]))
        i += 12 + size
    assert i == len(packet) and ns == ar == 0
    return qid, flags, qd, answers


def post_form(app, fields, headers=None):
    body = '&'.join('%s=%s' % (k, quote(v)) for k, v in fields)
    head = {'Content-Type': 'application/x-www-form-urlencoded'}
    head.update(headers or {})
    return app.request('POST', '/join', body=body.encode(), headers=head, timeout=30)


def quote(value):
    from urllib.parse import quote_plus

    return quote_plus(value)


def assert_nothing_saved(tmp_path):
    assert not (tmp_path / 'wifi.json').exists()
    assert not (tmp_path / 'wifi.json.tmp').exists()


def test_setup_mode_answers_dns_redirects_probes_lists_networks_and_refuses_bad_input(
        runtime, start_app, tmp_path):
    app, log, dns_port = start_setup(start_app, tmp_path)
    assert 'wifi: no wifi.json' in log
    assert "fake network: AP config key='aiowebserver' security=3 ssid='%s'" % AP_NAME in log
    url = 'http://127.0.0.1:%d/' % app.port

    # DNS: every A query gets the access point's address, other types an
    # empty answer, garbage no answer or a FORMERR: the next answer read is
    # always the one for the query just sent
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as dns:
        dns.settimeout(5)
        dns.connect(('127.0.0.1', dns_port))

        def ask(packet):
            dns.send(packet)
            return dns.recv(1024)

        for qid, name in ((0x1234, 'connectivitycheck.gstatic.com'), (0xfffe, 'captive.apple.com'),
                          (1, 'x' * 63 + '.' + 'y' * 63 + '.' + 'z' * 63 + '.' + 'w' * 61)):
            qid_back, flags, qd, answers = dns_parse(ask(dns_query(qid, name)))
            assert qid_back == qid and qd == 1
            assert flags & 0x8000 and flags & 0x0100 and flags & 0xf == 0  # QR, RD echoed, NOERROR
            assert answers == [(1, 1, 30, socket.inet_aton('127.0.0.1'))]
        for qtype in (28, 15, 16, 65):  # AAAA, MX, TXT, HTTPS: a valid empty answer
            qid_back, flags, qd, answers = dns_parse(ask(dns_query(0x4242, 'example.com', qtype)))
            assert (qid_back, flags & 0x800f, qd, answers) == (0x4242, 0x8000, 1, [])
        garbage = [b'', b'\x00', b'\x12\x34' + b'\x00' * 9,  # shorter than a header
                   b'\x99\x99\x81\x80' + os.urandom(40),  # a response: never answered
                   dns_query(7, 'a.b')[:-3]]  # cut short in the question (FORMERR)
        for packet in garbage:
            dns.send(packet)
        qid_back, flags, qd, answers = dns_parse(dns.recv(1024))
        assert (qid_back, flags & 0x800f, qd, answers) == (7, 0x8001, 0, [])  # FORMERR, id echoed
        malformed = [
            (dns_query(8, 'a' * 64 + '.com'), 1),  # a label longer than 63
            (dns_query(9, 'x')[:12] + b'\xc0\x0c\x00\x01\x00\x01', 1),  # a pointer in the question
            (struct.pack('>HHHHHH', 10, 0x0100, 2, 0, 0, 0) + dns_query(0, 'a')[12:] * 2, 1),
            (dns_query(11, '.'.join(['a' * 60] * 5)), 1),  # a name longer than 255
            (dns_query(12, 'a.b', flags=0x1000), 4),  # opcode STATUS: NOTIMP
        ]
        for packet, rcode in malformed:
            qid_back, flags, qd, answers = dns_parse(ask(packet))
            assert (qid_back, flags & 0x800f, qd, answers) == (
                struct.unpack('>H', packet[:2])[0], 0x8000 | rcode, 0, [])
        for _ in range(50):  # a burst of random packets, then a query still answered
            dns.send(b'\x00\x01' + os.urandom(10 + os.urandom(1)[0] % 80))
        dns.send(dns_query(0x5555, 'still.there'))
        while True:  # random headers may look like queries and get answers: skip those
            qid_back, _, _, answers = dns_parse(dns.recv(1024))
            if qid_back == 0x5555:
                assert answers == [(1, 1, 30, socket.inet_aton('127.0.0.1'))]
                break

    # the phones' probes and foreign names: to the setup page, never "online"
    for host, path in PROBES:
        status, headers, body = app.request('GET', path, headers={'Host': host})
        assert status in (301, 302, 303, 307), (host, path, status)
        assert headers['location'] == url, (host, path)
        assert body and url.encode() in body  # iOS wants a body with the redirect
        assert not any(word in body for word in ONLINE), (host, path, body)

    # the setup page: strongest first, one entry per name, names escaped
    status, headers, body = app.request('GET', '/')
    assert status == 200 and headers['content-type'].startswith('text/html')
    page = body.decode()
    assert len(body) < 8000
    names = re.findall(r'<input type=radio name=ssid value="([^"]*)"', page)
    assert names == ['home', 'caf\u00e9 &lt;b&gt;&amp;&quot;free&quot;&lt;/b&gt;', LONG_NAME, '']
    assert '<b>&"free"' not in page
    assert page.count('<i class=k title=secured>') == 2  # a lock: home and the long name; the caf\u00e9 is open
    assert '-48 dBm' in page and '-71 dBm' not in page  # the stronger 'home' access point
    assert 'bad' not in page  # a name that is not UTF-8 cannot be typed: left out
    assert re.search(r'<input type=text name=hidden', page)  # the hidden network's field
    assert re.search(r'<input type=password name=password', page)
    # none set yet: the admin password is asked for, required (the device page's updates need it)
    assert '<input type=password name=admin id=a minlength=8 maxlength=64 required' in page
    assert 'name=current' not in page
    assert page.count('<form') == 1
    assert 'fake network: STA scan' in app.log()
    # the application's own routes still answer on the board's address
    status, _, body = app.request('GET', '/status.json')
    assert status == 200 and json.loads(body)['mode'] == 'setup'

    # refused: a wrong password, a missing network; bad input: said, nothing saved
    status, _, body = post_form(app, [('ssid', 'home'), ('password', 'wrong password'), ('admin', ADMIN)])
    assert status == 200 and b'Could not join home: wrong password. Nothing was saved.' in body
    assert b'value="home" checked' in body  # the choice stays made
    assert ADMIN.encode() not in body  # never echoed
    status, _, body = post_form(app, [('ssid', ''), ('hidden', 'elsewhere'), ('password', ''), ('admin', ADMIN)])
    assert status == 200 and b'Could not join elsewhere: network not found' in body
    assert b'name=hidden maxlength=32 autocapitalize=none' in body and b'value="elsewhere"' in body
    bad = [
        ([('ssid', 'x' * 33), ('password', 'secret password')], b'1 to 32 bytes long (this one has 33)'),
        ([('ssid', '\u00e9' * 17), ('password', 'secret password')], b'(this one has 34)'),
        ([('ssid', ''), ('password', 'secret password')], b'(this one has 0)'),
        ([('ssid', 'home'), ('password', 'short')], b'8 to 63 characters (this one has 5)'),
        ([('ssid', 'home'), ('password', 'p' * 64)], b'must be 64 hex digits'),
        ([('ssid', 'home'), ('password', 'p' * 65)], b'(this one has 65)'),
        ([('ssid', 'home'), ('password', 'caf\u00e9 au lait')], b'printable ASCII'),
        ([('ssid', 'home'), ('password', HOME_PASSWORD)], b'Choose an admin password'),
        ([('ssid', 'home'), ('password', HOME_PASSWORD), ('admin', 'short')], b'8 to 64 characters (this one has 5)'),
        ([('ssid', 'home'), ('password', HOME_PASSWORD), ('admin', 'a' * 65)], b'(this one has 65)'),
        ([('ssid', 'home'), ('password', HOME_PASSWORD), ('admin', 'caf\u00e9 au lait')], b'printable ASCII'),
    ]
    for fields, said in bad:
        status, _, body = post_form(app, fields)
        assert status == 400 and said in body, (fields, re.findall(b"<p class=e>[^<]*", body))
    status, _, body = app.request('POST', '/join', body=b'ssid=%zz&password=%ff%fe',
                                  headers={'Content-Type': 'application/x-www-form-urlencoded'})
    assert status == 400 and b'The form could not be read' in body
    # huge forms are refused from their Content-Length, unread: past the
    # portal's 1 KB with the page and why, past limits.max_body by the server
    try:
        status, _, body = post_form(app, [('ssid', 'home'), ('password', 'x' * 5000)])
    except ConnectionError:
        pytest.fail('the 5000-byte form was cut off; the app said:\n' + app.log())
    assert status == 413 and b'The form was too large (more than 1024 bytes)' in body
    answer = app.raw(b'POST /join HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: '
                     b'application/x-www-form-urlencoded\r\nContent-Length: 1000000\r\n\r\n')
    assert answer.startswith(b'HTTP/1.1 413') and b'Connection: close' in answer, answer
    assert_nothing_saved(tmp_path)
    log = app.log()
    assert "setup: could not join 'home': wrong password" in log
    assert log.count('fake network: STA connect(') == 2  # bad input never reached the chip
    assert 'Traceback' not in log
    # still serving
    status, _, body = app.request('GET', '/')
    assert status == 200 and b'Choose your network' in body


def test_a_phone_picks_a_network_the_board_joins_saves_it_and_leaves_setup_mode(
        runtime, start_app, tmp_path):
    # wifi.json names a network that is gone, has a key of its own and an admin password
    old = {'ssid': 'gone', 'password': 'old password', 'ota_url': 'http://updates/',
           'admin_sha256': hashlib.sha256(OLD_ADMIN.encode()).hexdigest()}
    # (the device page's requests after setup want test_device.py's heap)
    app, log, dns_port = start_setup(start_app, tmp_path, json.dumps(old),
                                     heap=DEVICE_HEAP if runtime in ('mpy', 'frozen') else None)
    assert log.count("wifi: could not join 'gone': network not found") == 3
    status, _, body = app.request('GET', '/')
    assert b'Admin password: set (kept)' in body and b'name=current' in body and b' required' not in body

    # a new admin password only with the current one: anyone nearby may know
    # the access point's password; 5 wrong ones from one address: 429
    fields = [('ssid', LONG_NAME), ('password', HEX_KEY), ('admin', ADMIN)]
    status, _, body = post_form(app, fields)
    assert status == 403 and b'Type the current admin password to change it' in body, body
    form = {'Content-Type': 'application/x-www-form-urlencoded'}
    for i in range(5):
        status, _, body = from_address(app, '127.0.0.3', 'POST', '/join', form, host='127.0.0.1', body='&'.join(
            '%s=%s' % (k, quote(v)) for k, v in fields + [('current', 'guess %d' % i)]).encode())
        assert status == 403 and b'The current admin password is wrong' in body, body
    status, _, body = from_address(app, '127.0.0.3', 'POST', '/join', form, host='127.0.0.1', body='&'.join(
        '%s=%s' % (k, quote(v)) for k, v in fields + [('current', OLD_ADMIN)]).encode())
    assert status == 429 and b'wait a minute' in body, body
    assert json.loads((tmp_path / 'wifi.json').read_text()) == old  # nothing saved

    # the longest name (32 bytes of UTF-8) with a 64-character key, and a new admin password
    status, _, body = post_form(app, fields + [('current', OLD_ADMIN)])
    page = body.decode()
    assert status == 200, page
    assert 'Joined <b>%s</b>' % LONG_NAME in page
    assert 'http://%s.local/' % AP_NAME in page and 'http://192.168.1.50/' in page
    assert 'The admin password is saved (as a hash).' in page and ADMIN not in page
    saved = json.loads((tmp_path / 'wifi.json').read_text())
    assert saved == {'ssid': LONG_NAME, 'password': HEX_KEY, 'ota_url': 'http://updates/',
                     'admin_sha256': hashlib.sha256(ADMIN.encode()).hexdigest()}
    assert not (tmp_path / 'wifi.json.tmp').exists()
    log = app.log()
    # (MicroPython's repr() writes the name's non-ASCII characters as escapes)
    assert log.count('fake network: STA connect(') == 4 and "%r)" % HEX_KEY in log
    assert 'fake network: STA config reconnects=-1' in log  # the station keeps its network
    assert 'fake network: AP active(False)' not in log  # the phone still reads the result
    status, _, body = app.request('GET', '/')  # a reload shows the result, no new scan
    assert status == 200 and b'Joined' in body and b'action=/done' in body

    status, _, body = app.request('POST', '/done')
    assert status == 200 and b'The setup network closes now' in body
    log = wait_for_log(app, 'open http://%s.local/ (or http://192.168.1.50/)' % AP_NAME)
    assert "setup: done, access point '%s' down" % AP_NAME in log
    assert 'fake network: AP active(False)' in log
    assert "' as %s, address 192.168.1.50" % AP_NAME in log  # "wifi: joined 'NAME' as ..."
    # the same port now serves the application, for any name; the DNS is gone
    assert wait_for_port(app.port, app.proc)
    status, _, body = app.request('GET', '/status.json', headers={'Host': 'anything.example'})
    info = json.loads(body)
    assert (status, info['mode'], info['ssid'], info['ip']) == (200, 'station', LONG_NAME, '192.168.1.50')
    # the update endpoints take the password set on the setup page, and no other
    status, _, body = app.request('PUT', '/device/files?name=hello.txt', body=b'hi\n', headers=auth(ADMIN))
    assert status == 200 and json.loads(body) == {'name': 'hello.txt', 'written': 3}, body
    assert (tmp_path / 'hello.txt').read_bytes() == b'hi\n'
    for path, password in (('/device/files?name=hello.txt', OLD_ADMIN), ('/device/firmware', 'admin pass 43')):
        status, headers, body = app.request('PUT' if 'files' in path else 'POST', path, body=b'x', headers=auth(password))
        assert status == 401 and headers['www-authenticate'].startswith('Basic'), (path, status, body)
    assert (tmp_path / 'hello.txt').read_bytes() == b'hi\n'
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as dns:
        dns.settimeout(5)
        dns.connect(('127.0.0.1', dns_port))
        dns.send(dns_query(1, 'example.com'))
        with pytest.raises(ConnectionRefusedError):
            dns.recv(512)
    assert 'Traceback' not in app.log()


def test_in_a_phone_sized_browser_the_probe_leads_to_the_page_and_a_network_is_joined(
        runtime, start_app, tmp_path, request):
    if runtime != 'mpy':
        pytest.skip('one runtime is enough for the browser: the .mpy one, closest to the board')
    browser = request.getfixturevalue('browser')
    app, _, _ = start_setup(start_app, tmp_path)
    context = browser.new_context(viewport={'width': 390, 'height': 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    # the Android probe, redirected: the browser lands on the setup page
    page.goto('http://127.0.0.1:%d/generate_204' % app.port)
    assert page.url == 'http://127.0.0.1:%d/' % app.port
    assert page.title() == 'Wi-Fi setup'
    rows = page.locator('label.n span')
    assert rows.nth(1).inner_text() == HTML_NAME  # shown as text, not markup
    assert page.locator('label.n b >> text=free').count() == 0
    width = page.evaluate('document.documentElement.scrollWidth')
    assert width <= 390  # nothing wider than the phone
    page.screenshot(path=str(tmp_path / 'setup.png'), full_page=True)

    page.locator('label.n', has_text='home').tap()
    page.fill('input[name=password]', 'not the password')
    # the admin password is required: the browser does not send the form without it
    page.click('button')
    assert page.evaluate('document.querySelector("input[name=admin]").validity.valueMissing')
    assert 'STA connect' not in app.log()
    page.fill('input[name=admin]', ADMIN)
    page.locator('input[name=admin] >> xpath=../..').locator('input[type=checkbox]').tap()  # show password
    assert page.get_attribute('input[name=admin]', 'type') == 'text'
    assert page.evaluate('document.documentElement.scrollWidth') <= 390
    page.click('button')
    assert page.locator('p.e').inner_text() == (
        'Could not join home: wrong password. Nothing was saved.')
    assert page.locator('input[value=home]').is_checked()
    assert page.input_value('input[name=admin]') == ''  # never sent back
    assert not (tmp_path / 'wifi.json').exists()
    page.fill('input[name=password]', HOME_PASSWORD)
    page.fill('input[name=admin]', ADMIN)
    page.click('button')
    assert page.locator('p.ok').first.inner_text() == 'Joined home.'
    assert 'http://%s.local/' % AP_NAME in page.content()
    page.screenshot(path=str(tmp_path / 'joined.png'), full_page=True)
    assert json.loads((tmp_path / 'wifi.json').read_text()) == {
        'ssid': 'home', 'password': HOME_PASSWORD, 'admin_sha256': hashlib.sha256(ADMIN.encode()).hexdigest()}
    page.click('button')  # Done
    assert 'closes now' in page.locator('p.ok').inner_text()
    wait_for_log(app, "setup: done, access point '%s' down" % AP_NAME)
    context.close()


MACHINE_BOOT_PRESSED = '''
class Pin:
    IN = 1
    PULL_UP = 2

    def __init__(self, id, mode=-1, pull=-1):
        print('fake machine: Pin(%r, %r, %r)' % (id, mode, pull))

    def value(self):
        return 0  # BOOT is held: the pin reads low
'''


def test_boot_pressed_at_the_start_opens_setup_on_a_configured_board(runtime, start_app, tmp_path):
    if runtime != 'cpython':
        pytest.skip("the unix port's machine module is built in: no stand-in Pin there")
    (tmp_path / 'machine.py').write_text(MACHINE_BOOT_PRESSED)
    app, log, _ = start_setup(start_app, tmp_path, json.dumps(
        {'ssid': 'home', 'password': HOME_PASSWORD}))
    assert 'fake machine: Pin(9, 1, 2)' in log  # GPIO9, input, pulled up
    assert 'wifi: BOOT pressed: Wi-Fi setup' in log
    assert 'STA connect' not in log
    status, _, body = app.request('GET', '/')
    assert status == 200 and b'Choose your network' in body
