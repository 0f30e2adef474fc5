"""A TCP relay that delays every chunk by a fixed one-way time, both ways.

    delay_relay.py LISTEN_PORT TARGET_PORT DELAY_MS      (127.0.0.1 only)

The WAN stand-in of `make bench` where `tc qdisc ... netem` is not available
(no sch_netem in the kernel): each flight of bytes, and each close, reaches
the other side DELAY_MS later, so every round trip a client makes costs
2 x DELAY_MS, and a saved round trip (an abbreviated TLS handshake) shows
in the wall time. Order is kept: the delay is the same for every chunk.
Prints "ready" when listening.
"""
import asyncio
import sys


async def pump(reader, writer, delay):
    loop = asyncio.get_running_loop()
    pending = []

    def later(action):
        pending.append(loop.call_later(delay, action))

    while True:
        data = await reader.read(65536)
        if not data:
            later(lambda: writer.can_write_eof() and not writer.is_closing() and writer.write_eof())
            later(writer.close)
            return
        later(lambda data=data: None if writer.is_closing() else writer.write(data))


async def main():
    listen_port, target_port, delay = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]) / 1000

    async def handle(client_reader, client_writer):
        await asyncio.sleep(delay)  # the SYN's flight
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
        await asyncio.gather(pump(client_reader, server_writer, delay), pump(server_reader, client_writer, delay),
                             return_exceptions=True)

    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
