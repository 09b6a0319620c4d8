// Threads: the JVM under the sandbox with its default GC: an
// ExecutorService of 8 threads sums ranges, synchronized methods keep a
// shared counter, threads meet at a CountDownLatch, and System.gc()
// collects a few hundred MB of garbage. Prints only deterministic results.
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

public class Threads {
    private long counter;

    private synchronized void add(long v) {
        counter += v;
    }

    private synchronized long get() {
        return counter;
    }

    public static void main(String[] args) throws Exception {
        Threads t = new Threads();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Long>> futs = new ArrayList<>();
        for (int i = 0; i < 64; i++) {
            final long base = i * 100000L;
            futs.add(pool.submit(() -> {
                start.await();
                long sum = 0;
                for (long j = base; j < base + 100000; j++) {
                    sum += j % 1000;
                    if (j % 100 == 0) {
                        t.add(1);
                    }
                }
                return sum;
            }));
        }
        start.countDown();
        long total = 0;
        for (Future<Long> f : futs) {
            total += f.get();
        }
        pool.shutdown();
        System.out.println("terminated " + pool.awaitTermination(60, TimeUnit.SECONDS));
        System.out.println("sum " + total + " counter " + t.get());

        long kept = 0;
        for (int round = 0; round < 20; round++) {
            byte[][] garbage = new byte[16][];
            for (int i = 0; i < garbage.length; i++) {
                garbage[i] = new byte[1 << 20];
                garbage[i][i] = (byte) round;
            }
            kept += garbage[round % 16][round % 16];
        }
        System.gc();
        Runtime rt = Runtime.getRuntime();
        long used = (rt.totalMemory() - rt.freeMemory()) >> 20;
        System.out.println("kept " + kept + " used after gc < 64 MiB " + (used < 64));
    }
}
