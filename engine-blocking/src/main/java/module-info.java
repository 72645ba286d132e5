/** The naive serial engine. */
module dev.serverlab.blocking {
    requires dev.serverlab.api;

    provides dev.serverlab.api.ServerEngine with dev.serverlab.blocking.BlockingEngine;
}
