# Reference: the practical upper bound of a Hello server on MicroPython's
# asyncio streams. Reads the request head in 512-byte chunks into one
# preallocated buffer, answers a fixed response with Content-Length and keeps
# the connection alive (HTTP/1.0 clients such as ab get the connection closed).
import asyncio
import os

RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
    b"Content-Length: 13\r\n\r\nHello, world!"
)
HEAD_MAX = 512


async def serve(reader, writer):
    buf = bytearray(HEAD_MAX)
    view = memoryview(buf)
    have = 0
    try:
        while True:
            end = buf.find(b"\r\n\r\n", 0, have)
            while end < 0:
                if have == HEAD_MAX:
                    return  # head too large for this reference server
                n = await reader.readinto(view[have:])
                if not n:
                    return
                have += n
                end = buf.find(b"\r\n\r\n", 0, have)
            close = buf.find(b"HTTP/1.0", 0, end) >= 0
            writer.write(RESPONSE)
            await writer.drain()
            if close:
                return
            end += 4
            have -= end
            if have:
                view[:have] = view[end : end + have]
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
