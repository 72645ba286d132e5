package dev.serverlab.lab.experiment;

import dev.serverlab.lab.Format;

import java.time.Duration;
import java.util.Optional;

/**
 * The best total a model can reach on this machine for N concurrent requests that each take {@code t} alone
 * (CPU work) or wait {@code w} (IO), with C cores:
 *
 * <pre>
 *   CPU:  N·t / min(S, C, N)      S = CPU slots: 1 serial, under a GIL or inline on one loop; P workers;
 *                                 the offload pool; N when unbounded
 *   IO:   ceil(N / min(S, N)) · w S = IO slots: 1 serial; P workers; N when unbounded or an event loop
 * </pre>
 *
 * So serial is N × t (or N × w), P workers take ceil(N/P) rounds of IO or N·t/min(P, C) of CPU, and an
 * unbounded model takes one wait or N·t/C. Measured totals are compared with this number.
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
            int parallel = Math.min(Math.min(slots, cores), requests);
            double seconds = requests * each / parallel;
            String why = parallel == 1 ? oneAtATime(model)
                    : parallel + " at a time: " + (slots == Model.EVERY ? "every request" : slots + " " + slotNoun(model))
                    + " on " + cores + " core" + (cores == 1 ? "" : "s");
            String formula = requests + " × " + Format.seconds(each) + (parallel == 1 ? "" : " / " + parallel);
            return Optional.of(new IdealTotal(Format.duration(seconds), formula + " (" + why + ")"));
        }
        int slots = model.ioSlots();
        if (slots <= 0) return Optional.empty();
        int atOnce = Math.min(slots, requests);
        int rounds = (requests + atOnce - 1) / atOnce;
        String formula = rounds == 1 ? "one wait of " + Format.seconds(each) + " (all " + requests + " at once)"
                : rounds + " rounds × " + Format.seconds(each) + " (" + (atOnce == 1 ? "one" : atOnce) + " at a time)";
        return Optional.of(new IdealTotal(Format.duration(rounds * each), formula));
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
