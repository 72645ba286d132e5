package dev.serverlab.nio;

import dev.serverlab.api.Limits;
import dev.serverlab.api.app.Application;
import dev.serverlab.api.server.AccessLog;

import java.util.concurrent.ExecutorService;

/**
 * What every connection of a server shares: the application, the limits, the access log and, with
 * {@code --offload N}, the pool that CPU work goes to.
 *
 * @param offload where CPU work runs when offloaded; null runs it on the connection's loop
 */
record Service(Application application, Limits limits, AccessLog accessLog, ExecutorService offload) {
}
