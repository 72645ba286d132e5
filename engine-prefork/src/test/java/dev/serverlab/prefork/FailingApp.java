package dev.serverlab.prefork;

import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Request;

/** An application whose workers cannot start: its constructor fails in every process but the first. */
public class FailingApp implements Application {

    /** Set in the test's JVM only, so that the test can build the instance it passes to the engine. */
    static volatile boolean allowed;

    public FailingApp() {
        if (!allowed) throw new IllegalStateException("no database here");
    }

    @Override
    public Reply handle(Request request) {
        throw new UnsupportedOperationException();
    }
}
