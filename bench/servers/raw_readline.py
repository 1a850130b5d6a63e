# Reference: raw_chunked.py's server, but reading the head with
# Stream.readline(), which costs one recv() per byte on MicroPython.
import asyncio
import os

RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
    b"Content-Length: 13\r\n\r\nHello, world!"
)


async def serve(reader, writer):
    try:
        while True:
            line = await reader.readline()
            if not line:
                return
            close = b"HTTP/1.0" in line
            while True:
                header = await reader.readline()
                if not header:
                    return
                if header == b"\r\n":
                    break
            writer.write(RESPONSE)
            await writer.drain()
            if close:
                return
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
