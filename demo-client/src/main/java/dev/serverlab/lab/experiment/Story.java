package dev.serverlab.lab.experiment;

import dev.serverlab.lab.console.Format;
import dev.serverlab.lab.load.LabClient;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Two or three sentences under a timeline that say what it shows, each with the measured numbers:
 * the shape (one at a time, k at a time, all at once), why requests took longer than alone, and how
 * far the total is from the model's ideal.
 */
public final class Story {

    private Story() {
    }

    public static List<String> of(RunResult run, int cores) {
        String name = run.variant().label();
        if (!run.measured()) return List.of(name + " did not run: " + firstLine(run.error()) + ".");
        if (!run.answered()) return List.of(name + ": none of the " + run.samples().size() + " requests was answered: "
                + firstLine(run.error()) + ".");
        RunStats s = run.stats();
        int n = run.samples().size();
        double total = s.totalMicros() / 1e6;
        double alone = run.alone().toNanos() / 1e9;
        List<String> sentences = new ArrayList<>();

        String workers = s.workers() == 1 ? "one worker" : s.workers() + " workers";
        if (s.peakInService() <= 1) {
            sentences.add(name + ": total " + Format.seconds(total) + " ≈ " + n + " × " + Format.seconds(total / n)
                    + "; requests were served one at a time, by " + workers + ".");
        } else if (s.peakInService() >= n) {
            sentences.add(name + ": all " + n + " requests were in service at once, on " + workers + "; total "
                    + Format.seconds(total) + ", " + Format.number(total / alone, 1) + " × the time of one alone ("
                    + Format.seconds(alone) + ").");
        } else {
            sentences.add(name + ": total " + Format.seconds(total) + "; at most " + s.peakInService()
                    + " requests were in service at once, served by " + workers + ".");
        }

        double service = s.medianServiceMicros() / 1e6;
        double stretch = alone > 0 ? service / alone : 0;
        if (s.peakInService() > 1 && stretch >= 1.5) {
            String shared = run.variant().model().gil() ? "took turns holding the GIL"
                    : run.workload().kind() == Workload.Kind.CPU && s.peakInService() > cores
                    ? "shared " + cores + " core" + (cores == 1 ? "" : "s") : "competed for the machine";
            sentences.add("Each took " + Format.seconds(service) + " to serve, " + Format.number(stretch, 1)
                    + " × as long as alone: the " + s.peakInService() + " in service " + shared + ".");
        } else if (run.variant().model().gil() && run.workload().kind() == Workload.Kind.IO && s.peakInService() > 1) {
            sentences.add("Waiting does not hold the GIL: up to " + s.peakInService() + " waits overlapped, as they do without it.");
        } else if (uneven(run) != null) {
            sentences.add(uneven(run));
        } else if (s.maxWaitMicros() > 0.2 * s.totalMicros()) {
            sentences.add("Each was served in about " + Format.seconds(service) + ", but the last one waited "
                    + Format.micros(s.maxWaitMicros()) + " before the server started it.");
        } else {
            sentences.add("No request waited long: each was started within " + Format.micros(s.maxWaitMicros())
                    + " of connecting, and served in about " + Format.seconds(service) + ".");
        }

        if (run.ideal().isPresent()) {
            IdealTotal ideal = run.ideal().get();
            String intro = "The ideal for " + run.variant().model().describe() + " on " + cores + " core"
                    + (cores == 1 ? "" : "s") + " is " + Format.seconds(ideal.total()) + " = " + ideal.formula();
            if (run.tMisMeasured()) {
                sentences.add(intro + "; the measured total, " + Format.seconds(total) + ", is below it, which no run can"
                        + " be: t (" + Format.seconds(alone) + " alone) was mis-measured, so no ratio is given.");
            } else {
                sentences.add(intro + "; measured " + Format.number(run.overIdeal().orElse(0.0), 2) + " × that.");
            }
            if (run.aloneNote() != null) sentences.add("About t: " + run.aloneNote() + ".");
        } else {
            sentences.add("No ideal total: the lab does not know how " + run.variant().engine()
                    + " serves concurrent requests.");
        }
        if (s.failed() > 0) {
            sentences.add(s.failed() + " of " + n + " requests failed: " + firstLine(run.error()) + ".");
        }
        return sentences;
    }

    /**
     * "prefork-4 served 3 of the 10 requests, where an even spread is at most 3": said when a pool's busiest
     * worker served more than its share, which makes the total a round longer than the ideal.
     */
    static String uneven(RunResult run) {
        int workers = run.variant().model().workers();
        if (run.variant().model().kind() != Model.Kind.POOL || workers < 2) return null;
        Map<String, Long> served = run.samples().stream().filter(LabClient.Sample::ok)
                .filter(q -> q.servedBy() != null)
                .collect(Collectors.groupingBy(LabClient.Sample::servedBy, Collectors.counting()));
        if (served.isEmpty()) return null;
        var busiest = served.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow();
        int n = run.samples().size();
        long share = (n + workers - 1) / workers;
        if (busiest.getValue() <= share) return null;
        String name = busiest.getKey().substring(busiest.getKey().indexOf('/') + 1);
        return "The requests were spread unevenly: " + name + " served " + busiest.getValue() + " of the " + n
                + ", where an even spread gives each worker at most " + share + ", so some requests waited for it while other workers sat idle.";
    }

    /**
     * A failure in one line: the first line of the message, plus the child's own complaint when its output
     * holds one (the lab prints its errors as "lab: ..."), such as "engine 'x' exited with code 3 before
     * listening (engine 'x' could not start: port in use)".
     */
    public static String firstLine(String text) {
        if (text == null) return "unknown error";
        String[] parts = text.split("; its last output:\n", 2);
        String head = parts[0].lines().findFirst().orElse("").strip();
        if (head.endsWith(":")) head = head.substring(0, head.length() - 1);
        if (parts.length == 2) {
            String complaint = parts[1].lines().filter(l -> l.startsWith("lab: ")).reduce((a, b) -> b).orElse(null);
            if (complaint != null) head += " (" + complaint.substring(5).strip() + ")";
        }
        return head;
    }
}
