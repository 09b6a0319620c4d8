// workers.js: node's worker_threads under the sandbox: four workers add
// into a SharedArrayBuffer with Atomics and report over postMessage, one
// waits on Atomics.wait until the main thread notifies it; setTimeout and
// setInterval fire in the order their delays fix. Prints only
// deterministic results.
'use strict';
const { Worker, isMainThread, parentPort, workerData } = require('worker_threads');

if (!isMainThread) {
  const counters = new Int32Array(workerData.sab);
  if (workerData.waiter) {
    Atomics.wait(counters, 1, 0);
    parentPort.postMessage({ id: workerData.id, woke: Atomics.load(counters, 1) });
    return;
  }
  let local = 0;
  for (let i = 0; i < 100000; i++) {
    Atomics.add(counters, 0, 1);
    local += i % 7;
  }
  parentPort.postMessage({ id: workerData.id, local });
  return;
}

const sab = new SharedArrayBuffer(8);
const counters = new Int32Array(sab);
const results = [];
const run = (data) => new Promise((resolve, reject) => {
  const w = new Worker(__filename, { workerData: { sab, ...data } });
  w.on('message', (m) => results.push(m));
  w.on('error', reject);
  w.on('exit', (code) => resolve(code));
});

const waiter = run({ id: 'waiter', waiter: true });
const adders = [0, 1, 2, 3].map((id) => run({ id }));
Promise.all(adders).then(async (codes) => {
  Atomics.store(counters, 1, 42);
  Atomics.notify(counters, 1);
  codes.push(await waiter);
  results.sort((a, b) => String(a.id).localeCompare(String(b.id)));
  console.log('exit codes', codes.join(','));
  console.log('shared counter', Atomics.load(counters, 0));
  console.log('messages', JSON.stringify(results));

  const order = [];
  setTimeout(() => order.push('t300'), 300);
  setTimeout(() => order.push('t100'), 100);
  // Due timers run in the order of their expiry, so the report, armed
  // after the fifth tick and due after t300, comes last however the
  // machine stalls.
  let ticks = 0;
  const iv = setInterval(() => {
    if (++ticks < 5) return;
    clearInterval(iv);
    setTimeout(() => {
      console.log('timers', order.join(','), 'interval ticks', ticks);
    }, 400);
  }, 10);
});
