# SHA-1 in plain Python, for the WebSocket handshake on builds whose hashlib
# lacks it (a unix port without SSL). Loaded only there.


def sha1(data):
    # SHA-1 for builds whose hashlib lacks it (a unix port without SSL):
    # one short handshake key per connection, so plain Python is fast enough.
    h = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0]
    n = len(data)
    data = data + b"\x80" + bytes((55 - n) % 64) + (n * 8).to_bytes(8, "big")
    m = 0xFFFFFFFF
    for off in range(0, len(data), 64):
        w = [int.from_bytes(data[off + i : off + i + 4], "big") for i in range(0, 64, 4)]
        for i in range(16, 80):
            x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
            w.append(((x << 1) | (x >> 31)) & m)
        a, b, c, d, e = h
        for i in range(80):
            if i < 20:
                f = (b & c) | (~b & d)
                k = 0x5A827999
            elif i < 40:
                f = b ^ c ^ d
                k = 0x6ED9EBA1
            elif i < 60:
                f = (b & c) | (b & d) | (c & d)
                k = 0x8F1BBCDC
            else:
                f = b ^ c ^ d
                k = 0xCA62C1D6
            t = (((a << 5) | (a >> 27)) + f + e + k + w[i]) & m
            e = d
            d = c
            c = ((b << 30) | (b >> 2)) & m
            b = a
            a = t
        h = [(x + y) & m for x, y in zip(h, (a, b, c, d, e))]
    return b"".join(x.to_bytes(4, "big") for x in h)
