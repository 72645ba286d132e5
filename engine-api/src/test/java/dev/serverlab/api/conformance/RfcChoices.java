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
    static final String SLOWLORIS = "slowloris";
    static final String HALF_CLOSED = "half-closed client";

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

    /**
     * The kit's cases that are not in {@link HostileInputCases#malformed()} or {@link HostileInputCases#overLimits()},
     * by name, with the shared codec's answer: {@link #MAY_REFUSE}'s requests, and two clients of
     * {@link ClientFaultCases} (a slowloris gets a 408; a client that half-closes after its request gets its 200).
     */
    static final Map<String, Integer> OTHER_CASES = Map.of(EQUAL_CONTENT_LENGTHS, 200, BARE_LF, 200, SLOWLORIS, 408, HALF_CLOSED, 200);

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
     * Cases a server may end by closing the connection without an answer ({@link HostileInputCases#NO_ANSWER}).
     * RFC 9112 §9.5 lets a server close a connection at any time; that is no licence where an answer is required
     * (a malformed framing or a smuggling attempt gets its 4xx), only where the RFCs ask for none or merely
     * recommend one:
     * <ul>
     *   <li>{@code binary garbage}: RFC 9112 §2.2 lets a server skip empty lines before a request line; a
     *       library that skips control characters too is left with an idle connection, closed when idle;</li>
     *   <li>a version other than 1.x ({@code unsupported version}, the {@code HTTP/2 preface}), and a lower-case
     *       one: 505 is what a server "can send" (RFC 9110 §2.5), a 400 for an invalid request line a SHOULD
     *       (RFC 9112 §3), while any answer must carry a version the server conforms to (RFC 9110 §2.5, a MUST
     *       NOT): a library whose answer repeats the request's version can only close;</li>
     *   <li>{@value #SLOWLORIS}: at the header deadline the request never arrived; 408 is how a server may say
     *       so (RFC 9110 §15.5.9), a timeout may equally be a close (RFC 9112 §9.5);</li>
     *   <li>{@value #HALF_CLOSED}: the end of the client's input is a closure signal, and RFC 9112 §9.5 asks
     *       implementations to respond to one "as appropriate"; nothing requires answering a client that has
     *       closed its side (§9.6 describes only the server's staged close).</li>
     * </ul>
     */
    static final Set<String> MAY_CLOSE_UNANSWERED = Set.of("binary garbage", "unsupported version", "HTTP/2 preface",
            "lower-case version", SLOWLORIS, HALF_CLOSED);

    private RfcChoices() {
    }

    /** True when RFC 9110/9112 allow answering case {@code name} with {@code chosen} instead of {@code shared}. */
    static boolean allowed(String name, int chosen, int shared) {
        if (chosen == HostileInputCases.NO_ANSWER) return MAY_CLOSE_UNANSWERED.contains(name);
        return chosen / 100 == shared / 100
                || (chosen == 200 && MAY_ACCEPT.contains(name))
                || (chosen == 400 && shared == 200 && MAY_REFUSE.containsKey(name));
    }
}
