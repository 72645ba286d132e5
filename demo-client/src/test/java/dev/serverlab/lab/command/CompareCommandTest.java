package dev.serverlab.lab.command;

import dev.serverlab.api.Engines;
import dev.serverlab.lab.console.ExitCode;
import dev.serverlab.lab.report.RequestsCsv;
import dev.serverlab.lab.report.Timeline;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A small real comparison: child JVMs, real sockets, short workloads. Timing assertions are orderings only
 * (a serial engine cannot beat its ideal), never speeds.
 */
class CompareCommandTest {

    private static final String XHTML = "http://www.w3.org/1999/xhtml";

    /** The fields COMPARE.md documents for every run that measured something. */
    static final List<String> RUN_FIELDS = List.of("configuration", "engine", "options", "model", "workload", "path",
            "clients", "status", "error", "server", "warmup", "aloneSeconds", "idealSeconds", "idealFormula", "totalSeconds",
            "repetitionTotalsSeconds", "chosenRepetition", "measuredOverIdeal", "latencySeconds", "medianServiceSeconds",
            "maxWaitSeconds", "workers", "workerNames", "peakInService", "failedRequests", "story", "timeline", "requests");
    static final List<String> REQUEST_FIELDS = List.of("client", "releasedMicros", "connectedMicros", "acceptedMicros",
            "startedMicros", "finishedMicros", "doneMicros", "status", "servedBy", "error");

    /** blocking, and one more real engine when the class path has one: the first of these that is there. */
    static List<String> twoEngines() {
        List<String> names = Engines.discover().names();
        List<String> engines = new ArrayList<>(List.of("blocking"));
        Stream.of("threadpool", "virtual", "nio", "netty", "vertx", "prefork").filter(names::contains).findFirst().ifPresent(engines::add);
        return engines;
    }

    @Test
    void aSmallComparisonWritesTheTableTheReportAndTheData(@TempDir Path out) throws Exception {
        List<String> engines = twoEngines();
        LabRun run = LabRun.of("compare", "--engines", String.join(",", engines), "--variants", String.join(",", engines),
                "--clients", "3", "--fib", "20", "--sleep", "100ms", "--warmup", "2", "--out", out.toString());

        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        int runs = engines.size() * 2;
        // the table: a header and a row per engine per workload
        List<String> lines = run.out().lines().toList();
        int header = lines.indexOf(lines.stream().filter(l -> l.startsWith("configuration")).findFirst().orElseThrow());
        assertThat(lines.get(header)).contains("total", "median", "ideal", "vs ideal", "workers", "peak");
        for (int i = 1; i <= runs; i++) assertThat(lines.get(header + i)).matches("\\S+\\s+(cpu|io)\\s+.*\\d+\\s+\\d+$");
        assertThat(lines.get(header + 1)).startsWith("blocking").contains("cpu");
        assertThat(run.out()).contains("report: " + out.resolve("report.html").toAbsolutePath());

        // results.json: the documented fields, one run per engine per workload, every request
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) TestJson.parse(Files.readString(out.resolve("results.json")));
        assertThat(json).containsKeys("format", "date", "elapsedSeconds", "command", "machine", "settings", "calibration",
                "workloads", "runs", "files");
        assertThat(map(json, "machine")).containsEntry("cores", (double) Runtime.getRuntime().availableProcessors());
        assertThat(map(json, "calibration")).containsEntry("fibN", 20.0).containsKey("fibSeconds");
        List<Map<String, Object>> results = list(json, "runs");
        assertThat(results).hasSize(runs);
        for (Map<String, Object> r : results) {
            assertThat(r).containsKeys(RUN_FIELDS.toArray(String[]::new)).containsEntry("status", "ok").containsEntry("clients", 3.0);
            assertThat(list(r, "requests")).hasSize(3)
                    .allSatisfy(q -> assertThat(q).containsKeys(REQUEST_FIELDS.toArray(String[]::new)).containsEntry("status", 200.0));
            assertThat(map(r, "latencySeconds")).containsKeys("min", "median", "max");
            assertThat((List<?>) r.get("story")).hasSizeBetween(2, 4);
            assertThat(out.resolve((String) r.get("timeline"))).exists();
        }
        // a serial engine cannot beat its ideal: the waits alone add up to it
        for (Map<String, Object> blocking : results.stream().filter(r -> r.get("configuration").equals("blocking")).toList()) {
            assertThat((double) blocking.get("totalSeconds")).isGreaterThanOrEqualTo((double) blocking.get("idealSeconds"));
            assertThat(blocking).containsEntry("peakInService", 1.0).containsEntry("workers", 1.0);
        }
        Map<String, Object> io = results.stream().filter(r -> r.get("configuration").equals("blocking") && r.get("workload").equals("io"))
                .findFirst().orElseThrow();
        assertThat((double) io.get("idealSeconds")).isEqualTo(0.3);

