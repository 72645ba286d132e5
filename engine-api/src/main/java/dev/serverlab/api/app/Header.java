package dev.serverlab.api.app;

/** One header field, as received or to be sent. */
public record Header(String name, String value) {
}
