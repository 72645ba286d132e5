package dev.serverlab.api.app;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * One step of an application's answer. The engine runs the steps the way its model does:
 *
 * <pre>
 *   Done(response)      write it
 *   Compute(work)       CPU-bound: run it inline, on a worker, on a pool, or under a GIL
 *   Sleep(d, then)      IO-bound: Thread.sleep on a thread engine, a timer on an event loop;
 *                       then continue with the next step
 * </pre>
 */
public sealed interface Reply {

    record Done(Response response) implements Reply {
        public Done {
            Objects.requireNonNull(response, "response");
        }
    }

    record Compute(CpuWork work) implements Reply {
        public Compute {
            Objects.requireNonNull(work, "work");
        }
    }

    record Sleep(Duration duration, Supplier<Reply> then) implements Reply {
        public Sleep {
            Objects.requireNonNull(duration, "duration");
            Objects.requireNonNull(then, "then");
            if (duration.isNegative()) throw new IllegalArgumentException("negative sleep: " + duration);
        }
    }

    static Reply of(Response response) {
        return new Done(response);
    }

    static Reply compute(CpuWork work) {
        return new Compute(work);
    }

    static Reply sleep(Duration duration, Supplier<Reply> then) {
        return new Sleep(duration, then);
    }

    /** CPU-bound work. Long work calls {@link Safepoint#poll()} now and then, where a GIL may switch threads. */
    @FunctionalInterface
    interface CpuWork {
        Reply run(Safepoint safepoint);
    }
}