        // every field is documented in the results.json section (COMPARE.md, or the root README once it is folded in)
        String fields = documentedFields();
        Set<String> keys = new TreeSet<>();
        collectKeys(json, keys);
        assertThat(keys).allSatisfy(key -> assertThat(fields).as("COMPARE.md documents " + key).containsPattern("`(runs\\[\\]\\.)?" + key + "(\\[\\])?`"));

        // requests.csv: one row per request, every timestamp
        List<String> csv = Files.readAllLines(out.resolve("requests.csv"));
        assertThat(csv.get(0).split(",")).containsExactlyElementsOf(RequestsCsv.COLUMNS);
        assertThat(csv).hasSize(1 + runs * 3);
        for (String row : csv.subList(1, csv.size())) {
            String[] cells = row.split(",", -1);
            assertThat(cells).hasSize(RequestsCsv.COLUMNS.size());
            long started = Long.parseLong(cells[10]);
            long finished = Long.parseLong(cells[11]);
            long done = Long.parseLong(cells[12]);
            assertThat(started).isPositive().isLessThanOrEqualTo(finished);
            assertThat(finished).isLessThanOrEqualTo(done);
        }

        // report.html: well-formed XHTML, a timeline per run with a bar per request, a story under each
        Document report = parse(out.resolve("report.html"));
        assertThat(report.getDocumentElement().getNamespaceURI()).isEqualTo(XHTML);
        assertThat(report.getElementsByTagNameNS(XHTML, "script").getLength()).isZero();
        assertThat(requestBars(report)).isEqualTo(runs * 3);
        assertThat(elementsWithClass(report, XHTML, "section", "run")).hasSize(runs).allSatisfy(section -> {
            assertThat(section.getElementsByTagNameNS(Timeline.SVG_NS, "svg").getLength()).isEqualTo(1);
            assertThat(elementsWithClass(section, Timeline.SVG_NS, "g", "request")).hasSize(3).allSatisfy(bar ->
                    assertThat(elementsWithClass(bar, Timeline.SVG_NS, "rect", "served")).hasSize(1));
            assertThat(elementsWithClass(section, XHTML, "p", "story")).singleElement()
                    .satisfies(p -> assertThat(p.getTextContent()).contains("total"));
        });
        assertThat(elementsWithClass(report.getDocumentElement(), XHTML, "table", "summary")).singleElement()
                .satisfies(t -> assertThat(t.getElementsByTagNameNS(XHTML, "tr").getLength()).isEqualTo(1 + runs));

