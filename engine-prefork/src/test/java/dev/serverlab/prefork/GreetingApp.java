package dev.serverlab.prefork;

import dev.serverlab.api.app.Application;
import dev.serverlab.api.app.Reply;
import dev.serverlab.api.app.Request;
import dev.serverlab.api.app.Response;

/** A user's own application, as prefork accepts it: public, with a public no-argument constructor. */
public class GreetingApp implements Application {

    private final long createdIn = ProcessHandle.current().pid();

    @Override
    public Reply handle(Request request) {
        return Reply.of(Response.ok("greetings from an app created in " + createdIn + "\n"));
    }
}
