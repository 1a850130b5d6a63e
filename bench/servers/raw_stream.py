# Reference for streaming figures, on MicroPython's asyncio streams:
#   GET /big.bin  a plain readinto/write loop over the file in
#                 $BENCH_STATIC_DIR (the bar for rq.sendfile);
#   GET /events   $BENCH_EVENTS server-sent events written in a loop.
import asyncio
import os

CHUNK = int(os.getenv("BENCH_CHUNK") or 1024)
EVENTS = int(os.getenv("BENCH_EVENTS") or 1000)
STATIC_DIR = os.getenv("BENCH_STATIC_DIR") or "."


async def read_head(reader, buf):
    view = memoryview(buf)
    have = 0
    while True:
        n = await reader.readinto(view[have:])
        if not n:
            return 0
        have += n
        if buf.find(b"\r\n\r\n", 0, have) >= 0:
            return have
        if have == len(buf):
            return 0


async def send_file(writer, path):
    size = os.stat(path)[6]
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                 b"Content-Length: %d\r\n\r\n" % size)
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    with open(path, "rb") as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            writer.write(view[:n])
            await writer.drain()


async def send_events(writer):
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                 b"Cache-Control: no-cache\r\nConnection: close\r\n\r\n")
    for i in range(EVENTS):
        writer.write(b"data: tick %d\n\n" % i)
        await writer.drain()


async def serve(reader, writer):
    buf = bytearray(512)
    try:
        while True:
            if not await read_head(reader, buf):
                return
            if buf.startswith(b"GET /big.bin "):
                await send_file(writer, STATIC_DIR + "/big.bin")
            elif buf.startswith(b"GET /events "):
                await send_events(writer)
                return
            else:
                writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
                await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()
        await writer.wait_closed()


async def main():
    port = int(os.getenv("AIOWEBSERVER_PORT") or 8000)
    await asyncio.start_server(serve, "127.0.0.1", port, 16)
    while True:
        await asyncio.sleep(3600)


asyncio.run(main())