        // the standalone pictures
        for (String workload : List.of("cpu", "io")) {
            assertThat(requestBars(parse(out.resolve("compare-" + workload + ".svg")))).isEqualTo(engines.size() * 3);
        }
        try (Stream<Path> svgs = Files.list(out.resolve("timelines"))) {
            List<Path> files = svgs.toList();
            assertThat(files).hasSize(runs);
            for (Path svg : files) assertThat(requestBars(parse(svg))).isEqualTo(3);
        }
    }

    @Test
    void repeatedRunsReportTheMedianOneAndKeepEveryRequest(@TempDir Path out) throws Exception {
        LabRun run = LabRun.of("compare", "--engines", "blocking", "--workloads", "io", "--sleep", "30ms", "--clients", "2",
                "--repeat", "3", "--warmup", "0", "--out", out.toString());

        assertThat(run.exitCode()).as(run.out() + run.err()).isZero();
        @SuppressWarnings("unchecked")
        Map<String, Object> json = (Map<String, Object>) TestJson.parse(Files.readString(out.resolve("results.json")));
        Map<String, Object> result = list(json, "runs").get(0);
        @SuppressWarnings("unchecked")
        List<Double> totals = (List<Double>) result.get("repetitionTotalsSeconds");
        assertThat(totals).hasSize(3);
        List<Double> sorted = totals.stream().sorted().toList();
        assertThat((double) result.get("totalSeconds")).isEqualTo(sorted.get(1));
        assertThat(totals.get(((Double) result.get("chosenRepetition")).intValue() - 1)).isEqualTo(sorted.get(1));
        assertThat(result).containsEntry("warmup", null);
        List<String> csv = Files.readAllLines(out.resolve("requests.csv"));
        assertThat(csv).hasSize(1 + 3 * 2);
        assertThat(csv.stream().skip(1).filter(l -> l.contains(",true,")).count()).isEqualTo(2);
    }

    @Test
    void optionsThatCannotWorkAreRefusedWithAMessage() {
        LabRun unknown = LabRun.of("compare", "--engines", "no-such-engine");
        assertThat(unknown.exitCode()).isEqualTo(ExitCode.USAGE);
        assertThat(unknown.err()).contains("no engine named 'no-such-engine'").doesNotContain("Exception");
        LabRun variant = LabRun.of("compare", "--engines", "blocking", "--variants", "blocking+gil");
        assertThat(variant.exitCode()).isEqualTo(ExitCode.USAGE);
        assertThat(variant.err()).contains("no variant 'blocking+gil'", "possible: blocking");
        LabRun help = LabRun.of("compare", "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("--fib-time", "--variants", "--out");
        LabRun workload = LabRun.of("compare", "--workloads", "gpu");
        assertThat(workload.exitCode()).isEqualTo(ExitCode.USAGE);
        assertThat(workload.err()).contains("--workloads takes cpu and io");
    }

    /** The text of the "### `results.json`" section, from demo-client/COMPARE.md or the root README.md. */
    static String documentedFields() throws java.io.IOException {
        for (Path doc : List.of(Path.of("COMPARE.md"), Path.of("..", "README.md"))) {
            if (!Files.exists(doc)) continue;
            String text = Files.readString(doc);
            int start = text.indexOf("`results.json`\n");
            if (start < 0) continue;
            int end = text.indexOf("\n#", start + 1);
            return text.substring(start, end < 0 ? text.length() : end);
        }
        throw new AssertionError("no section on results.json in demo-client/COMPARE.md or README.md");
    }

    /** The keys of every object inside {@code value}, except the file names under "files". */
    @SuppressWarnings("unchecked")
    static void collectKeys(Object value, Set<String> keys) {
        if (value instanceof Map<?, ?> map) {
            for (var e : ((Map<String, Object>) map).entrySet()) {
                keys.add(e.getKey());
                if (!e.getKey().equals("files")) collectKeys(e.getValue(), keys);
            }
        } else if (value instanceof List<?> list) {
            for (Object v : list) collectKeys(v, keys);
        }
    }

    static Document parse(Path file) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", false);
        factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        return factory.newDocumentBuilder().parse(file.toFile());
    }

    static int requestBars(Document doc) {
        return elementsWithClass(doc.getDocumentElement(), Timeline.SVG_NS, "g", "request").size();
    }

    static List<Element> elementsWithClass(Element root, String ns, String tag, String cls) {
        NodeList nodes = root.getElementsByTagNameNS(ns, tag);
        List<Element> found = new ArrayList<>();
        for (int i = 0; i < nodes.getLength(); i++) {
            Element e = (Element) nodes.item(i);
            if (List.of(e.getAttribute("class").split(" ")).contains(cls)) found.add(e);
        }
        return found;
    }

    static List<Element> elementsWithClass(Document doc, String ns, String tag, String cls) {
        return elementsWithClass(doc.getDocumentElement(), ns, tag, cls);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> m, String key) {
        return (Map<String, Object>) m.get(key);
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> list(Map<String, Object> m, String key) {
        return (List<Map<String, Object>>) m.get(key);
    }
}
