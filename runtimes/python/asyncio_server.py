# asyncio.start_server, as the asyncio streams documentation's echo server:
# 127.0.0.1, the port from the command line.
import asyncio
import sys


async def handle(reader, writer):
    await reader.read(1)
    writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", int(sys.argv[1]))
    async with server:
        await server.serve_forever()


asyncio.run(main())
