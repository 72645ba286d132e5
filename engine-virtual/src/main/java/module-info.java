/** The virtual-thread engine: one virtual thread per connection. */
module dev.serverlab.virtual {
    requires dev.serverlab.api;

    provides dev.serverlab.api.ServerEngine with dev.serverlab.virtual.VirtualThreadEngine;
}
