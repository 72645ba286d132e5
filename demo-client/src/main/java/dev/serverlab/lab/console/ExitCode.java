package dev.serverlab.lab.console;

import java.util.LinkedHashMap;
import java.util.Map;

/** The exit codes every command uses; apart from the root command {@code Lab} so that commands need not depend on the root command. */
public final class ExitCode {

    public static final int OK = 0;
    /** A request or a check failed. */
    public static final int FAILED = 1;
    /** Bad arguments or configuration. */
    public static final int USAGE = 2;
    /** The server could not be started or reached. */
    public static final int UNAVAILABLE = 3;

    /** The ./lab launcher's own: no JDK 21 or newer was found. */
    public static final int NO_JDK = 4;
    /** The ./lab launcher's own: building the project failed. */
    public static final int BUILD_FAILED = 5;

    private ExitCode() {
    }

    /** The codes a command returns, as --help lists them. */
    public static Map<String, String> list() {
        Map<String, String> codes = new LinkedHashMap<>();
        codes.put(" " + OK, "success");
        codes.put(" " + FAILED, "a request or a check failed");
        codes.put(" " + USAGE, "bad arguments or configuration");
        codes.put(" " + UNAVAILABLE, "the server could not be started or reached");
        return codes;
    }

    /** The commands' codes and the ./lab launcher's own, for ./lab --help. */
    public static Map<String, String> launcherList() {
        Map<String, String> codes = list();
        codes.put(" " + NO_JDK, "./lab found no JDK 21 or newer");
        codes.put(" " + BUILD_FAILED, "./lab could not build the project");
        return codes;
    }
}
