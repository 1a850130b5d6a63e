# Reference for rq.sendfile's throughput: the plainest asyncio file server,
# a readinto/write/drain loop over the same 2 KB buffer, nothing else (no
# routing, no validators, no lock). GET /NAME sends $BENCH_STATIC_DIR/NAME
# (NAME without '/'), then closes. Runs on MicroPython and CPython.
#   AIOWEBSERVER_PORT=8001 BENCH_STATIC_DIR=dir micropython bench/ref_static_loop.py
import asyncio
import os

_CHUNK = 2048  # the same buffer as aiowebserver.static, for a fair ratio
_buf = bytearray(_CHUNK)
_mv = memoryview(_buf)
_MPY = hasattr(asyncio.StreamReader, "readinto")
DIR = os.getenv("BENCH_STATIC_DIR") or "."


async def handle(reader, writer):
    try:
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 2048:
            data = await reader.read(512)
            if not data:
                return
            head += data
        name = head.split(b" ", 2)[1].decode()[1:]
        try:
            if not name or "/" in name or name.startswith("."):
                raise OSError
            size = os.stat(DIR + "/" + name)[6]
            f = open(DIR + "/" + name, "rb")
        except OSError:
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
            return
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                     b"Content-Length: %d\r\nConnection: close\r\n\r\n" % size)
        with f:
            while True:
                n = f.readinto(_mv)
                if not n:
                    break
                writer.write(_mv[:n] if _MPY else bytes(_mv[:n]))
                await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()
        await writer.wait_closed()


async def main():
    port = int(os.getenv("AIOWEBSERVER_PORT") or 8001)
    await asyncio.start_server(handle, os.getenv("AIOWEBSERVER_HOST") or "127.0.0.1", port)
    print("ref_static_loop: serving %s on http://127.0.0.1:%d/" % (DIR, port))
    while True:
        await asyncio.sleep(3600)


asyncio.run(main())
