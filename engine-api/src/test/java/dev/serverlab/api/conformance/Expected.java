package dev.serverlab.api.conformance;

/**
 * Answers the kit expects, worked out here rather than by the code under test ({@code Workloads}): a wrong
 * Fibonacci in the application would otherwise agree with itself.
 */
final class Expected {

    private Expected() {
    }

    /** The body of {@code GET /fib/n}. */
    static String fibBody(int n) {
        return fib(n) + "\n";
    }

    private static long fib(int n) {
        return n < 2 ? n : fib(n - 1) + fib(n - 2);
    }
}
