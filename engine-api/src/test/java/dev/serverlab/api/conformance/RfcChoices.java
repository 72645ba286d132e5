package dev.serverlab.api.conformance;

import java.util.Map;
import java.util.Set;

/**
 * Where RFC 9110/9112 let a server choose, and so an engine whose library decodes HTTP may answer a kit case
 * otherwise than the shared codec ({@link HostileInputCases#statusChoices()}). Every choice outside these
 * rules fails the run: the kit stays strict wherever the RFCs are.
 */
final class RfcChoices {

    static final String EQUAL_CONTENT_LENGTHS = "repeated equal Content-Length";
    static final String BARE_LF = "bare LF line ends";

    /**
     * Requests the shared codec refuses that a server may accept (200):
     * <ul>
     *   <li>{@code obs-fold}: RFC 9112 §5.2 lets a server replace an obs-fold with spaces;</li>
     *   <li>two spaces, or a tab, between the parts of the request line: RFC 9112 §3 lets a recipient parse
     *       the request line on whitespace boundaries.</li>
     * </ul>
     */
    static final Set<String> MAY_ACCEPT = Set.of("obs-fold", "two spaces in the request line", "tab as separator");

    /**
     * Requests the shared codec accepts (200) that a server may refuse with 400, by case name:
     * <ul>
     *   <li>a Content-Length repeated with equal values: RFC 9110 §8.6 lets a recipient either use the value
     *       or reject the message as invalid;</li>
     *   <li>bare LF line ends: RFC 9112 §2.2 says a recipient MAY recognise a single LF as a line terminator.</li>
     * </ul>
     */
    static final Map<String, String> MAY_REFUSE = Map.of(
            EQUAL_CONTENT_LENGTHS, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
            BARE_LF, "GET /fib/5 HTTP/1.1\nHost: t\nConnection: close\n\n");

    private RfcChoices() {
    }

    /** True when RFC 9110/9112 allow answering case {@code name} with {@code chosen} instead of {@code shared}. */
    static boolean allowed(String name, int chosen, int shared) {
        return chosen / 100 == shared / 100
                || (chosen == HostileInputCases.IGNORED_AS_NOISE && name.equals("binary garbage"))
                || (chosen == 200 && MAY_ACCEPT.contains(name))
                || (chosen == 400 && shared == 200 && MAY_REFUSE.containsKey(name));
    }
}
