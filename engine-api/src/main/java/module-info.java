/**
 * The ServerEngine SPI, the experiment's application and the shared HTTP/1.1 codec.
 *
 * <p>Engines are found with {@link java.util.ServiceLoader}; see {@link dev.serverlab.api.Engines}.
 */
module dev.serverlab.api {
    requires transitive org.slf4j;

    exports dev.serverlab.api;
    exports dev.serverlab.api.app;
    exports dev.serverlab.api.http;
    exports dev.serverlab.api.server;

    uses dev.serverlab.api.ServerEngine;
}
