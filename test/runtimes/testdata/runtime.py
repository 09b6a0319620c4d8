"""runtime.py PART: exercises one part of CPython's concurrency support
under the sandbox and prints only deterministic results.

Parts: threads (threading with locks, a queue, ThreadPoolExecutor and
signal.setitimer), procpool (ProcessPoolExecutor), asyncio (timers and
create_subprocess_exec), mp-fork and mp-spawn (multiprocessing with that
start method: Pool.map, Queue, Process exit codes).
"""
import sys


def square(x):
    return x * x


def threads():
    import queue
    import signal
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    lock = threading.Lock()
    total = [0]

    def add(n):
        for i in range(n):
            with lock:
                total[0] += i

    ts = [threading.Thread(target=add, args=(5000,)) for _ in range(16)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    print("threads 16 total", total[0])

    q = queue.Queue(maxsize=4)
    out = []

    def consume():
        while True:
            v = q.get()
            if v is None:
                return
            out.append(v * 2)

    c = threading.Thread(target=consume)
    c.start()
    for i in range(1000):
        q.put(i)
    q.put(None)
    c.join()
    print("queue items", len(out), "sum", sum(out))

    cond = threading.Condition()
    ready = []

    def waiter(i):
        with cond:
            cond.wait_for(lambda: ready)
        return i

    with ThreadPoolExecutor(max_workers=8) as ex:
        futs = [ex.submit(waiter, i) for i in range(8)]
        time.sleep(0.05)
        with cond:
            ready.append(True)
            cond.notify_all()
        print("waiters", sorted(f.result() for f in futs))
        print("thread pool map", sum(ex.map(square, range(10000))))

    fired = []
    signal.signal(signal.SIGALRM, lambda s, f: fired.append(s))
    signal.setitimer(signal.ITIMER_REAL, 0.02, 0.02)
    deadline = time.monotonic() + 10
    while len(fired) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    signal.setitimer(signal.ITIMER_REAL, 0)
    print("setitimer fired at least 5", len(fired) >= 5)


def procpool():
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=2) as ex:
        print("process pool map", sum(ex.map(square, range(2000), chunksize=100)))


def run_asyncio():
    import asyncio

    async def tick(name, delay, out):
        await asyncio.sleep(delay)
        out.append(name)

    async def main():
        out = []
        await asyncio.gather(*(tick(n, d, out) for n, d in [("c", 0.3), ("a", 0.1), ("b", 0.2)]))
        print("timers", out)
        loop = asyncio.get_running_loop()
        fut = loop.create_future()
        loop.call_later(0.05, fut.set_result, "later")
        print("call_later", await fut)
        p = await asyncio.create_subprocess_exec(
            "/bin/sh", "-c", "read x; echo got $x; exit 5",
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE)
        out, _ = await p.communicate(b"hello\n")
        print("subprocess", out, "exit", p.returncode)
        try:
            await asyncio.wait_for(asyncio.sleep(10), timeout=0.1)
        except asyncio.TimeoutError:
            print("wait_for timed out")

    asyncio.run(main())


def child(q, code):
    q.put(("child", code))
    sys.exit(code)


def mp(method):
    import multiprocessing as m

    ctx = m.get_context(method)
    with ctx.Pool(2) as pool:
        print(method, "pool map", sum(pool.map(square, range(5000), chunksize=250)))
    q = ctx.Queue()
    procs = [ctx.Process(target=child, args=(q, code)) for code in (0, 3, 7)]
    for p in procs:
        p.start()
    got = sorted(q.get(timeout=60) for _ in procs)
    for p in procs:
        p.join()
    print(method, "queue", got)
    print(method, "exit codes", [p.exitcode for p in procs])


PARTS = {
    "threads": threads,
    "procpool": procpool,
    "asyncio": run_asyncio,
    "mp-fork": lambda: mp("fork"),
    "mp-spawn": lambda: mp("spawn"),
}

if __name__ == "__main__":
    PARTS[sys.argv[1]]()
