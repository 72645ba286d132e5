package dev.serverlab.lab.experiment;

import dev.serverlab.lab.console.Format;

import java.time.Duration;
import java.util.Optional;

/**
 * The best total a model can reach on this machine for N concurrent requests that each take {@code t} alone
 * (CPU work) or wait {@code w} (IO), with C cores. A request uses at most one core, so none finishes in less
 * than t however many cores are idle:
 *
 * <pre>
 *   CPU, S = the slots CPU work can use at once (1 serial, under a GIL or inline on one loop; P workers;
 *        K offload threads; L loops; every request for virtual threads):
 *     time-sliced (platform threads or processes: a pool, prefork, an offload pool)
 *                           max(N·t / min(S, C), ceil(N / S) · t)    the cores, or the rounds of S, bind
 *     run to completion (virtual threads on C carriers, CPU inline on L loops)
 *                           ceil(N / min(S, C)) · t                  rounds of whole requests
 *   IO, S = the waits that overlap (1 serial; P workers; every request when unbounded or an event loop):
 *                           ceil(N / S) · w
 * </pre>
 *
 * With S ≤ C the two CPU formulas agree (ceil(N/S)·t). Time slicing beats whole rounds when there are more
 * threads than cores (3 threads on 2 cores finish 3 requests in 1.5 t, 2 carriers in 2 t), and the rounds
 * bind when there are more cores than workers (4 workers on 8 cores serve 10 requests in ceil(10/4) = 3
 * rounds of t, not 10·t/4 = 2.5 t). Measured totals are compared
 * with this number.
 *
 * @param total   the ideal total
 * @param formula how it was reached, such as "3 rounds × 1.00 s (4 at a time)"
 */
public record IdealTotal(Duration total, String formula) {

    /** The ideal, or empty when the model does not say how many requests it serves at once. */
    public static Optional<IdealTotal> of(Model model, Workload.Kind work, int requests, Duration perRequest, int cores) {
        if (requests < 1 || cores < 1) throw new IllegalArgumentException("requests and cores must be at least 1");
        double each = perRequest.toNanos() / 1e9;
        if (work == Workload.Kind.CPU) {
            int slots = model.cpuSlots();
            if (slots <= 0) return Optional.empty();
            return Optional.of(cpu(model, Math.min(slots, requests), requests, each, cores));
        }
        int slots = model.ioSlots();
        if (slots <= 0) return Optional.empty();
        int atOnce = Math.min(slots, requests);
        int rounds = ceilDiv(requests, atOnce);
        String formula = rounds == 1 ? "one wait of " + Format.seconds(each) + " (all " + requests + " at once)"
                : rounds + " rounds × " + Format.seconds(each) + " (" + (atOnce == 1 ? "one" : atOnce) + " at a time)";
        return Optional.of(new IdealTotal(Format.duration(rounds * each), formula));
    }

    private static IdealTotal cpu(Model model, int slots, int requests, double each, int cores) {
        if (slots == 1) {
            return new IdealTotal(Format.duration(requests * each), requests + " × " + Format.seconds(each) + " (" + oneAtATime(model) + ")");
        }
        int onCores = Math.min(slots, cores);
        String who = (slots == requests && model.cpuSlots() == Model.EVERY ? "every request" : slots + " " + slotNoun(model))
                + " on " + cores + " core" + (cores == 1 ? "" : "s");
        if (model.timeSliced()) {
            double shared = requests * each / onCores;
            int rounds = ceilDiv(requests, slots);
            if (shared >= rounds * each) {
                return new IdealTotal(Format.duration(shared), requests + " × " + Format.seconds(each)
                        + (onCores == 1 ? "" : " / " + onCores) + " (" + who + ", time-sliced: the cores bind)");
            }
            return new IdealTotal(Format.duration(rounds * each), rounds + " rounds × " + Format.seconds(each)
                    + " (" + who + ": " + slots + " at a time, one core each)");
        }
        int rounds = ceilDiv(requests, onCores);
        return new IdealTotal(Format.duration(rounds * each), rounds + " round" + (rounds == 1 ? "" : "s") + " × "
                + Format.seconds(each) + " (" + who + ": " + onCores + " at a time, each run to completion)");
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static String oneAtATime(Model model) {
        if (model.gil()) return "one at a time under the GIL";
        if (model.kind() == Model.Kind.EVENT_LOOP) return "one at a time on the loop";
        return "one at a time";
    }

    private static String slotNoun(Model model) {
        return switch (model.kind()) {
            case EVENT_LOOP -> model.offload() > 0 ? "offload threads" : "loops";
            default -> "workers";
        };
    }
}
