/** The hand-written selector event loop engine: one thread and one Selector per loop, CPU work inline or offloaded. */
module dev.serverlab.nio {
    requires dev.serverlab.api;

    provides dev.serverlab.api.ServerEngine with dev.serverlab.nio.NioEngine;
}
