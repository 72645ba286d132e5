/** The multi-process engine: worker JVMs sharing one port with SO_REUSEPORT. */
module dev.serverlab.prefork {
    requires dev.serverlab.api;
    // sun.misc.Signal, used reflectively: workers ignore the terminal's Ctrl-C and let the parent stop them.
    requires jdk.unsupported;

    provides dev.serverlab.api.ServerEngine with dev.serverlab.prefork.PreforkEngine;
}
