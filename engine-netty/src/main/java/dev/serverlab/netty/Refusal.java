package dev.serverlab.netty;

import dev.serverlab.api.http.HttpException;

/**
 * A request the server refuses, passed down the pipeline in order with the requests before it, so that
 * its answer is written after theirs. After it the connection closes.
 *
 * @param status the status to answer, such as 400 or 431
 * @param reason a short reason for the body; it never contains request data
 */
record Refusal(int status, String reason) {

    static Refusal of(HttpException e) {
        return new Refusal(e.status(), e.reason());
    }
}
