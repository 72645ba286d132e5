package dev.serverlab.api.server;

import dev.serverlab.api.app.Request;
import dev.serverlab.api.app.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What every engine does when an application throws: log it for the operator, answer a bare 500. */
public final class ApplicationErrors {

    private static final Logger log = LoggerFactory.getLogger(ApplicationErrors.class);
    private static final Response INTERNAL_ERROR = Response.text(500, "internal server error\n");

    private ApplicationErrors() {
    }

    public static Response handle(Request request, Throwable error) {
        log.warn("application failed on {} {}", request.method(), request.path(), error);
        return INTERNAL_ERROR;
    }
}
