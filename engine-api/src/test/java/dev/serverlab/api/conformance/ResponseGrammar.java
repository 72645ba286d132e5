package dev.serverlab.api.conformance;

import java.io.IOException;
import java.time.DateTimeException;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What an HTTP/1.1 response may look like (RFC 9110, RFC 9112), as {@link RawHttp} checks it on every response
 * it reads. Each rule is a check a real client or proxy makes; breaking one is an {@link IOException}.
 */
public final class ResponseGrammar {

    /** {@code HTTP-version SP 3DIGIT SP reason-phrase}; the reason is HTAB, SP, VCHAR or obs-text (RFC 9112 §4). */
    private static final Pattern STATUS_LINE = Pattern.compile("(HTTP/1\\.[01]) ([1-5][0-9][0-9]) ([\\t\\x20-\\x7e\\x80-\\xff]*)");
    /** {@code token} (RFC 9110 §5.6.2). */
    private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+\\-.^_`|~0-9A-Za-z]+");
    /** A field value: no control characters other than HTAB, no DEL (RFC 9110 §5.5). */
    private static final Pattern FIELD_VALUE = Pattern.compile("[\\t\\x20-\\x7e\\x80-\\xff]*");
    /** IMF-fixdate (RFC 9110 §5.6.7): {@code Sun, 06 Nov 1994 08:49:37 GMT}, a two-digit day. */
    private static final Pattern IMF_FIXDATE = Pattern.compile(
            "(Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT");
    private static final DateTimeFormatter IMF = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ROOT)
            .withZone(java.time.ZoneOffset.UTC);

    private ResponseGrammar() {
    }

    public record StatusLine(String version, int code, String reason) {
    }

    /** How the body is framed: none, {@code length} bytes, or chunked. */
    public record Framing(boolean hasBody, long length, boolean chunked) {
    }

    /** A response's head, each part checked: the status line, the fields, and how the body is framed. */
    public record Head(StatusLine status, List<RawHttp.Field> fields, Framing framing) {
    }

    /** The field lines of a head, one at a time without their CRLF; the empty line that ends them, then. */
    @FunctionalInterface
    public interface FieldLines {
        String next() throws IOException;
    }

    /** Checks {@code statusLine}, then each field line as it comes up to the empty one, then the framing. */
    public static Head head(String statusLine, FieldLines fieldLines) throws IOException {
        StatusLine status = statusLine(statusLine);
        List<RawHttp.Field> fields = new ArrayList<>();
        for (String line = fieldLines.next(); !line.isEmpty(); line = fieldLines.next()) fields.add(field(line));
        return new Head(status, List.copyOf(fields), framing(status.code(), fields));
    }

    public static StatusLine statusLine(String line) throws IOException {
        var m = STATUS_LINE.matcher(line);
        if (!m.matches()) throw new IOException("not a status line: " + printable(line));
        return new StatusLine(m.group(1), Integer.parseInt(m.group(2)), m.group(3));
    }

    public static RawHttp.Field field(String line) throws IOException {
        if (line.startsWith(" ") || line.startsWith("\t")) throw new IOException("obs-fold in a response: " + printable(line));
        int colon = line.indexOf(':');
        if (colon <= 0) throw new IOException("a header line without a name and colon: " + printable(line));
        String name = line.substring(0, colon);
        if (!TOKEN.matcher(name).matches()) throw new IOException("a field name that is not a token: " + printable(name));
        String value = line.substring(colon + 1).strip();
        if (!FIELD_VALUE.matcher(value).matches()) throw new IOException("a control character in " + name + ": " + printable(value));
        return new RawHttp.Field(name, value);
    }

    /** Checks the fields that frame the message and date it, and says how the body is framed. */
    public static Framing framing(int status, List<RawHttp.Field> fields) throws IOException {
        List<String> lengths = values(fields, "Content-Length");
        List<String> codings = values(fields, "Transfer-Encoding");
        List<String> dates = values(fields, "Date");
        boolean interim = status / 100 == 1;
        if (!interim) {
            if (dates.size() != 1) throw new IOException(status + " carries " + dates.size() + " Date fields, not exactly one");
            imfFixdate(dates.get(0));
        }
        if (interim || status == 204 || status == 304) {
            if (!lengths.isEmpty() || !codings.isEmpty()) throw new IOException("a " + status + " must not carry Content-Length or Transfer-Encoding");
            return new Framing(false, 0, false);
        }
        if (!codings.isEmpty()) {
            if (!lengths.isEmpty()) throw new IOException("both Content-Length and Transfer-Encoding");
            if (codings.size() != 1 || !codings.get(0).equalsIgnoreCase("chunked")) throw new IOException("Transfer-Encoding other than chunked: " + codings);
            return new Framing(true, 0, true);
        }
        if (lengths.size() != 1) throw new IOException("a " + status + " with " + lengths.size() + " Content-Length fields, not exactly one");
        if (!lengths.get(0).matches("[0-9]{1,10}")) throw new IOException("not a Content-Length: " + printable(lengths.get(0)));
        return new Framing(true, Long.parseLong(lengths.get(0)), false);
    }

    /** A valid IMF-fixdate whose weekday matches its date. */
    public static void imfFixdate(String value) throws IOException {
        if (!IMF_FIXDATE.matcher(value).matches()) throw new IOException("Date is not an IMF-fixdate: " + printable(value));
        try {
            ZonedDateTime.parse(value, IMF);
        } catch (DateTimeException e) {
            throw new IOException("Date is not a real date: " + value, e);
        }
    }

    private static List<String> values(List<RawHttp.Field> fields, String name) {
        return fields.stream().filter(f -> f.name().equalsIgnoreCase(name)).map(RawHttp.Field::value).toList();
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (c < 0x20 || c == 0x7f) b.append(String.format("\\x%02x", (int) c));
            else b.append(c);
        }
        return b.length() > 200 ? b.substring(0, 200) + "..." : b.toString();
    }
}
