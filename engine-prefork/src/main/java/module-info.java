/** The multi-process engine: worker JVMs, each running the blocking engine, sharing one listening socket. */
module dev.serverlab.prefork {
    requires dev.serverlab.api;
    // The worker passes the parent's -Xmx, -XX:ActiveProcessorCount and such on (RuntimeMXBean).
    requires java.management;
    // sun.misc.Signal, used reflectively: workers ignore the terminal's Ctrl-C and let the parent stop them.
    requires jdk.unsupported;

    uses dev.serverlab.api.ServerEngine;

    provides dev.serverlab.api.ServerEngine with dev.serverlab.prefork.PreforkEngine;
}
