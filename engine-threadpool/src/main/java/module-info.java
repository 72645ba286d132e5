/** The thread-pool engine: a fixed pool of platform threads, the original thread.py. */
module dev.serverlab.threadpool {
    requires dev.serverlab.api;

    provides dev.serverlab.api.ServerEngine with dev.serverlab.threadpool.ThreadPoolEngine;
}
