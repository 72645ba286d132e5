package dev.serverlab.lab.report;

import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one JSON mapper of the lab (Jackson): records, maps and lists are written as they are, with their
 * component names as fields. Each format has one writer ({@link BenchReport}, {@link C10kReport},
 * {@link ResultsJson}); this class only fixes how JSON looks.
 */
public final class Json {

    private static final JsonMapper ONE_LINE = JsonMapper.builder().build();
    private static final JsonMapper INDENTED = ONE_LINE.rebuild().enable(SerializationFeature.INDENT_OUTPUT).build();

    private Json() {
    }

    /** Indented, for files people may open; ends with a newline. */
    static String write(Object value) {
        return INDENTED.writeValueAsString(value) + "\n";
    }

    /** One line, for standard output that scripts read (one object per run); ends with a newline. */
    static String line(Object value) {
        return ONE_LINE.writeValueAsString(value) + "\n";
    }
}
