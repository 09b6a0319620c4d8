# asyncio over unix socket pairs, as event loops use them: streams with a
# large transfer and its back-pressure (drain), EOF, datagrams, and the
# EpollSelector asyncio picks on Linux, driven by non-blocking send/recv.
import asyncio
import selectors
import socket


async def streams():
    a, b = socket.socketpair()
    r1, w1 = await asyncio.open_connection(sock=a)
    r2, w2 = await asyncio.open_connection(sock=b)
    payload = bytes(range(256)) * 4000  # larger than any socket buffer
    w1.write(payload)
    got, _ = await asyncio.gather(r2.readexactly(len(payload)), w1.drain())
    assert got == payload
    w2.write(b"pong\n")
    await w2.drain()
    print("stream reply", await r1.readline())
    w1.close()
    await w1.wait_closed()
    print("stream eof", await r2.read())
    w2.close()


async def datagrams():
    loop = asyncio.get_running_loop()
    c, d = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    c.setblocking(False)
    d.setblocking(False)
    for i in range(3):
        await loop.sock_sendall(c, b"dgram %d" % i)
    for _ in range(3):
        print("datagram", await loop.sock_recv(d, 100))
    c.close()
    d.close()


async def main():
    await streams()
    await datagrams()


print("selector", type(selectors.DefaultSelector()).__name__)
asyncio.run(main())
